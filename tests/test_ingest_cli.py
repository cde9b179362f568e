"""``govtext ingest``: the manifest as a table or JSON, --strict, option errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from govtext.cli.ingest import register

TEXT = "楼道里的自行车挪走了，消防通道畅通了，邻居们在群里互相点赞。"


@pytest.fixture()
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:  # a group, as in govtext's real app
        pass

    return app


@pytest.fixture()
def inbox(tmp_path: Path) -> Path:
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "rows.csv").write_text(f"区,内容\n东城,{TEXT}\n西城,{TEXT}再来一句。\n", encoding="utf-8")
    return tmp_path


def _run(app: typer.Typer, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["ingest", *args], env={"COLUMNS": "250"})
    return result.exit_code, result.stdout, result.stderr


def test_ingest_cli_json_lists_files_and_documents(app: typer.Typer, inbox: Path) -> None:
    code, out, _ = _run(app, str(inbox), "--json")
    assert code == 0
    data = json.loads(out)
    assert [(Path(f["path"]).name, f["status"], f["n_documents"]) for f in data["files"]] == [
        ("a.txt", "read", 1),
        ("rows.csv", "read", 2),
    ]
    assert [d["id"] for d in data["documents"]] == ["a", "rows#1", "rows#2"]
    assert data["documents"][1]["meta"]["区"] == "东城"
    assert all("text" not in d and d["n_chars"] > 0 for d in data["documents"])


def test_ingest_cli_with_text_includes_the_cleaned_text(app: typer.Typer, inbox: Path) -> None:
    code, out, _ = _run(app, str(inbox / "a.txt"), "--json", "--with-text")
    assert code == 0
    assert json.loads(out)["documents"][0]["text"] == TEXT


def test_ingest_cli_table_shows_every_file_and_a_summary(app: typer.Typer, inbox: Path) -> None:
    (inbox / "logo.png").write_bytes(b"\x89PNG")
    code, out, _ = _run(app, str(inbox))
    assert code == 0
    assert "logo.png" in out and "unsupported" in out and "skipped" in out
    assert "3 file(s): 2 read (3 documents), 1 skipped, 0 failed" in out


def test_ingest_cli_strict_fails_on_any_skip_or_failure(app: typer.Typer, inbox: Path) -> None:
    assert _run(app, str(inbox), "--strict")[0] == 0
    (inbox / "empty.txt").write_bytes(b"")
    code, _, err = _run(app, str(inbox), "--strict", "--json")
    assert code == 1 and "--strict" in err and "empty.txt" in err
    assert _run(app, str(inbox))[0] == 0  # without --strict a skip is not an error


def test_ingest_cli_passes_text_column_and_path_pattern(app: typer.Typer, inbox: Path) -> None:
    code, out, _ = _run(
        app, str(inbox / "rows.csv"), "--json", "--text-column", "区", "--path-pattern", "{name}.csv"
    )
    assert code == 0
    docs = json.loads(out)["documents"]
    assert [d["meta"]["name"] for d in docs] == ["rows", "rows"]
    assert [d["n_chars"] for d in docs] == [2, 2]  # the district names are now the text


def test_ingest_cli_option_errors_exit_1_with_one_line(app: typer.Typer, inbox: Path) -> None:
    code, out, err = _run(app, str(inbox), "--encoding", "no-such-codec")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "no-such-codec" in err and "gb18030" in err


def test_ingest_cli_has_help(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["ingest", "--help"])
    assert result.exit_code == 0
    for option in ("--json", "--with-text", "--text-column", "--path-pattern", "--strict", "--encoding"):
        assert option in result.stdout


def test_ingest_write_manifest_for_run(tmp_path: Path, inbox: Path) -> None:
    from govtext.ingest import read_corpus
    from govtext.ingest.summary import write_manifest

    out = write_manifest(read_corpus([inbox]), tmp_path / "report" / "manifest.json")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [f["status"] for f in data["files"]] == ["read", "read"] and len(data["documents"]) == 3
    assert "text" not in data["documents"][0]
