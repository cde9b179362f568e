"""Keyness: log-likelihood G² of a term in a target against a reference, and the
distinctive terms of each group."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from govtext.compare.groups import name_group
from govtext.compare.stats import Correction, adjust_p, g_squared
from govtext.compare.terms import DocTermMatrix, group_term_matrix

if TYPE_CHECKING:
    import pandas as pd


_KEYNESS_COLUMNS = [
    "term",
    "count_target",
    "count_reference",
    "per_10k_target",
    "per_10k_reference",
    "G2",
    "p",
    "p_adj",
    "log_ratio",
    "direction",
]
_KEYNESS_DTYPES = {
    "group": "str",
    "rank": "int64",
    "term": "str",
    "count_target": "int64",
    "count_reference": "int64",
    "per_10k_target": "float64",
    "per_10k_reference": "float64",
    "G2": "float64",
    "p": "float64",
    "p_adj": "float64",
    "log_ratio": "float64",
    "direction": "str",
}


def _keyness_arrays(terms: Any, a: Any, b: Any, *, correction: Correction, min_count: int) -> dict[str, Any]:
    """The keyness columns as arrays, for the terms tested (``a + b >= min_count``)."""
    import numpy as np
    from scipy.special import erfc

    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    n1, n2 = float(a.sum()), float(b.sum())
    keep = (a + b) >= min_count if n1 > 0 and n2 > 0 else np.zeros(a.shape, dtype=bool)
    terms = np.asarray(terms, dtype=object)[keep]
    a, b = a[keep], b[keep]
    n1, n2 = max(n1, 1.0), max(n2, 1.0)
    g2 = g_squared(a, b, n1, n2)
    p = erfc(np.sqrt(g2 / 2))  # survival function of χ² with one degree of freedom
    return {
        "term": terms,
        "count_target": a.astype(int),
        "count_reference": b.astype(int),
        "per_10k_target": a / n1 * 10_000,
        "per_10k_reference": b / n2 * 10_000,
        "G2": g2,
        "p": p,
        "p_adj": adjust_p(p, correction),
        "log_ratio": np.log2((np.where(a > 0, a, 0.5) / n1) / (np.where(b > 0, b, 0.5) / n2)),
        # Words, not "+"/"-": a spreadsheet would read a leading sign as a formula.
        "direction": np.where(a / n1 >= b / n2, "over", "under"),
    }


def _keyness_frame(cols: dict[str, Any], rows: Any = None) -> pd.DataFrame:
    """The arrays (or the ``rows`` selected from them) as a frame sorted by G², then term."""
    import numpy as np
    import pandas as pd

    out = pd.DataFrame(
        {k: (v if rows is None else v[rows]) for k, v in cols.items()}, columns=_KEYNESS_COLUMNS
    )
    if not len(out):
        return out
    order = np.lexsort((out["term"].to_numpy(), -out["G2"].to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def keyness(
    token_counts_target: Mapping[str, int] | pd.Series,
    token_counts_reference: Mapping[str, int] | pd.Series,
    *,
    correction: Correction = "bh",
    min_count: int = 5,
) -> pd.DataFrame:
    """Log-likelihood keyness of every term in a target corpus against a reference corpus.

    ``token_counts_*`` map term → count. Terms with fewer than ``min_count`` occurrences in
    both corpora together are not tested (and not counted in the correction). Returns
    ``term, count_target, count_reference, per_10k_target, per_10k_reference, G2, p,
    p_adj, log_ratio, direction`` sorted by G² (largest first). ``direction`` is ``"over"``
    when the term is relatively more frequent in the target (else ``"under"``). ``log_ratio`` is
    log2(relative frequency in target / in reference), a zero count replaced by 0.5.
    G² is that of the full 2×2 table (term / all other terms × target / reference).
    """
    import pandas as pd

    t = pd.Series(token_counts_target, dtype="float64")
    r = pd.Series(token_counts_reference, dtype="float64")
    both = pd.concat([t.rename("a"), r.rename("b")], axis=1).fillna(0.0)
    cols = _keyness_arrays(
        both.index.to_numpy(),
        both["a"].to_numpy(),
        both["b"].to_numpy(),
        correction=correction,
        min_count=min_count,
    )
    return _keyness_frame(cols)


def keyness_by_group(
    doc_term_counts: pd.DataFrame | DocTermMatrix,
    documents: pd.DataFrame,
    by: str,
    *,
    top: int = 20,
    alpha: float = 0.05,
    correction: Correction = "bh",
    min_count: int = 5,
    matrix: tuple[Any, list[str], Any] | None = None,
) -> pd.DataFrame:
    """Distinctive terms of each group against all other groups together.

    For every group, :func:`keyness` of the group's term counts against the rest; keeps
    the terms over-used in the group with adjusted p below ``alpha``, the ``top`` largest
    G² first. The correction runs over all terms tested for that group. Columns ``<by>,
    rank`` (the grouping field under its own name) then those of :func:`keyness`
    (``count_target`` is the group, ``count_reference`` the rest). ``matrix``: the pooled
    groups × terms counts when the caller has them (``compare_all`` pools them once for
    keyness and similarity).
    """
    import numpy as np
    import pandas as pd

    m, order, terms = matrix or group_term_matrix(doc_term_counts, documents, by)
    total = np.asarray(m.sum(axis=0)).ravel()
    frames = []
    for i, g in enumerate(order):
        a = m.getrow(i).toarray().ravel()
        cols = _keyness_arrays(terms, a, total - a, correction=correction, min_count=min_count)
        picked = np.flatnonzero((cols["direction"] == "over") & (cols["p_adj"] < alpha))
        if len(picked) > top:
            # Only the largest G² are shown: partial selection beats sorting 100k terms per group.
            picked = picked[np.argpartition(-cols["G2"][picked], top - 1)[:top]]
        k = _keyness_frame(cols, picked).head(top)
        k.insert(0, "rank", range(1, len(k) + 1))
        k.insert(0, "group", g)
        frames.append(k)
    if not frames:
        empty = pd.DataFrame(
            {c: pd.Series(dtype=_KEYNESS_DTYPES[c]) for c in ["group", "rank", *_KEYNESS_COLUMNS]}
        )
        return name_group(empty, by, "keyness")
    return name_group(pd.concat(frames, ignore_index=True), by, "keyness")
