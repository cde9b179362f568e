"""`govtext topics`: table output, CSV tables in --out, JSON, and one-line errors."""

from __future__ import annotations

import importlib.util
import json
import sys
import types
from pathlib import Path

import pandas as pd
import pytest
import typer
from test_topics_units import planted_documents
from typer.testing import CliRunner

from govtext.cli.topics import register
from govtext.documents import Corpus, Document, Provenance


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:  # a group, so the command is invoked by name as in govtext
        pass

    return app


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Planted articles as .txt files; a stand-in reader when govtext.ingest is not installed."""
    root = tmp_path / "in"
    root.mkdir()
    for doc in planted_documents():
        (root / f"{doc.doc_id}.txt").write_text(doc.text, encoding="utf-8")
    if importlib.util.find_spec("govtext.ingest") is None:

        def read_corpus(paths: list[str], text_column: str | None = None) -> Corpus:
            files = sorted(p for path in paths for p in Path(path).glob("*.txt"))
            return Corpus.from_documents(
                Document(
                    doc_id=p.stem, text=p.read_text(encoding="utf-8"), provenance=Provenance(str(p), "txt")
                )
                for p in files
            )

        fake = types.ModuleType("govtext.ingest")
        fake.read_corpus = read_corpus  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "govtext.ingest", fake)
    return root


FAST = ["--k", "4", "--random-state", "0"]


def test_topics_cli_prints_table_and_writes_csv(app, folder: Path, tmp_path: Path):
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["topics", str(folder), *FAST, "--method", "nmf", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "nmf · K=4" in result.output
    for name in ("topic_summary", "topic_terms", "topic_k_curve", "doc_topics"):
        frame = pd.read_csv(out / f"{name}.csv", encoding="utf-8-sig")
        assert len(frame) > 0
    summary = pd.read_csv(out / "topic_summary.csv", encoding="utf-8-sig")
    assert len(summary) == 4
    assert all(str(label) in result.output for label in summary["label"])
    assert (out / "model" / "model.json").is_file()
    assert json.loads((out / "topics.json").read_text(encoding="utf-8"))["k_chosen"] == 4


def test_topics_cli_auto_k_json_and_prevalence_by(app, folder: Path, tmp_path: Path):
    out = tmp_path / "out"
    args = [
        "topics",
        str(folder),
        "--method",
        "lda",
        "--k",
        "auto",
        "--k-range",
        "3,6,2",
        "--by",
        "title",
        "--json",
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["settings"]["k_chosen"] in (3, 5)
    assert len(payload["topics"]) == payload["settings"]["k_chosen"]
    curve = pd.read_csv(out / "topic_k_curve.csv", encoding="utf-8-sig")
    assert curve["k"].tolist() == [3, 5] and curve["chosen"].sum() == 1
    assert (out / "topic_prevalence_by_title.csv").is_file()


def test_topics_cli_seeded_uses_the_theme_dictionary(app, folder: Path):
    result = CliRunner().invoke(app, ["topics", str(folder), "--method", "seeded", *FAST, "--json"])
    if importlib.util.find_spec("govtext.themes") is None:
        assert result.exit_code == 1 and "needs seed words" in result.output
    else:
        assert result.exit_code == 0, result.output
        payload = json.loads(result.output)
        assert {row["kind"] for row in payload["topics"]} <= {"seeded", "seeded (unnamed)", "free"}
        assert payload["settings"]["method"] == "seeded"


def test_topics_cli_errors_are_one_line(app, folder: Path):
    result = CliRunner().invoke(app, ["topics", str(folder), "--k", "0"])
    assert result.exit_code == 1
    assert "govtext topics: error:" in result.output and "'k' parameter" in result.output
    bad = CliRunner().invoke(app, ["topics", str(folder), "--k", "many"])
    assert bad.exit_code == 2 and "auto" in bad.output


def test_topics_cli_help_documents_every_option(app):
    result = CliRunner().invoke(app, ["topics", "--help"])
    assert result.exit_code == 0
    for option in ("--method", "--k", "--k-range", "--n-free", "--seed-level", "--unit", "--by", "--out"):
        assert option in result.output
