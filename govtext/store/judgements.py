"""Editors' judgements on theme tags (``govtext serve``): a hit marked wrong, or a theme
the rules missed in a sentence; one row per judgement in ``judgements``.

The table is made when a store first takes a judgement (``ensure_judgements``), not by a
migration: only the stores ``govtext serve`` writes to hold it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from govtext.store.connection import Connection, execute

_TABLE = """CREATE TABLE IF NOT EXISTS judgements (
    judgement_id VARCHAR PRIMARY KEY,
    created TIMESTAMP DEFAULT current_timestamp,
    doc_id VARCHAR NOT NULL,
    verdict VARCHAR NOT NULL,          -- 'wrong' (a hit is not the theme) or 'missed'
    theme VARCHAR NOT NULL,
    rule VARCHAR, term VARCHAR,
    char_start INTEGER, char_end INTEGER,
    sentence_index INTEGER,
    sentence VARCHAR NOT NULL,
    sentence_sha1 VARCHAR NOT NULL,
    predicted VARCHAR,                 -- themes the rules counted in the sentence, ';'-joined
    dictionary_hash VARCHAR,
    editor VARCHAR, note VARCHAR)"""

# The columns of ``judgements``, in order; ``created`` is set by the store.
JUDGEMENT_COLUMNS = (
    "judgement_id",
    "created",
    "doc_id",
    "verdict",
    "theme",
    "rule",
    "term",
    "char_start",
    "char_end",
    "sentence_index",
    "sentence",
    "sentence_sha1",
    "predicted",
    "dictionary_hash",
    "editor",
    "note",
)
_GIVEN = tuple(c for c in JUDGEMENT_COLUMNS if c != "created")


class JudgementTables(Connection):
    """The store's methods on ``judgements``."""

    def ensure_judgements(self) -> None:
        """Make the ``judgements`` table if this store has none yet."""
        execute(self.con, _TABLE)

    def add_judgement(self, row: Mapping[str, Any]) -> None:
        """Append one judgement: ``row`` has every column of ``JUDGEMENT_COLUMNS`` but
        ``created`` (the time it is stored)."""
        execute(
            self.con,
            f"INSERT INTO judgements ({', '.join(_GIVEN)}) VALUES ({', '.join('?' for _ in _GIVEN)})",
            [row[c] for c in _GIVEN],
        )

    def judgements(self) -> list[dict[str, Any]]:
        """Every judgement, oldest first, as a dict of its columns (``created`` a datetime)."""
        rows = execute(
            self.con, f"SELECT {', '.join(JUDGEMENT_COLUMNS)} FROM judgements ORDER BY created, judgement_id"
        )
        return [dict(zip(JUDGEMENT_COLUMNS, row, strict=True)) for row in rows]
