"""The store's judgements part: serve's SQL behind named Store methods."""

from __future__ import annotations

from pathlib import Path

import pytest

from govtext.store import Store
from govtext.store.judgements import JUDGEMENT_COLUMNS


def _row(jid: str, theme: str) -> dict[str, object]:
    given = {c: None for c in JUDGEMENT_COLUMNS if c != "created"}
    given.update(
        judgement_id=jid,
        doc_id="d1",
        verdict="missed",
        theme=theme,
        sentence="推进接诉即办。",
        sentence_sha1="x" * 40,
        sentence_index=3,
        predicted="party_building;complaint_response",
    )
    return given


def test_store_judgements_round_trip_oldest_first(tmp_path: Path) -> None:
    path = tmp_path / "j.duckdb"
    with Store(path) as store:
        store.ensure_judgements()
        store.ensure_judgements()  # a second call keeps what is there
        assert store.judgements() == []
        store.add_judgement(_row("b", "self_governance"))
        store.add_judgement(_row("a", "complaint_response"))
    with Store(path) as store:
        store.ensure_judgements()
        rows = store.judgements()
    assert [r["judgement_id"] for r in rows] in (["a", "b"], ["b", "a"])  # same second: by id
    assert rows == sorted(rows, key=lambda r: (r["created"], r["judgement_id"]))
    assert list(rows[0]) == list(JUDGEMENT_COLUMNS) and rows[0]["created"] is not None
    got = {r["judgement_id"]: r for r in rows}["b"]
    assert {k: got[k] for k in _row("b", "self_governance")} == _row("b", "self_governance")


def test_store_judgements_table_only_where_serve_writes(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        tables = set(store.sql("SELECT table_name FROM information_schema.tables")["table_name"])
        assert "judgements" not in tables
        with pytest.raises(KeyError):
            store.ensure_judgements()
            store.add_judgement({"judgement_id": "x"})  # every column but created is needed
