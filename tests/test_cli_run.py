"""The main job end to end: `govtext run` on the sample corpus and on the real seed page."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govtext.cli import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("run") / "default"
    result = runner.invoke(
        app, ["run", str(ROOT / "pipelines" / "default.toml"), str(ROOT / "corpus"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out, result.output


def test_cli_run_writes_every_output(sample_run: tuple[Path, str]) -> None:
    out, _ = sample_run
    for name in ("index.html", "report.md", "run.json", "manifest.csv"):
        assert (out / name).is_file(), name
    assert list((out / "tables").glob("*.csv")), "no CSV tables written"


def test_cli_run_summary_names_groups_and_report(sample_run: tuple[Path, str]) -> None:
    out, output = sample_run
    assert "Read 10 documents" in output and "Report:" in output
    assert str(out / "index.html") in output
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    sources = {
        p.read_text(encoding="utf-8").split("source:")[1].splitlines()[0].strip()
        for p in (ROOT / "corpus").glob("[0-9]*.md")
    }
    # every source of the sample corpus appears as a group in the summary
    for source in sources:
        assert source in output
    assert run["by"] == "source"
    assert run["counts"]["documents"] == len(list((ROOT / "corpus").glob("[0-9]*.md")))


def test_cli_run_report_is_offline_and_shows_chinese_theme_names(sample_run: tuple[Path, str]) -> None:
    html = (sample_run[0] / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), (
        "report loads something from the network"
    )
    for name in ("自治", "法治", "德治", "接诉即办", "吹哨报到", "党建引领"):
        assert name in html


def test_cli_run_json_summary_has_top_themes(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["run", str(ROOT / "corpus"), "--by", "year", "--out", str(tmp_path), "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["by"] == "year"
    assert summary["top_themes"], summary
    assert all(len(themes) <= 3 for themes in summary["top_themes"].values())


def test_cli_run_installed_console_script(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("govtext")
    if not exe.exists():
        pytest.fail(
            f"the govtext console script is not installed next to {sys.executable}; run pip install -e ."
        )
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.strip().startswith("govtext ")
    done = subprocess.run(
        [str(exe), "run", "--quiet", "--out", str(tmp_path / "r")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "r")
    assert (tmp_path / "r" / "index.html").is_file()


def test_cli_run_bad_pipeline_names_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[topics]\nmethod = "nmf"\nkk = 3\n', encoding="utf-8")
    result = runner.invoke(app, ["run", str(bad), str(ROOT / "corpus"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "kk" in result.output and "bad.toml" in result.output


def test_cli_run_seed_page_integration(seed_page: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(seed_page), "--by", "author", "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["documents"] == 3
    groups = set(summary["top_themes"])
    assert "李文钊" in groups and "张克" in groups
    # the page is about Beijing's mechanisms: 吹哨报到 and 接诉即办 are found with evidence
    hits = (tmp_path / "tables" / "hits.csv").read_text(encoding="utf-8-sig")
    assert "吹哨报到" in hits and "接诉即办" in hits


def test_cli_every_command_has_help() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    commands = re.findall(r"^\s{2}(\w[\w-]*)\s{2,}\S", result.output.split("Commands:")[1], flags=re.M)
    assert "run" in commands
    for command in commands:
        sub = runner.invoke(app, [command, "--help"])
        assert sub.exit_code == 0, command
        assert len(sub.output.strip().splitlines()) > 3, f"{command} has no help text"


def test_cli_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("govtext 0.")


def test_readme_python_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Python API", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {}
    exec(compile(block, "README.md", "exec"), namespace)
    scores = namespace["scores"]
    hits = namespace["hits"]
    assert len(scores) > 0 and {"doc_id", "theme", "hits", "density_per_10k"} <= set(scores.columns)  # type: ignore[attr-defined]
    assert {"sentence", "term", "char_start", "char_end"} <= set(hits.columns)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["tag", str(ROOT / "corpus" / "01_jiesu_jiban.md"), "-t", "nosuch"], 1, "nosuch"),
        (["kwic", "自治", str(ROOT / "corpus"), "--status", "bogus"], 2, "--status"),
        (["ingest", "/nonexistent/folder"], 1, "no document was read"),
        (["run", str(ROOT / "corpus"), "--out", str(ROOT / "corpus" / "01_jiesu_jiban.md")], 1, "is a file"),
    ],
)
def test_cli_bad_arguments_give_one_clear_line(args: list[str], code: int, needle: str) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == code, result.output
    assert needle in result.output
    assert "Traceback" not in result.output
    assert (ROOT / "corpus" / "01_jiesu_jiban.md").is_file()


def test_cli_run_store_and_engine_options_then_sql(tmp_path: Path) -> None:
    store = tmp_path / "work.duckdb"
    args = ["run", str(ROOT / "corpus"), "--out", str(tmp_path / "r"), "--store", str(store), "-q"]
    result = runner.invoke(app, [*args, "--engine", "local", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert store.is_file() and not (tmp_path / "r" / "govtext.duckdb").exists()
    again = runner.invoke(app, [*args, "--workers", "1"])
    assert again.exit_code == 0, again.output
    table = runner.invoke(
        app,
        [
            "sql",
            "SELECT json_extract(reused, '$.segmented')::INT AS seg FROM runs ORDER BY started",
            "--store",
            str(store),
        ],
    )
    assert table.exit_code == 0, table.output
    assert table.output.split()[0] == "seg" and table.output.split()[-1] == "0"
    out_csv = tmp_path / "themes.csv"
    export = runner.invoke(
        app,
        [
            "sql",
            "SELECT theme, count(*) AS n FROM theme_hits GROUP BY 1",
            "--store",
            str(store),
            "--out",
            str(out_csv),
        ],
    )
    assert export.exit_code == 0, export.output
    assert out_csv.read_text(encoding="utf-8-sig").splitlines()[0] == "theme,n"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run", "corpus", "--engine", "spark"], "spark"),
        (["run", "corpus", "--workers", "-2"], "workers"),
        (["sql", "SELEC 1", "--store", "STORE"], "syntax error"),
        (["sql", "SELECT 1", "--store", "missing.duckdb"], "--store: no store at"),
    ],
)
def test_cli_run_and_sql_errors_are_one_line(tmp_path: Path, args: list[str], needle: str) -> None:
    if "STORE" in args:
        from govtext.store import Store

        Store(tmp_path / "s.duckdb").open().close()
        args = [str(tmp_path / "s.duckdb") if a == "STORE" else a for a in args]
    args = [str(tmp_path / a) if a.endswith(".duckdb") and not Path(a).is_absolute() else a for a in args]
    result = runner.invoke(
        app,
        [*args, "--out", str(tmp_path / "o.csv")]
        if args[0] == "sql"
        else [*args, "--out", str(tmp_path / "o")],
    )
    assert result.exit_code == 1
    assert needle in result.output and len(result.output.strip().splitlines()) == 1, result.output


def test_the_cli_exits_with_its_status_after_the_exit_handlers(tmp_path: Path) -> None:
    """``govtext`` ends with os._exit (govtext.cli._leave: no object-by-object teardown);
    the exit handlers still run, the streams are flushed and the status is kept."""
    import subprocess
    import sys

    code = (
        "import atexit, sys\n"
        "class Held:\n"
        "    def __del__(self, write=__import__('os').write): write(1, b'torn down\\n')\n"
        "held = Held()  # freed at the interpreter's teardown, which os._exit skips\n"
        "atexit.register(lambda: print('handler ran', flush=False))\n"
        "from govtext.cli import _leave\n"
        "print('buffered', end='')\n"
        "_leave(int(sys.argv[1]) if sys.argv[1].isdigit() else sys.argv[1])\n"
    )
    for arg, status, err in (("0", 0, ""), ("3", 3, ""), ("no input read", 1, "no input read\n")):
        done = subprocess.run([sys.executable, "-c", code, arg], capture_output=True, text=True, timeout=60)
        assert done.returncode == status
        assert done.stdout == "bufferedhandler ran\n" and done.stderr == err
    # under a profiler the program returns as usual, so the profiler can write its results
    profiled = "import sys; sys.setprofile(lambda *a: None)\n" + code
    done = subprocess.run([sys.executable, "-c", profiled, "3"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 3 and done.stdout == "bufferedhandler ran\ntorn down\n"
    # and a real command: its report written, status 0; a command that did nothing: not 0
    out = tmp_path / "r"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "govtext",
            "run",
            str(ROOT / "corpus"),
            "--out",
            str(out),
            "-q",
            "--workers",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert (out / "index.html").is_file() and (out / "run.json").is_file()
    empty = tmp_path / "empty"
    empty.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "govtext", "run", str(empty), "--out", str(tmp_path / "r2"), "-q"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0 and done.stderr
