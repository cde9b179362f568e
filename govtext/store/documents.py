"""Documents and corpus snapshots: a corpus as read from its files, kept so that a
re-run over unchanged files takes it from here instead of reading them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from govtext.store.connection import Connection, columns, execute

if TYPE_CHECKING:
    from govtext.documents import Corpus, Document, FileRecord

# Everything load_corpus rebuilds a document from, as one hash (SQL over ``documents d``).
_ROW_HASH = (
    "md5(concat_ws(chr(31), d.doc_id, d.text_hash, d.hits_key, d.title, d.authors_json, d.source, "
    "d.date, d.meta, d.path, d.format, d.encoding, d.position, hex(d.paragraphs)))"
)


def _packed_paragraphs(spans: Sequence[tuple[int, int]]) -> bytes | None:
    """Paragraph spans packed as token spans are; None when they are not in order and
    apart (the packing stores gaps), which keeps such a corpus out of snapshots."""
    from govtext.tokens import pack_spans

    prev = 0
    for a, b in spans:
        if a < prev or b < a:
            return None
        prev = b
    return pack_spans([a for a, _ in spans], [b for _, b in spans])


class DocumentTables(Connection):
    """The store's methods on ``documents``, ``snapshots`` and ``snapshot_documents``."""

    def put_documents(
        self,
        docs: Iterable[Document],
        *,
        with_text: bool = True,
        hits_keys: Sequence[str] | None = None,
        text_hashes: Sequence[str] | None = None,
    ) -> int:
        """Insert or replace documents (metadata, provenance and, by default, text).

        ``hits_keys`` (one per document) link each document to its rows in ``theme_hits``;
        ``text_hashes`` are the texts' content hashes when the caller has them.
        """

        from govtext.documents import content_hash

        rows = []
        for i, d in enumerate(docs):
            p = d.provenance
            # Document.n_chars counts in a Python loop; str.split drops whitespace runs in C
            n_chars = sum(map(len, d.text.split()))
            rows.append(
                {
                    "doc_id": d.doc_id,
                    "text_hash": text_hashes[i] if text_hashes is not None else content_hash(d.text),
                    "title": d.title,
                    "authors": "、".join(d.authors),
                    "source": d.source,
                    "date": d.date,
                    "year": d.year,
                    "meta": json.dumps(dict(d.meta), ensure_ascii=False),
                    "path": p.path if p else None,
                    "format": p.format if p else None,
                    "encoding": p.encoding if p else None,
                    "position": p.position if p else None,
                    "n_chars": n_chars,
                    "text": d.text if with_text else None,
                    "paragraphs": _packed_paragraphs(d.paragraphs),
                    "authors_json": json.dumps(list(d.authors), ensure_ascii=False),
                    "hits_key": hits_keys[i] if hits_keys is not None else None,
                }
            )
        if not rows:
            return 0
        names = list(rows[0])
        frame = columns(names, [list(r.values()) for r in rows])
        cols = ", ".join(names)
        select = ", ".join(f"{c}::BLOB" if c == "paragraphs" else c for c in names)
        with self._registered("govtext_new_documents", frame):
            execute(
                self.con,
                f"INSERT OR REPLACE INTO documents ({cols}) SELECT {select} FROM govtext_new_documents",
            )
        return len(rows)

    # -- corpus snapshots --------------------------------------------------------------

    def put_snapshot(self, snapshot: str, doc_ids: Sequence[str], manifest: Sequence[FileRecord]) -> None:
        """Remember a corpus under ``snapshot``: the ids of its documents, in order (their
        rows, with text, are already in ``documents``), and its manifest."""
        import dataclasses

        frame = columns(["ord", "doc_id"], list(enumerate(doc_ids)))
        listing = json.dumps([dataclasses.asdict(f) for f in manifest], ensure_ascii=False)
        with self._registered("govtext_new_snapshot", frame), self.transaction():
            execute(self.con, "DELETE FROM snapshot_documents WHERE snapshot = ?", [snapshot])
            execute(
                self.con,
                "INSERT INTO snapshot_documents SELECT ?, n.ord, n.doc_id, d.text_hash, d.hits_key, "
                f"{_ROW_HASH} FROM govtext_new_snapshot n JOIN documents d USING (doc_id)",
                [snapshot],
            )
            execute(
                self.con,
                "INSERT OR REPLACE INTO snapshots (snapshot, manifest, n_documents) VALUES (?, ?, ?)",
                [snapshot, listing, len(doc_ids)],
            )

    def has_snapshot(self, snapshot: str) -> bool:
        """True when the snapshot exists and every one of its documents is still stored
        as it was, text, metadata and provenance alike (another corpus in this store may
        have reused a doc_id, or the same files been read with other metadata)."""
        rows = execute(self.con, "SELECT n_documents FROM snapshots WHERE snapshot = ?", [snapshot])
        if not rows:
            return False
        ok = execute(
            self.con,
            "SELECT count(*) FROM snapshot_documents s JOIN documents d USING (doc_id) "
            f"WHERE s.snapshot = ? AND s.row_hash = {_ROW_HASH} "
            "AND d.text IS NOT NULL AND d.paragraphs IS NOT NULL",
            [snapshot],
        )
        return int(ok[0][0]) == int(rows[0][0])

    def load_corpus(self, snapshot: str, *, only: Iterable[int] | None = None) -> Corpus:
        """The corpus saved under ``snapshot``: documents in their order, and the manifest
        (``only``: just the documents at these positions)."""
        from govtext.documents import Corpus, Document, FileRecord, Provenance

        (manifest,) = execute(self.con, "SELECT manifest FROM snapshots WHERE snapshot = ?", [snapshot])[0]
        rows = execute(
            self.con,
            "SELECT d.doc_id, d.text, d.title, d.authors_json, d.source, d.date, d.meta, d.path, "
            "d.format, d.encoding, d.position, d.paragraphs FROM snapshot_documents s "
            "JOIN documents d USING (doc_id) WHERE s.snapshot = ? "
            + ("AND s.ord IN (SELECT unnest(?::INTEGER[])) " if only is not None else "")
            + "ORDER BY s.ord",
            [snapshot, sorted(only)] if only is not None else [snapshot],
        )
        # Each column's JSON parsed in one call: a call per value cost 0.08 s on a re-run of
        # ../shared/corpus (Document copies what it is given, so nothing is shared).
        authors_of = json.loads("[" + ",".join(r[3] for r in rows) + "]")
        meta_of = json.loads("[" + ",".join(r[6] for r in rows) + "]")
        docs = []
        for row, authors, meta in zip(rows, authors_of, meta_of, strict=True):
            doc_id, text, title, _, source, date, _, path, fmt, enc, pos, paras = row
            docs.append(
                Document(
                    doc_id=doc_id,
                    text=text,
                    title=title or "",
                    authors=tuple(authors),
                    source=source or "",
                    date=date or "",
                    meta=meta,
                    paragraphs=_paragraph_spans(paras),
                    provenance=Provenance(path, fmt, enc or "", pos or 0) if path is not None else None,
                )
            )
        return Corpus(documents=docs, files=[FileRecord(**f) for f in json.loads(manifest)])


def _paragraph_spans(raw: bytes) -> tuple[tuple[int, int], ...]:
    """``govtext.tokens.unpack_spans`` as (start, end) pairs, in plain Python: a document
    has a few dozen paragraphs, too few for numpy's per-call cost (0.13 s over the 7,884
    documents of ../shared/corpus on a re-run)."""
    # pack_spans' type codes as memoryview formats (native order, as numpy wrote them)
    code = raw[:1]
    both = memoryview(raw)[1:].cast("B" if code == b"1" else "H" if code == b"2" else "q")
    n = len(both) // 2
    out = []
    end = 0
    for gap, length in zip(both[:n], both[n:], strict=True):
        start = end + gap
        end = start + length
        out.append((start, end))
    return tuple(out)
