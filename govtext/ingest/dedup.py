"""Duplicates: placeholder (exact hash only) until near-duplicate detection lands."""

from __future__ import annotations

from govtext.documents import Document, content_hash


class Deduplicator:
    def __init__(self, threshold: float = 0.8) -> None:
        self.threshold = threshold
        self._seen: dict[str, str] = {}

    def check(self, doc: Document) -> dict[str, str] | None:
        h = content_hash(doc.text)
        if h in self._seen:
            return {"duplicate_of": self._seen[h], "duplicate_kind": "exact"}
        self._seen[h] = doc.doc_id
        return None
