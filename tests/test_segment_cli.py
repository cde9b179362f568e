"""``govtext segment`` and ``govtext vocab discover`` through Typer's test runner."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from govtext.cli import segment as segment_cli
from govtext.cli import vocab as vocab_cli
from govtext.documents import Corpus, Document

runner = CliRunner()


@pytest.fixture
def app(monkeypatch) -> typer.Typer:
    try:
        import govtext.ingest  # noqa: F401  (the real reader, once merged)
    except ImportError:
        # ingest is written in parallel: a stand-in that reads .txt files, one document each
        stub = types.ModuleType("govtext.ingest")

        def read_corpus(paths: list[str]) -> Corpus:
            files = [
                p
                for path in map(Path, paths)
                for p in (sorted(path.glob("*.txt")) if path.is_dir() else [path])
            ]
            return Corpus.from_documents(
                Document(doc_id=p.stem, text=p.read_text(encoding="utf-8")) for p in files
            )

        stub.read_corpus = read_corpus  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "govtext.ingest", stub)
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """govtext (test app)"""

    segment_cli.register(app)
    vocab_cli.register(app)
    return app


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "docs"
    d.mkdir()
    (d / "a.txt").write_text("推动接诉即办向未诉先办延伸。", encoding="utf-8")
    (d / "b.txt").write_text("深化吹哨报到改革，\n健全基层群众自治制度。", encoding="utf-8")
    return d


def test_segment_cli_text_one_document_a_line(app, folder):
    res = runner.invoke(app, ["segment", str(folder)])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0] == "推动 接诉即办 向 未诉先办 延伸 。"
    assert lines[1].split()[:3] == ["深化", "吹哨报到", "改革"]


def test_segment_cli_jsonl_with_pos(app, folder, tmp_path):
    out = tmp_path / "tokens.jsonl"
    res = runner.invoke(app, ["segment", str(folder), "--pos", "--format", "jsonl", "--out", str(out)])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["doc_id"] for r in rows] == ["a", "b"]
    assert rows[0]["tokens"][1] == "接诉即办" and rows[0]["pos"][1] == "nz"
    assert len(rows[1]["tokens"]) == len(rows[1]["pos"])


def test_segment_cli_store_reuses_tokens(app, folder, tmp_path):
    store = tmp_path / "w.duckdb"
    first = runner.invoke(app, ["segment", str(folder), "--store", str(store)])
    second = runner.invoke(app, ["segment", str(folder), "--store", str(store)])
    assert first.exit_code == second.exit_code == 0
    assert first.stdout == second.stdout
    assert store.exists()


def test_segment_cli_bad_user_dict_is_one_line_error(app, folder, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("小巷管家 很多 nz\n", encoding="utf-8")
    res = runner.invoke(app, ["segment", str(folder), "--user-dict", str(bad)])
    assert res.exit_code == 1
    assert f"{bad}:1:" in res.stderr
    assert "Traceback" not in res.output


def test_vocab_cli_discover_writes_user_dict(app, tmp_path):
    d = tmp_path / "docs"
    d.mkdir()
    for i, place in enumerate(["东城", "西城", "朝阳", "海淀", "丰台", "通州"]):
        (d / f"{i}.txt").write_text(
            f"{place}推行“小巷管家”制度，小巷管家{'走访巡查协调'[i]}街巷。", encoding="utf-8"
        )
    out = tmp_path / "proposed.txt"
    res = runner.invoke(app, ["vocab", "discover", str(d), "--min-count", "3", "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert rows[0]["phrase"] == "小巷管家" and rows[0]["count"] == 12
    assert "小巷管家" in out.read_text(encoding="utf-8")


def test_segment_cli_commands_have_help(app):
    for args in (["segment", "--help"], ["vocab", "discover", "--help"]):
        res = runner.invoke(app, args)
        assert res.exit_code == 0 and "Usage" in res.stdout


def test_segment_cli_workers_read_as_the_engine_reads_them(app, folder):
    """--workers means what it means for govtext run: EngineConfig reads it, notes a
    count past the cores in the same words, and the tokens do not depend on it."""
    from govtext.engine import EngineConfig, usable_cores

    many = usable_cores() + 5
    res = runner.invoke(app, ["segment", str(folder), "--workers", str(many)])
    assert res.exit_code == 0, res.output
    assert f"govtext segment: note: {EngineConfig(workers=many).clamp_note}" in res.stderr
    assert res.stdout == runner.invoke(app, ["segment", str(folder), "--workers", "1"]).stdout
