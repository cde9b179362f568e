"""Progress bars for long stages: counts and throughput on stderr, silent when not wanted.

>>> with stage_progress("segment", total=2, quiet=True) as advance:
...     advance(2, chars=1200)
>>> advance.n, advance.chars
(2, 1200)

``advance`` is also the ``progress`` callback of ``govtext.engine.map_batches``. Bars are
drawn only when stderr is a terminal and ``quiet`` is False; otherwise the counts are
still kept (for timings and run.json) and nothing is written.

The bar never refreshes from a background thread (rich's ``auto_refresh`` is off and
each ``advance`` redraws at most ten times a second): worker pools fork while a bar is
shown, and a fork taken while another thread holds a lock can hang the child.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_REFRESH_S = 0.1


class Advance:
    """Callable that counts items, characters and bytes, and updates a bar if there is one."""

    def __init__(self, progress: Any = None, task: Any = None, unit: str = "docs") -> None:
        self.n = 0
        self.chars = 0
        self.nbytes = 0
        self.unit = unit
        self.started = time.perf_counter()
        self._progress = progress
        self._task = task
        self._last_refresh = 0.0

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def rate(self) -> str:
        """Throughput so far: items/s, and MB/s of UTF-8 text (or characters/s)."""
        secs = max(self.elapsed, 1e-9)
        parts = [f"{self.n / secs:,.0f} {self.unit}/s"]
        if self.nbytes:
            parts.append(f"{self.nbytes / secs / 1e6:,.2f} MB/s")
        elif self.chars:
            parts.append(f"{self.chars / secs / 1e3:,.0f}k chars/s")
        return " · ".join(parts)

    def __call__(self, n: int = 1, *, chars: int = 0, nbytes: int = 0) -> None:
        self.n += n
        self.chars += chars
        self.nbytes += nbytes
        if self._progress is None:
            return
        self._progress.update(self._task, advance=n, rate=self.rate())
        now = time.perf_counter()
        task = self._progress.tasks[0]
        if now - self._last_refresh >= _REFRESH_S or (
            task.total is not None and task.completed >= task.total
        ):
            self._last_refresh = now
            self._progress.refresh()


@contextmanager
def stage_progress(
    description: str,
    total: int | None = None,
    *,
    unit: str = "docs",
    quiet: bool = False,
    console: Any = None,
) -> Iterator[Advance]:
    """A progress bar for one stage; yields the ``advance(n, chars=…, nbytes=…)`` callable.

    ``total`` None (a streamed corpus of unknown length) shows a counter without a bar.
    ``console`` is a ``rich.console.Console`` (default: one on stderr).
    """
    if quiet:
        yield Advance(unit=unit)
        return
    from rich.console import Console

    console = console or Console(stderr=True)
    # A terminal, or a Jupyter notebook (where stderr is no terminal but rich draws the
    # bar as a live widget in the cell's output).
    if not (console.is_terminal or console.is_jupyter):
        yield Advance(unit=unit)
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns: list[Any] = [TextColumn("[bold]{task.description}")]
    if total is not None:
        columns += [BarColumn(), MofNCompleteColumn()]
    else:
        columns += [TextColumn("{task.completed:,}")]
    columns += [
        TextColumn(unit),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
    ]
    if total is not None:
        columns.append(TimeRemainingColumn())
    progress = Progress(
        *columns,
        console=console,
        auto_refresh=False,
        redirect_stdout=False,
        redirect_stderr=False,
    )
    with progress:
        task = progress.add_task(description, total=total, rate="")
        advance = Advance(progress, task, unit)
        try:
            yield advance
        finally:
            progress.update(task, rate=advance.rate())
            progress.refresh()


__all__ = ["Advance", "stage_progress"]
