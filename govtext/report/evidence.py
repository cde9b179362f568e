"""Evidence: the best few sentences for each theme and group, with the matches marked.

A sentence ranks higher when more distinct terms of the theme match in it (then more
hits, then a length near a readable 40–120 characters); one sentence per document comes
first, so the evidence of a group is not all from its longest document.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

if TYPE_CHECKING:
    import pandas as pd

# Longest excerpt shown; longer sentences are cut around their first match.
MAX_CHARS = 160
_ANCHOR_BAD = re.compile(r"[^A-Za-z0-9-]")


def doc_anchor(doc_id: str) -> str:
    """The HTML id of a document in the documents section (ids may hold any character).

    Letters, digits and ``-`` stay; any other character becomes ``_<hex code>_``, so two
    different ids never share an anchor.
    """
    return "doc-" + _ANCHOR_BAD.sub(lambda m: f"_{ord(m.group()):x}_", str(doc_id))


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


EVIDENCE_COLUMNS = [
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


def _ranked_candidates(h: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One candidate sentence per (group, theme, document, sentence), ranked within each
    (group, theme): most distinct terms, most hits, a readable length, one per document first."""
    # One candidate per (group, theme, sentence), ranked without a Python loop: corpora of
    # 100,000 hotline records give hundreds of thousands of hits.
    cand = h.groupby(keys, sort=False).agg(
        n_terms=("term", "nunique"),
        n_hits=("char_start", "size"),
        sentence=("sentence", "first"),
        name=("name", "first"),
    )
    cand = cand.reset_index()
    cand["text"] = cand["sentence"].astype(str).str.strip()
    length = cand["text"].str.len()
    cand["badness"] = (40 - length).clip(lower=0) + (length - 120).clip(lower=0)
    cand["doc_key"] = cand["doc_id"].astype(str)
    cand = cand.sort_values(
        ["group", "theme", "n_terms", "n_hits", "badness", "doc_key", "sentence_index"],
        ascending=[True, True, False, False, True, True, True],
        kind="mergesort",
    )
    cand = cand.drop_duplicates(["group", "theme", "text"])
    # One sentence per document first, then the next best from any document.
    cand["second"] = cand.groupby(["group", "theme", "doc_key"], sort=False).cumcount() > 0
    cand = cand.sort_values(["group", "theme", "second"], kind="mergesort")
    cand["rank"] = cand.groupby(["group", "theme"], sort=False).cumcount() + 1
    return cand


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

    cols = EVIDENCE_COLUMNS
    need = {"doc_id", "theme", "char_start", "char_end", "sentence_index", "sentence", "sentence_start"}
    if hits is None or not len(hits) or not need <= set(hits.columns):
        return pd.DataFrame(columns=cols)
    h = hits.copy()
    h["group"] = h["doc_id"].map(groups)
    h = h.dropna(subset=["group"])
    if "name" not in h.columns:
        h["name"] = h["theme"]
    if "term" not in h.columns:
        h["term"] = ""
    h["term"] = h["term"].astype(str)
    keys = ["group", "theme", "doc_id", "sentence_index"]
    cand = _ranked_candidates(h, keys)
    chosen = cand[cand["rank"] <= per_cell]
    sel = h.merge(chosen[keys], on=keys, how="inner")
    spans_of = {
        key: (
            [
                (int(a) - int(b0), int(b) - int(b0))
                for a, b, b0 in zip(g["char_start"], g["char_end"], g["sentence_start"], strict=True)
            ],
            sorted(set(g["term"])),
        )
        for key, g in sel.groupby(keys, sort=False)
    }
    rows = []
    for r in chosen.itertuples(index=False):
        spans, terms = spans_of[(r.group, r.theme, r.doc_id, r.sentence_index)]
        text, shifted = excerpt(str(r.sentence), spans)
        rows.append(
            {
                "group": r.group,
                "theme": r.theme,
                "name": str(r.name),
                "doc_id": r.doc_key,
                "rank": int(r.rank),
                "sentence_index": int(r.sentence_index),
                "terms": "、".join(terms),
                "n_hits": int(r.n_hits),
                "excerpt": text,
                "spans": shifted,
            }
        )
    return pd.DataFrame(rows, columns=cols)
