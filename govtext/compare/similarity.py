"""Similarity between groups: cosine of TF-IDF profiles of their pooled term counts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govtext.compare.groups import group_text, name_group
from govtext.compare.terms import DocTermMatrix, group_term_matrix

if TYPE_CHECKING:
    import pandas as pd


def group_similarity(
    doc_term_counts: pd.DataFrame | DocTermMatrix,
    documents: pd.DataFrame,
    by: str,
    matrix: tuple[Any, list[str], Any] | None = None,
) -> pd.DataFrame:
    """Cosine similarity between groups on TF-IDF of their pooled term counts.

    Each group is one pseudo-document (the sum of its documents' counts); TF is
    sublinear (1 + ln tf), IDF smoothed, rows L2-normalised. Returns a long table, one
    row per ordered pair of groups (both orders, and each group with itself), in group
    order: ``<by>, <by>_other, cosine`` (e.g. ``province, province_other, cosine``).
    Long rather than square, because group values are no column names (Stata and R
    refuse most of them); ``similarity_matrix`` gives the square form.
    """
    import numpy as np
    import pandas as pd
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.metrics.pairwise import cosine_similarity

    other = f"{by}_other"
    m, order, _terms = matrix or group_term_matrix(doc_term_counts, documents, by)
    if not order:
        out = pd.DataFrame(
            {
                "group": pd.Series(dtype="str"),
                other: pd.Series(dtype="str"),
                "cosine": pd.Series(dtype="float64"),
            }
        )
    else:
        tfidf = TfidfTransformer(sublinear_tf=True).fit_transform(m)
        # Rounded to 12 places (float noise, 0.9999999999999986, is no finding) and a group
        # is exactly itself: the diagonal is 1.
        sim = np.round(np.clip(cosine_similarity(tfidf), 0.0, 1.0), 12)
        np.fill_diagonal(sim, 1.0)
        n = len(order)
        out = pd.DataFrame(
            {
                "group": np.repeat(np.asarray(order, dtype=object), n),
                other: np.tile(np.asarray(order, dtype=object), n),
                "cosine": sim.reshape(-1),
            }
        )
    out = name_group(out, by, "similarity")
    return name_group(out.rename(columns={other: "group_other"}), other, "similarity", column="group_other")


def similarity_matrix(similarity: pd.DataFrame) -> pd.DataFrame:
    """:func:`group_similarity` as a square matrix (groups × groups, in table order), for
    display: its index and columns are the group labels as text (``group_text``)."""
    long = similarity.assign(
        row_label=group_text(similarity.iloc[:, 0]), col_label=group_text(similarity.iloc[:, 1])
    )
    order = list(dict.fromkeys(long["row_label"]))
    wide = long.pivot(index="row_label", columns="col_label", values="cosine")
    wide.index.name = wide.columns.name = None
    return wide.reindex(index=order, columns=order)
