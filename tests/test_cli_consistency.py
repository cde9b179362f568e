"""Commands that behave alike: -h, readable placeholders, an example in every help, one
way to ask for JSON, the same input options, NO_COLOR, tables that fit 80 columns."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

GOVTEXT = [sys.executable, "-m", "govtext"]
COMMANDS = [
    "run",
    "ingest",
    "tag",
    "kwic",
    "topics",
    "compare",
    "report",
    "segment",
    "sql",
    "dict",
    "vocab",
    "serve",
    "validate",
]


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*GOVTEXT, *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_cli_help_is_readable(command: str) -> None:
    proc = _cli(command, "-h")
    assert proc.returncode == 0, proc.stderr
    assert "Usage: govtext" in proc.stdout
    assert "<list[" not in proc.stdout and "<int" not in proc.stdout and "<path>" not in proc.stdout
    assert re.search(r"Example: .*govtext " + command, proc.stdout)


def test_cli_root_help_offers_completion() -> None:
    out = _cli("-h").stdout
    assert "--install-completion" in out and "--show-completion" in out


def test_cli_json_format_everywhere(sample_corpus: Path) -> None:
    ingest = json.loads(_cli("ingest", str(sample_corpus), "--format", "json").stdout)
    assert len(ingest["documents"]) == 10
    alias = json.loads(_cli("ingest", str(sample_corpus), "--json").stdout)
    assert alias == ingest
    rows = json.loads(_cli("compare", str(sample_corpus), "--by", "year", "-f", "json").stdout)
    assert {r["year"] for r in rows} >= {2022, 2025}  # the field's name, years as numbers
    csv_text = _cli("compare", str(sample_corpus), "--by", "year", "-f", "csv").stdout
    assert csv_text.splitlines()[0].startswith("year,theme,name")


def test_cli_input_options_on_run(tmp_path: Path) -> None:
    data = tmp_path / "rows.csv"
    data.write_text("id,body,kind\nr1,推进居民自治。,甲\nr2,坚持依法治理。,乙\n", encoding="utf-8")
    extra = tmp_path / "extra.toml"
    extra.write_text(
        'version = 1\n[[framework]]\nid = "x"\nname = "试验"\nthemes = ["test_theme"]\n'
        '[[theme]]\nid = "test_theme"\nframework = "x"\nname = "试验主题"\nterms = ["依法治理"]\n',
        encoding="utf-8",
    )
    pipeline = tmp_path / "p.toml"
    pipeline.write_text("[topics]\nenabled = false\n[report]\nformats = ['csv']\n", encoding="utf-8")
    out = tmp_path / "out"
    args = ["run", str(pipeline), str(data), "--by", "kind", "--text-column", "body", "-o", str(out), "-q"]
    proc = _cli(*args, "--extra", str(extra))
    assert proc.returncode == 0, proc.stderr
    hits = (out / "tables" / "hits.csv").read_text(encoding="utf-8-sig")
    assert "r1" in hits and "test_theme" in hits  # the text column read, the extra theme matched


def test_cli_run_summary_one_language_per_line(sample_corpus: Path, tmp_path: Path) -> None:
    pipeline = tmp_path / "p.toml"
    pipeline.write_text("[topics]\nenabled = false\n[report]\nformats = ['csv']\n", encoding="utf-8")
    proc = _cli("run", str(pipeline), str(sample_corpus), "--out", str(tmp_path / "o"))
    first = proc.stdout.splitlines()[0]
    assert first.startswith("Read 10 documents") and not re.search(r"[\u4e00-\u9fff]", first)


def test_cli_compare_fits_80_columns(sample_corpus: Path) -> None:
    out = _cli("compare", str(sample_corpus), "--by", "year", env={"COLUMNS": "80"}).stdout
    from rich.cells import cell_len

    assert max(cell_len(line.rstrip()) for line in out.splitlines()) <= 80
    for name in ("自治", "法治", "党建引领", "吹哨报到", "接诉即办"):
        assert name in out  # no column dropped
    assert "…" not in out  # no cell cut


def _tty_output(args: list[str], env: dict[str, str]) -> str:
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [*GOVTEXT, *args], stdout=child, stderr=subprocess.DEVNULL, env={**os.environ, **env}
    )
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(main)
    return b"".join(chunks).decode("utf-8", "replace")


def test_cli_no_color_is_honoured(tmp_path: Path) -> None:
    text = tmp_path / "a.txt"
    text.write_text("坚持党建引领，推进居民自治。", encoding="utf-8")
    coloured = _tty_output(["tag", str(text)], {"NO_COLOR": ""})
    assert "\x1b[" in coloured  # a terminal gets colour ...
    plain = _tty_output(["tag", str(text)], {"NO_COLOR": "1"})
    assert "\x1b[" not in plain and "党建引领" in plain  # ... unless NO_COLOR says no


def test_cli_seed_and_workers_names() -> None:
    assert "--seed" in _cli("topics", "-h").stdout
    seg = _cli("segment", "-h").stdout
    assert re.search(r"--workers N\s+Processes for segmentation \(0, the default: every\s+core\)", seg)


def test_every_command_reports_library_errors_the_same_way() -> None:
    """No CLI module catches GovtextError by hand: each wraps its library calls in
    cli.common.library_errors, so every command words an error (and a full disk) alike."""
    cli = Path(__file__).parents[1] / "govtext" / "cli"
    by_hand = [
        p.name
        for p in cli.glob("*.py")
        if p.name != "common.py" and "except GovtextError" in p.read_text("utf-8")
    ]
    assert not by_hand
    users = [p.name for p in cli.glob("*.py") if "library_errors(" in p.read_text("utf-8")]
    assert len(users) >= 12, users


def test_a_reader_that_goes_away_stops_the_command_quietly(tmp_path: Path) -> None:
    """`govtext tag ... | head`: when the reader closes the pipe, the command stops at
    once with SIGPIPE's status (141) and no error line, as Unix tools do."""
    import sys

    corpus = Path(__file__).parents[1] / "corpus"
    proc = subprocess.Popen(
        [sys.executable, "-m", "govtext", "tag", str(corpus), "--unit", "paragraph", "-f", "jsonl"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(200)
    proc.stdout.close()
    err = proc.stderr.read().decode("utf-8")
    assert proc.wait(timeout=60) == 141
    assert "error" not in err and "Traceback" not in err, err


def _commands() -> list[tuple[str, Any]]:
    """(name, click command) of every command and sub-command, ``dict validate`` included."""
    import typer

    from govtext.cli import app

    def walk(command: Any, prefix: str) -> list[tuple[str, Any]]:
        subs = getattr(command, "commands", {})
        if not subs:
            return [(prefix, command)]
        return [pair for name, sub in sorted(subs.items()) for pair in walk(sub, f"{prefix} {name}".strip())]

    return walk(typer.main.get_command(app), "")


def test_cli_every_command_calls_library_errors() -> None:
    """Each command, not only each module, turns library errors into one line and exit 1."""
    import inspect

    commands = _commands()
    assert len(commands) >= 17
    without = [name for name, cmd in commands if "library_errors(" not in inspect.getsource(cmd.callback)]
    assert not without, f"commands that do not wrap their library calls in library_errors(): {without}"


def _old_style_parameters(path: Path) -> list[str]:
    """Parameters whose default value is a typer.Option/Argument (or a shared *_OPTION)."""
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for default in [*node.args.defaults, *node.args.kw_defaults]:
                typer_call = (
                    isinstance(default, ast.Call)
                    and isinstance(default.func, ast.Attribute)
                    and default.func.attr in ("Option", "Argument")
                )
                shared = isinstance(default, ast.Name) and default.id.endswith("_OPTION")
                if default is not None and (typer_call or shared):
                    found.append(f"{path.name}:{default.lineno} in {node.name}()")
    return found


def test_cli_one_typer_style() -> None:
    """Every parameter is declared as `x: Annotated[int, typer.Option(...)] = default`."""
    cli = Path(__file__).parents[1] / "govtext" / "cli"
    old = [hit for p in sorted(cli.glob("*.py")) for hit in _old_style_parameters(p)]
    assert not old, f"old-style Typer parameters (use Annotated): {old}"


def test_cli_library_errors_name_the_option_of_the_parameter(tmp_path: Path) -> None:
    """The library says which parameter is wrong (``out: …``), without naming a flag; the
    command shows the option that sets it instead, the same option in every command."""
    import pickle

    from govtext.errors import InputError
    from govtext.paths import check_output_dir

    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    with pytest.raises(InputError) as err:
        check_output_dir(afile)
    assert err.value.param == "out" and str(err.value).startswith("out: the output folder")
    assert "--" not in str(err.value)
    copy = pickle.loads(pickle.dumps(err.value))  # errors cross from worker processes
    assert str(copy) == str(err.value)
    proc = _cli("report", str(tmp_path), "--by", "source", "--out", str(afile))
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"govtext report: error: --out: the output folder {str(afile)!r} is a file")
