"""What a corpus snapshot lacks, for the reuse planner (``govtext.reuse``): tokens
under new settings, hit sets of changed themes, and the empty sets a theme's strings
rule in by SQL alone."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from govtext.store.connection import Connection, execute

# Python's whitespace (str.isspace, what str.split drops) as an RE2 class: DuckDB's \s
# is ASCII only, and a term broken by an ideographic space is whole in the view.
_SQL_BLANK = "[" + "".join(f"\\x{{{c:x}}}" for c in range(0x3001) if chr(c).isspace()) + "]"

# RE2, DuckDB's regex engine, refuses a program past its size limit: a theme of 7,450
# four-character terms spelled with blanks between characters was measured past it.
# One pattern holds strings of at most this many characters and gaps, a fifth of that.
_PATTERN_BUDGET = 10_000


def _re2_patterns(lits: Sequence[str]) -> list[str]:
    """RE2 patterns that together match a text holding any of ``lits`` (whitespace
    allowed between characters), each within the size budget. A theme without strings
    (no rules) has no hit anywhere: one class matching nothing."""
    out: list[str] = []
    chunk: list[str] = []
    size = 0
    for lit in lits:
        cost = 2 * len(lit) - 1
        if chunk and size + cost > _PATTERN_BUDGET:
            out.append("|".join(chunk))
            chunk, size = [], 0
        chunk.append(_re2_spaced(lit))
        size += cost
    if chunk:
        out.append("|".join(chunk))
    return out or ["[^\\x{0}-\\x{10FFFF}]"]


def _re2_spaced(text: str) -> str:
    """An RE2 pattern for ``text`` with any run of whitespace between its characters
    (the strings here have no ASCII, but escape them all the same)."""
    return (_SQL_BLANK + "*").join(re.escape(ch) for ch in text)


class SnapshotQueries(Connection):
    """The store's questions about a snapshot (``snapshot_documents``) against
    ``tokens`` and ``hit_sets``."""

    def snapshot_size(self, snapshot: str) -> int:
        """The number of documents saved under ``snapshot``."""
        rows = execute(self.con, "SELECT count(*) FROM snapshot_documents WHERE snapshot = ?", [snapshot])
        return int(rows[0][0])

    def snapshot_without_tokens(self, snapshot: str, settings_hash: str) -> int:
        """The number of the snapshot's documents whose text has no tokens stored under
        ``settings_hash`` (the segmenter changed since they were read)."""
        rows = execute(
            self.con,
            "SELECT count(*) FROM snapshot_documents s ANTI JOIN tokens t "
            "ON t.text_hash = s.text_hash AND t.settings_hash = ? WHERE s.snapshot = ?",
            [settings_hash, snapshot],
        )
        return int(rows[0][0])

    def snapshot_incomplete_themes(self, snapshot: str, theme_hashes: Mapping[str, str]) -> dict[str, str]:
        """The themes of ``theme_hashes`` (id → hash) whose hit set some document key of
        the snapshot lacks. A theme's sets are counted, not listed, so the usual cases
        (every set there; a new theme nowhere) cost one aggregate each."""
        have = dict(
            execute(
                self.con,
                "SELECT h.dictionary_hash, count(*) FROM hit_sets h "
                "JOIN (SELECT DISTINCT hits_key FROM snapshot_documents WHERE snapshot = ?) k USING (hits_key) "
                "WHERE h.dictionary_hash IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1",
                [snapshot, list(theme_hashes.values())],
            )
        )
        ((n_keys,),) = execute(
            self.con,
            "SELECT count(DISTINCT hits_key) FROM snapshot_documents WHERE snapshot = ?",
            [snapshot],
        )
        return {t: h for t, h in theme_hashes.items() if have.get(h, 0) < n_keys}

    def _snapshot_lacking(self, snapshot: str, themes: Mapping[str, str], what: str, group: str) -> list[Any]:
        return execute(
            self.con,
            f"SELECT {what} FROM snapshot_documents s CROSS JOIN "
            "(SELECT unnest(?::VARCHAR[]) AS theme, unnest(?::VARCHAR[]) AS th) t "
            "ANTI JOIN hit_sets h ON h.hits_key = s.hits_key AND h.dictionary_hash = t.th "
            f"WHERE s.snapshot = ?{group}",
            [list(themes), list(themes.values()), snapshot],
        )

    def snapshot_count_lacking(self, snapshot: str, themes: Mapping[str, str]) -> int:
        """The number of the snapshot's documents that lack the hit set of one of
        ``themes`` (id → hash) or more."""
        return int(self._snapshot_lacking(snapshot, themes, "count(DISTINCT s.ord)", "")[0][0])

    def snapshot_lacking(self, snapshot: str, themes: Mapping[str, str]) -> list[tuple[int, list[str]]]:
        """Per document key of the snapshot that lacks the hit set of one of ``themes``
        (id → hash) or more: its first position in the snapshot and the themes it lacks
        (sorted)."""
        rows = self._snapshot_lacking(
            snapshot, themes, "min(s.ord), list(t.theme ORDER BY t.theme)", " GROUP BY s.hits_key"
        )
        return [(int(o), sorted(lacks)) for o, lacks in rows]

    def put_absent_hit_sets(
        self, snapshot: str, settings_hash: str, theme_hash: str, literals: Sequence[str]
    ) -> bool:
        """Record an empty hit set of the theme ``theme_hash`` for every document key of
        the snapshot whose text cannot hold it: the text (or, for a text with traditional
        characters, its view as stored with its tokens under ``settings_hash``), whitespace
        removed, holds none of ``literals`` (strings without ASCII or whitespace, all the
        theme's rules need one of). Keys that have the set already are left alone; so
        are texts recorded without their view. False, and nothing written, when RE2
        refuses a pattern (its size limit, whatever the budget): the caller matches those
        texts instead."""
        import duckdb

        # "Whitespace removed" is in the pattern (any blanks between the characters):
        # ten times quicker than removing it from every text first.
        patterns = _re2_patterns(literals)
        holds = " OR ".join(["regexp_matches(coalesce(t.view_text, d.text), ?)"] * len(patterns))
        try:
            with self.transaction():
                execute(
                    self.con,
                    "INSERT INTO hit_sets (hits_key, dictionary_hash, n_hits) "
                    "SELECT DISTINCT s.hits_key, ?, 0 FROM snapshot_documents s "
                    "JOIN documents d USING (doc_id) "
                    "JOIN tokens t ON t.text_hash = s.text_hash AND t.settings_hash = ? "
                    "WHERE s.snapshot = ? AND (t.view_plain OR t.view_text IS NOT NULL) "
                    f"AND NOT ({holds}) "
                    "AND NOT EXISTS (SELECT 1 FROM hit_sets h WHERE h.hits_key = s.hits_key "
                    "AND h.dictionary_hash = ?)",
                    [theme_hash, settings_hash, snapshot, *patterns, theme_hash],
                )
        except duckdb.InvalidInputException:
            return False
        return True
