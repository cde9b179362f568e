"""Evidence: the best few sentences for each theme and group, with the matches marked.

A sentence ranks higher when more distinct terms of the theme match in it (then more
hits, then a length near a readable 40–120 characters); one sentence per document comes
first, so the evidence of a group is not all from its longest document.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

if TYPE_CHECKING:
    import pandas as pd

# Longest excerpt shown; longer sentences are cut around their first match.
MAX_CHARS = 160
_ANCHOR_BAD = re.compile(r"[^A-Za-z0-9_-]")


def doc_anchor(doc_id: str) -> str:
    """The HTML id of a document in the documents section (ids may hold any character)."""
    return "doc-" + _ANCHOR_BAD.sub(lambda m: f"_{ord(m.group()):x}", str(doc_id))


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def excerpt(
    sentence: str, spans: list[tuple[int, int]], max_chars: int = MAX_CHARS
) -> tuple[str, list[tuple[int, int]]]:
    """``sentence`` cut to ``max_chars`` around its first span, spans shifted to match."""
    spans = _merge([(max(a, 0), min(b, len(sentence))) for a, b in spans if b > a and a < len(sentence)])
    text = sentence.strip()
    lead = len(sentence) - len(sentence.lstrip())
    spans = [(a - lead, b - lead) for a, b in spans]
    if len(text) <= max_chars:
        return text, spans
    first = spans[0][0] if spans else 0
    start = max(0, min(first - max_chars // 3, len(text) - max_chars))
    end = start + max_chars
    cut = text[start:end]
    shifted = [(max(a - start, 0), min(b - start, len(cut))) for a, b in spans if a < end and b > start]
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return prefix + cut + suffix, [(a + len(prefix), b + len(prefix)) for a, b in shifted]


def highlight(text: str, spans: list[tuple[int, int]]) -> Markup:
    """HTML of ``text`` with each span in ``<mark>``; everything else escaped."""
    parts: list[str] = []
    pos = 0
    for a, b in _merge(spans):
        parts.append(str(escape(text[pos:a])))
        parts.append(f"<mark>{escape(text[a:b])}</mark>")
        pos = b
    parts.append(str(escape(text[pos:])))
    return Markup("".join(parts))


def markdown_highlight(text: str, spans: list[tuple[int, int]]) -> str:
    """Markdown of ``text`` with each span in bold; Markdown and HTML specials escaped."""

    def esc(s: str) -> str:
        s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return re.sub(r"([\\`*_\[\]|#{}])", r"\\\1", s)

    parts: list[str] = []
    pos = 0
    for a, b in _merge(spans):
        parts.append(esc(text[pos:a]))
        parts.append(f"**{esc(text[a:b])}**")
        pos = b
    parts.append(esc(text[pos:]))
    return "".join(parts).replace("\n", " ")


def select_evidence(
    hits: pd.DataFrame,
    groups: pd.Series,
    *,
    per_cell: int = 3,
) -> pd.DataFrame:
    """The best ``per_cell`` sentences for each (group, theme).

    ``groups`` maps doc_id → group label. Returns ``group, theme, name, doc_id, rank,
    sentence_index, terms, n_hits, excerpt, spans`` where ``spans`` are the marked
    character spans inside ``excerpt``.
    """
    import pandas as pd

    cols = [
        "group",
        "theme",
        "name",
        "doc_id",
        "rank",
        "sentence_index",
        "terms",
        "n_hits",
        "excerpt",
        "spans",
    ]
    need = {"doc_id", "theme", "start", "end", "sentence_index", "sentence", "sentence_start"}
    if hits is None or not len(hits) or not need <= set(hits.columns):
        return pd.DataFrame(columns=cols)
    h = hits.copy()
    h["group"] = h["doc_id"].map(groups)
    if "name" not in h.columns:
        h["name"] = h["theme"]
    if "term" not in h.columns:
        h["term"] = ""
    rows = []
    for (group, theme), cell in h.groupby(["group", "theme"], sort=False):
        cands = []
        for (doc_id, si), sent_hits in cell.groupby(["doc_id", "sentence_index"], sort=False):
            first = sent_hits.iloc[0]
            sentence = str(first["sentence"])
            base = int(first["sentence_start"])
            spans = [
                (int(a) - base, int(b) - base)
                for a, b in zip(sent_hits["start"], sent_hits["end"], strict=True)
            ]
            terms = sorted(set(map(str, sent_hits["term"])))
            length = len(sentence.strip())
            badness = 0 if 40 <= length <= 120 else min(abs(length - 40), abs(length - 120))
            cands.append(
                (-len(terms), -len(sent_hits), badness, str(doc_id), int(si), sentence, spans, terms, first)
            )
        cands.sort(key=lambda c: c[:5])
        chosen: list[Any] = []
        seen_docs: set[str] = set()
        seen_text: set[str] = set()
        # First pass: one sentence per document; second pass: fill up from any document.
        for one_per_doc in (True, False):
            for c in cands:
                if len(chosen) >= per_cell:
                    break
                key = c[5].strip()
                if key in seen_text or (one_per_doc and c[3] in seen_docs):
                    continue
                chosen.append(c)
                seen_docs.add(c[3])
                seen_text.add(key)
        for rank, c in enumerate(chosen, start=1):
            text, spans = excerpt(c[5], c[6])
            rows.append(
                {
                    "group": group,
                    "theme": theme,
                    "name": str(c[8]["name"]),
                    "doc_id": c[3],
                    "rank": rank,
                    "sentence_index": c[4],
                    "terms": "、".join(c[7]),
                    "n_hits": -c[1],
                    "excerpt": text,
                    "spans": spans,
                }
            )
    return pd.DataFrame(rows, columns=cols)
