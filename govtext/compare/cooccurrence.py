"""Co-occurrence of themes in the same document or paragraph."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from govtext.compare.groups import check_columns, theme_frame

if TYPE_CHECKING:
    import pandas as pd


def paragraph_presence(
    hits: pd.DataFrame, paragraphs: Mapping[str, Iterable[tuple[int, int]]]
) -> pd.DataFrame:
    """Which paragraphs carry which theme: ``unit_id, doc_id, paragraph, theme`` (one row each).

    ``paragraphs`` maps doc_id to its paragraph spans (``Document.paragraphs``); a hit
    belongs to the paragraph whose span contains its start (or the last one before it).
    """
    import bisect

    import pandas as pd

    check_columns(hits, "hits", ("doc_id", "theme", "char_start"))
    starts = {d: [a for a, _ in spans] for d, spans in paragraphs.items()}
    rows = set()
    for doc_id, theme, start in hits[["doc_id", "theme", "char_start"]].itertuples(index=False):
        ps = starts.get(doc_id)
        i = max(bisect.bisect_right(ps, int(start)) - 1, 0) if ps else 0
        rows.add((f"{doc_id}#p{i}", doc_id, i, theme))
    return pd.DataFrame(sorted(rows), columns=["unit_id", "doc_id", "paragraph", "theme"])


def theme_cooccurrence(
    presence: pd.DataFrame,
    themes: pd.DataFrame | None = None,
    *,
    unit: str = "doc_id",
    n_units: int | None = None,
) -> pd.DataFrame:
    """How often two themes occur in the same unit (document or paragraph).

    ``presence`` is either ``scores`` (rows with ``present`` false are ignored) or
    :func:`paragraph_presence` output with ``unit="unit_id"``. ``n_units`` is the number
    of units in the corpus, including those with no theme (default: the units in
    ``presence``). Returns one row per pair of themes: ``theme_a, name_a, theme_b,
    name_b, n_units, n_a, n_b, n_both, jaccard, lift`` where lift = P(a∧b) / (P(a)·P(b)).
    """
    import numpy as np
    import pandas as pd

    check_columns(presence, "presence", (unit, "theme"))
    p = presence
    if "present" in p.columns:
        p = p[p["present"].astype(bool)]
    p = p[[unit, "theme"]].drop_duplicates()
    tf = theme_frame(presence, themes)
    ids = list(tf["theme"])
    names = dict(zip(tf["theme"], tf["name"], strict=True))
    n = n_units if n_units is not None else presence[unit].nunique()
    sets = {t: set(p.loc[p["theme"] == t, unit]) for t in ids}
    rows = []
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            na, nb = len(sets[a]), len(sets[b])
            both = len(sets[a] & sets[b])
            union = na + nb - both
            rows.append(
                {
                    "theme_a": a,
                    "name_a": names[a],
                    "theme_b": b,
                    "name_b": names[b],
                    "n_units": n,
                    "n_a": na,
                    "n_b": nb,
                    "n_both": both,
                    "jaccard": both / union if union else np.nan,
                    "lift": (both * n) / (na * nb) if na and nb else np.nan,
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "theme_a",
            "name_a",
            "theme_b",
            "name_b",
            "n_units",
            "n_a",
            "n_b",
            "n_both",
            "jaccard",
            "lift",
        ],
    )
