"""Theme scores per document and per paragraph, built from hits (pandas imported lazily)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from govtext.documents import Document
from govtext.themes.matcher import ThemeHit

if TYPE_CHECKING:
    import pandas as pd

# ThemeHit's fields, in the order the store keeps them.
HIT_FIELDS = (
    "doc_id",
    "theme",
    "rule",
    "term",
    "start",
    "end",
    "sentence_index",
    "sentence",
    "sentence_start",
    "weight",
    "paragraph_index",
)
# The hits table's columns: the span as char_start/char_end (the names of `govtext tag`'s
# JSON), since ``end`` is a reserved word in Stata, which would rename the column.
_FRAME_NAMES = {"start": "char_start", "end": "char_end"}
HIT_COLUMNS = [_FRAME_NAMES.get(f, f) for f in HIT_FIELDS]
DOC_COLUMNS = ["doc_id", "theme", "hits", "weighted", "density_per_10k", "present"]
PARAGRAPH_COLUMNS = [
    "doc_id",
    "paragraph_index",
    "theme",
    "hits",
    "weighted",
    "n_chars",
    "density_per_10k",
    "present",
]


def hits_frame(hits: Iterable[ThemeHit]) -> pd.DataFrame:
    """One row per hit with every ThemeHit field (empty frame with the columns if none);
    the span ``start``/``end`` is named ``char_start``/``char_end``."""
    import pandas as pd

    return pd.DataFrame([[getattr(h, f) for f in HIT_FIELDS] for h in hits], columns=HIT_COLUMNS).astype(
        {"char_start": "int64", "char_end": "int64", "sentence_index": "int64", "sentence_start": "int64",
         "weight": "float64", "paragraph_index": "int64"}
    )  # fmt: skip


def _themes_of(hits: Sequence[ThemeHit], themes: Any) -> list[str]:
    if themes is not None:
        # A ThemeDictionary stands for all of its themes.
        return list(getattr(themes, "themes", themes))
    return sorted({h.theme for h in hits})


def score_documents(
    hits: Iterable[ThemeHit], docs: Iterable[Document], themes: Iterable[str] | Any = None
) -> pd.DataFrame:
    """One row per (document, theme): hits, weighted hits, density per 10,000 characters, presence.

    Every document appears with every theme (zeros included) so groups can be averaged;
    ``themes`` fixes the theme list (a list of ids or a ThemeDictionary; default: the
    themes that have hits). Density is
    per 10,000 non-space characters (``Document.n_chars``).
    """
    import pandas as pd

    hits = list(hits)
    docs = list(docs)
    theme_ids = _themes_of(hits, themes)
    counts: dict[tuple[str, str], list[float]] = {}
    for h in hits:
        c = counts.setdefault((h.doc_id, h.theme), [0, 0.0])
        c[0] += 1
        c[1] += h.weight
    if not docs or not theme_ids:  # no rows: the columns as an empty frame of rows gives them
        return pd.DataFrame([], columns=DOC_COLUMNS)
    return _document_rows(docs, theme_ids, counts)


def _document_rows(
    docs: Sequence[Document], theme_ids: Sequence[str], counts: dict[tuple[str, str], list[float]]
) -> pd.DataFrame:
    """``score_documents``' frame built by column: a tuple per (document, theme) row was
    ~0.1 GB for a moment on 100 MB (377,000 rows), at the run's memory peak beside the
    topic fit's process (issue 20). The same values and dtypes as the rows gave."""
    import numpy as np
    import pandas as pd

    n_docs, n_themes = len(docs), len(theme_ids)
    theme_at = {t: j for j, t in enumerate(theme_ids)}
    rows_of: dict[str, list[int]] = {}
    for i, doc in enumerate(docs):
        rows_of.setdefault(doc.doc_id, []).append(i)
    k = np.zeros((n_docs, n_themes), dtype=np.int64)
    w = np.zeros((n_docs, n_themes), dtype=np.float64)
    for (doc_id, theme), (hits, weighted) in counts.items():
        j = theme_at.get(theme)
        for i in rows_of.get(doc_id, ()) if j is not None else ():
            k[i, j], w[i, j] = hits, weighted
    n = np.array([doc.n_chars for doc in docs], dtype=np.float64)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        density = np.where(n > 0, w * 10_000 / n, 0.0)  # w * 10_000 / n per row, as a float
    return pd.DataFrame(
        {
            "doc_id": [doc.doc_id for doc in docs for _ in range(n_themes)],
            "theme": list(theme_ids) * n_docs,
            "hits": k.ravel(),
            "weighted": w.ravel(),
            "density_per_10k": density.ravel(),
            "present": (k > 0).ravel(),
        },
        columns=DOC_COLUMNS,
    )


def score_paragraphs(
    hits: Iterable[ThemeHit], docs: Iterable[Document], themes: Iterable[str] | Any = None
) -> pd.DataFrame:
    """One row per (document, paragraph, theme); ``present`` is the paragraph's label."""
    import pandas as pd

    hits = list(hits)
    theme_ids = _themes_of(hits, themes)
    counts: dict[tuple[str, int, str], list[float]] = {}
    for h in hits:
        c = counts.setdefault((h.doc_id, h.paragraph_index, h.theme), [0, 0.0])
        c[0] += 1
        c[1] += h.weight
    rows = []
    for doc in docs:
        for pi, (a, b) in enumerate(doc.paragraphs):
            n = sum(1 for ch in doc.text[a:b] if not ch.isspace())
            for t in theme_ids:
                k, w = counts.get((doc.doc_id, pi, t), (0, 0.0))
                rows.append((doc.doc_id, pi, t, int(k), float(w), n, (w * 10_000 / n) if n else 0.0, k > 0))
    return pd.DataFrame(rows, columns=PARAGRAPH_COLUMNS)


def paragraph_labels(hits: Iterable[ThemeHit]) -> dict[tuple[str, int], set[str]]:
    """The themes each (doc_id, paragraph_index) carries: one hit in one sentence is enough."""
    out: dict[tuple[str, int], set[str]] = {}
    for h in hits:
        out.setdefault((h.doc_id, h.paragraph_index), set()).add(h.theme)
    return out
