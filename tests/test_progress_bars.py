"""Progress bars: drawn on a terminal with counts and throughput, silent otherwise."""

from __future__ import annotations

import io
import sys

from rich.console import Console
from test_engine_local import square

from govtext.documents import Document
from govtext.engine import EngineConfig, map_batches
from govtext.progress import stage_progress


def terminal(buffer: io.StringIO) -> Console:
    return Console(file=buffer, force_terminal=True, width=120, color_system=None)


def test_progress_draws_counts_and_throughput_on_a_terminal() -> None:
    buffer = io.StringIO()
    with stage_progress("segment", total=4, console=terminal(buffer)) as advance:
        advance(3, chars=30_000, nbytes=90_000)
        advance(1, chars=10_000, nbytes=30_000)
    out = buffer.getvalue()
    assert "segment" in out
    assert "4/4" in out
    assert "docs/s" in out and "MB/s" in out
    assert (advance.n, advance.chars, advance.nbytes) == (4, 40_000, 120_000)


def test_progress_silent_when_not_a_terminal() -> None:
    buffer = io.StringIO()
    plain = Console(file=buffer)  # a StringIO is not a terminal
    assert not plain.is_terminal
    with stage_progress("segment", total=2, console=plain) as advance:
        advance(2, chars=100)
    assert buffer.getvalue() == ""
    assert advance.n == 2  # counts are kept all the same


def test_progress_silent_when_quiet_even_on_a_terminal() -> None:
    buffer = io.StringIO()
    with stage_progress("match", total=2, quiet=True, console=terminal(buffer)) as advance:
        advance(2)
    assert buffer.getvalue() == ""
    assert advance.n == 2


def test_progress_default_console_is_stderr_and_silent_under_pytest(capsys: object) -> None:
    # pytest captures stderr into a file, which is not a terminal
    assert not sys.stderr.isatty()
    with stage_progress("ingest", total=None) as advance:
        advance(5)
    captured = capsys.readouterr()  # type: ignore[attr-defined]
    assert captured.err == "" and captured.out == ""


def test_progress_is_the_map_batches_callback() -> None:
    buffer = io.StringIO()
    docs = [Document(f"d{i}", "接诉即办" * (i + 1)) for i in range(20)]
    with stage_progress("segment", total=len(docs), console=terminal(buffer)) as advance:
        out = list(map_batches(square_len, docs, EngineConfig(workers=2, batch_size=6), progress=advance))
    assert out == [len(d.text) ** 2 for d in docs]
    assert advance.n == 20
    assert advance.chars == sum(len(d.text) for d in docs)
    assert "20/20" in buffer.getvalue()


def square_len(items: list[Document]) -> list[int]:
    return square([len(d.text) for d in items])
