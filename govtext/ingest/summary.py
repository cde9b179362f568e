"""The manifest and documents as plain data, for ``govtext ingest --json`` and ``govtext run``."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from govtext.documents import Corpus, Document, FileRecord

LOSSY_MARK = "U+FFFD"  # decode reasons carry it when characters were replaced


def file_row(record: FileRecord) -> dict[str, Any]:
    """path, status, reason, n_documents, encoding, format."""
    return asdict(record)


def document_row(doc: Document, *, with_text: bool = False) -> dict[str, Any]:
    """id, title, authors, source, date, year, all metadata, characters; the text if asked."""
    row: dict[str, Any] = {
        "id": doc.doc_id,
        "title": doc.title,
        "authors": list(doc.authors),
        "source": doc.source,
        "date": doc.date,
        "year": doc.year,
        "meta": dict(doc.meta),
        "n_chars": doc.n_chars,
        "n_paragraphs": len(doc.paragraphs),
    }
    if doc.provenance is not None:
        row.update(
            path=doc.provenance.path,
            format=doc.provenance.format,
            encoding=doc.provenance.encoding,
            position=doc.provenance.position,
        )
    if with_text:
        row["text"] = doc.text
    return row


def corpus_json(corpus: Corpus, *, with_text: bool = False) -> dict[str, list[dict[str, Any]]]:
    """``{"files": [...], "documents": [...]}`` as ``govtext ingest --json`` prints it."""
    return {
        "files": [file_row(f) for f in corpus.files],
        "documents": [document_row(d, with_text=with_text) for d in corpus.documents],
    }


def problems(corpus: Corpus) -> list[FileRecord]:
    """Files a strict run refuses: skipped, failed, or decoded with replacement characters."""
    return [f for f in corpus.files if f.status != "read" or LOSSY_MARK in f.reason]


def unread_message(files: list[FileRecord], limit: int = 5) -> str:
    """Why no document was read, file by file (the first ``limit``), for one error line.

    >>> unread_message([FileRecord("/x", "failed", "no such file or directory")])
    'no documents were read: /x: no such file or directory'
    """
    if not files:
        return "no documents were read: no input files were given"
    shown = "; ".join(f"{f.path}: {f.reason or f.status}" for f in files[:limit])
    more = (
        f"; and {len(files) - limit} more file(s) (govtext ingest lists them all)"
        if len(files) > limit
        else ""
    )
    return f"no documents were read: {shown}{more}"


def counts(corpus: Corpus) -> dict[str, int]:
    """Files by status, plus the number of documents."""
    out = {"read": 0, "skipped": 0, "failed": 0}
    for f in corpus.files:
        out[f.status] = out.get(f.status, 0) + 1
    out["documents"] = len(corpus.documents)
    return out


def write_manifest(corpus: Corpus, path: str | Path) -> Path:
    """Write ``corpus_json(corpus)`` (no texts) to ``path`` as UTF-8 JSON; for ``govtext run``,
    which keeps the manifest beside its report. Returns the path written."""
    import os
    import secrets

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (json.dumps(corpus_json(corpus), ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    # Through a temporary file and a rename, so a killed run leaves the old manifest or the
    # new one; created with mode 0666 so the umask, not a private default, decides who reads it.
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
