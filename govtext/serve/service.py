"""The work behind each endpoint, as plain functions of a fitted Matcher (no web framework).

>>> from govtext.themes import Matcher
>>> m = Matcher().fit()
>>> r = tag_text(m, "广西壮族自治区推进村民自治。", explain=True)
>>> [h["term"] for h in r["hits"]], [v["reason"] for v in r["vetoed"]]
(['村民自治'], ['exclude_overlap:自治区'])
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from govtext.documents import Document
from govtext.errors import InputError
from govtext.themes.matcher import Matcher
from govtext.themes.tagging import Utf16Offsets, dictionary_info, tag_record

# Theme colours of the page, in dictionary order (light enough to read black text on).
PALETTE = (
    "#ffd54f",
    "#81d4fa",
    "#a5d6a7",
    "#f48fb1",
    "#ce93d8",
    "#ffab91",
    "#80cbc4",
    "#c5e1a5",
    "#b39ddb",
    "#ef9a9a",
    "#90caf9",
    "#e6ee9c",
)

UPLOAD_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".docx", ".pdf")

# Control characters (but tab and line breaks) and lone surrogates: replaced one for one
# with U+FFFD, never removed, so every offset still points into the client's own text.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` with characters no page or file should carry replaced, length kept.

    >>> clean_text("居民\\x00议事")
    '居民\\ufffd议事'
    """
    return _UNSAFE.sub("\ufffd", text) if _UNSAFE.search(text) else text


def document(text: str, doc_id: str = "", title: str = "") -> Document:
    """A Document of posted text; InputError when there is nothing to tag."""
    if not text.strip():
        raise InputError("'text' is empty: send the article's text (a non-empty string) in 'text'")
    return Document(doc_id=clean_text(doc_id) or "article", text=clean_text(text), title=clean_text(title))


def tag_doc(
    matcher: Matcher,
    doc: Document,
    *,
    metadata: Mapping[str, Any] | None = None,
    evidence: int = 3,
    hits: bool = True,
    explain: bool = False,
    sentences: bool = False,
    text: bool = False,
) -> dict[str, Any]:
    """The tag record of one document (schema: ``govtext.themes.tagging.tag_schema_path``)."""
    record = tag_record(doc, matcher, max_evidence=evidence, explain=explain, hits=hits)
    if metadata is not None:
        record["metadata"] = dict(metadata)
    if sentences:
        from govtext.sentences import split_sentences

        u16 = Utf16Offsets(doc.text)
        record["sentences"] = [
            {"start": a, "end": b, "start_utf16": u16(a), "end_utf16": u16(b)}
            for a, b in split_sentences(doc.text)
        ]
    if text:
        record["text"] = doc.text
    return record


def tag_text(
    matcher: Matcher, text: str, doc_id: str = "", title: str = "", **options: Any
) -> dict[str, Any]:
    return tag_doc(matcher, document(text, doc_id, title), **options)


def themes_info(matcher: Matcher) -> dict[str, Any]:
    """Frameworks with their themes (id, names, description, colour) in dictionary order."""
    d = matcher.dictionary_
    colour = {tid: PALETTE[i % len(PALETTE)] for i, tid in enumerate(d.themes)}
    frameworks = [
        {
            "id": f.id,
            "name": f.name,
            "name_en": f.name_en,
            "themes": [tid for tid in f.themes if tid in d.themes],
        }
        for f in d.frameworks
    ]
    loose = [tid for tid, t in d.themes.items() if not t.framework]
    if loose:
        frameworks.append({"id": "", "name": "其他", "name_en": "Other", "themes": loose})
    return {
        "dictionary": dictionary_info(matcher),
        "frameworks": frameworks,
        "themes": [
            {
                "id": t.id,
                "name": t.name,
                "name_en": t.name_en,
                "description": t.description,
                "framework": t.framework,
                "colour": colour[t.id],
            }
            for t in d.themes.values()
        ],
    }


def dictionary_summary(matcher: Matcher) -> dict[str, Any]:
    d = matcher.dictionary_
    rules = d.rules()
    return {
        **dictionary_info(matcher),
        "n_frameworks": len(d.frameworks),
        "n_themes": len(d.themes),
        "n_rules": len(rules),
        "n_terms": sum(len(r.terms) for r in rules),
        "n_regex": sum(len(r.regex) for r in rules),
        "themes": list(d.themes),
        # file names only: the server's own paths are nobody else's business
        "sources": [Path(p).name for p in d.source_paths],
    }


def kwic_lines(matcher: Matcher, doc: Document, query: str, width: int = 20) -> list[dict[str, Any]]:
    """Every occurrence of ``query`` (a term, a theme id or ``theme:NAME``) with its verdict."""
    from govtext.concordance import kwic

    if not query.strip():
        raise InputError("'query' is empty: send a term (自治), a theme id (self_governance) or theme:NAME")
    u16 = Utf16Offsets(doc.text)
    out = []
    for line in kwic([doc], query, matcher, width=width):
        rec = dict(line.__dict__)
        rec["themes"] = list(line.themes)
        rec["rules"] = list(line.rules)
        rec["start_utf16"], rec["end_utf16"] = u16(line.start), u16(line.end)
        out.append(rec)
    return out


def ingest_upload(
    data: bytes, filename: str, *, timeout: float = 120.0
) -> tuple[list[Document], dict[str, Any]]:
    """Documents of an uploaded file, read by govtext's own ingest (encoding detection,
    boilerplate removal, multi-article pages), and the file's manifest line.

    The bytes are written to a fresh private folder under a name the server makes (only
    the suffix of ``filename`` is kept), so no path from a request is ever opened.
    ``timeout`` bounds the extraction (a PDF or .docx that takes longer is reported failed).
    """
    from govtext.ingest import read_corpus

    suffix = Path(filename or "").suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise InputError(
            f"upload {filename!r}: unsupported file type {suffix or '(none)'!r}; send one of {', '.join(UPLOAD_SUFFIXES)}"
        )
    if not data:
        raise InputError(f"upload {filename!r}: the file is empty (0 bytes)")
    with tempfile.TemporaryDirectory(prefix="govtext-serve-") as tmp:
        # The stem names the document (its doc_id); only word characters of it are kept.
        stem = re.sub(r"[^\w-]", "_", Path(filename).stem)[:80].strip("._") or "upload"
        path = Path(tmp) / f"{stem}{suffix}"
        path.write_bytes(data)
        corpus = read_corpus([path], recursive=False, extract_timeout=timeout)
    record = corpus.files[0] if corpus.files else None
    status = str(getattr(record.status, "value", record.status)) if record else "failed"
    reason = record.reason if record else "nothing was read"
    manifest = {
        "file": filename,
        "status": status,
        "reason": reason.replace(str(path), filename).replace(tmp, "") if reason else "",
        "format": record.format if record else "",
        "encoding": record.encoding if record else "",
        "n_documents": len(corpus.documents),
    }
    return corpus.documents, manifest
