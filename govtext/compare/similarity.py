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
        unit = tfidf_rows(m)
        # Rounded to 12 places (float noise, 0.9999999999999986, is no finding) and a group
        # is exactly itself: the diagonal is 1.
        sim = np.round(np.clip((unit @ unit.T).toarray(), 0.0, 1.0), 12)
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


def tfidf_rows(counts: Any) -> Any:
    """The rows of a sparse count matrix as TF-IDF vectors of unit length, as
    scikit-learn's ``TfidfTransformer(sublinear_tf=True)`` and then ``cosine_similarity``
    make them (TF 1 + ln tf, IDF ln((1 + n) / (1 + df)) + 1, L2 rows, twice), in the
    same order of operations, so the cosines are theirs to the last bit.

    Written out because importing scikit-learn's text and metrics modules cost the run's
    own process about 0.8 CPU-s for these few lines (the topic models, which need it,
    are fitted in another process); a test holds the cosines equal to scikit-learn's."""
    import numpy as np
    from scipy.sparse import csr_matrix

    x = csr_matrix(counts, dtype=np.float64, copy=True)
    x.sum_duplicates()
    np.log(x.data, out=x.data)
    x.data += 1.0
    n_rows, n_cols = x.shape
    df = np.bincount(x.indices, minlength=n_cols).astype(np.float64) + 1.0
    idf = np.full_like(df, fill_value=n_rows + 1, dtype=np.float64)
    idf /= df
    np.log(idf, out=idf)
    idf += 1.0
    x.data *= idf[x.indices]
    _unit_rows(x)
    # scikit-learn's cosine normalises the rows once more (a last bit may move)
    _unit_rows(x)
    return x


def _unit_rows(x: Any) -> None:
    """Divide each row of CSR ``x`` by its L2 norm, in place, the sum of squares taken in
    order as scikit-learn's ``normalize`` takes it (cumsum is sequential; a plain sum
    pairs terms up and can differ in the last bit, which the rounded cosines then show)."""
    import numpy as np

    ptr = x.indptr
    for i in range(x.shape[0]):
        a, b = ptr[i], ptr[i + 1]
        if a == b:
            continue
        squares = x.data[a:b] * x.data[a:b]
        total = np.cumsum(squares)[-1]
        if total != 0.0:
            x.data[a:b] /= np.sqrt(total)


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
