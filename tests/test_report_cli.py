"""`govtext compare` and `govtext report` as thin shells: the analysis is faked, the rendering is real."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest
import typer
from report_fixtures import make_result
from typer.testing import CliRunner

from govtext.cli import compare as cli_compare
from govtext.cli import report as cli_report
from govtext.errors import InputError
from govtext.results import RunResult


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> tuple[typer.Typer, list[dict[str, object]]]:
    calls: list[dict[str, object]] = []

    def analyze(paths: list[str], *, by: str, time_field: str = "", config: object = None) -> RunResult:
        call: dict[str, object] = {"paths": paths, "by": by, "time_field": time_field}
        if config is not None:
            call["topics"] = config.topics.enabled  # type: ignore[attr-defined]
        calls.append(call)
        if by == "nosuch":
            raise InputError("cannot group by 'nosuch': the documents have no such field")
        return make_result(time_field=time_field or None, by=by)

    fake = types.ModuleType("govtext.pipeline")
    fake.analyze = analyze  # type: ignore[attr-defined]
    fake.default_pipeline = lambda: types.SimpleNamespace(topics=types.SimpleNamespace(enabled=True))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "govtext.pipeline", fake)
    app = typer.Typer()
    cli_compare.register(app)
    cli_report.register(app)
    return app, calls


def test_report_cli_compare_prints_density_table(app: tuple[typer.Typer, list[dict[str, object]]]) -> None:
    typer_app, calls = app
    res = CliRunner().invoke(typer_app, ["compare", "some/dir", "--by", "province"])
    assert res.exit_code == 0, res.output
    assert calls == [{"paths": ["some/dir"], "by": "province", "time_field": "", "topics": False}]
    for text in ("北京", "浙江", "接诉即办", "吹哨报到", "per 10,000"):
        assert text in res.output


def test_report_cli_compare_json(app: tuple[typer.Typer, list[dict[str, object]]]) -> None:
    res = CliRunner().invoke(
        app[0], ["compare", "x", "--by", "province", "--table", "framework_balance", "--json"]
    )
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    assert {"province", "framework_name", "share"} <= set(rows[0]) and "group" not in rows[0]


def test_report_cli_error_is_one_line_exit_1(app: tuple[typer.Typer, list[dict[str, object]]]) -> None:
    res = CliRunner().invoke(app[0], ["compare", "x", "--by", "nosuch"])
    assert res.exit_code == 1
    assert "nosuch" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(app[0], ["compare", "x", "--by", "province", "--table", "nope"])
    assert res.exit_code == 1 and "theme_density" in res.output


def test_report_cli_report_writes_files(
    app: tuple[typer.Typer, list[dict[str, object]]], tmp_path: Path
) -> None:
    typer_app, calls = app
    out = tmp_path / "rep"
    res = CliRunner().invoke(
        typer_app,
        [
            "report",
            "a",
            "b",
            "--by",
            "province",
            "--time",
            "year",
            "--out",
            str(out),
            "--format",
            "html,json",
        ],
    )
    assert res.exit_code == 0, res.output
    assert calls[-1] == {"paths": ["a", "b"], "by": "province", "time_field": "year", "topics": True}
    assert (out / "index.html").is_file() and (out / "run.json").is_file()
    assert not (out / "report.md").exists()
    assert str(out / "index.html") in res.output


def test_report_cli_bad_format_fails_before_analysis(
    app: tuple[typer.Typer, list[dict[str, object]]],
) -> None:
    typer_app, calls = app
    res = CliRunner().invoke(typer_app, ["report", "a", "--by", "province", "--format", "html,pdf"])
    assert res.exit_code == 1 and "'pdf'" in res.output
    assert calls == []
