"""The document-feature matrix: word counts per document, sparse, with the documents' metadata.

What quanteda users build their own models on (``dfm``, ``dfm_group``, ``dfm_trim``),
from the same segmenter (governance dictionary, normalised view, stopwords) as the
pipeline, so its words are the words the topic models and keyness tables count.

>>> m = dfm(["社区开展居民议事，推动居民自治。", "居民自治。"])
>>> m.shape, m.features
((2, 3), ['社区', '居民议事', '居民自治'])
>>> m.trim(min_termfreq=2).features
['居民自治']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    import scipy.sparse as sp

    from govtext.segment import Segmenter


@dataclass(frozen=True)
class DocumentFeatureMatrix:
    """``matrix[i, j]``: how often feature ``features[j]`` occurs in document ``docs.iloc[i]``.

    ``matrix`` is a SciPy CSR matrix of integer counts; ``docs`` one row per document
    (``doc_id`` and its metadata, as ``Corpus.to_frame()`` gives them, without the text).
    """

    matrix: sp.csr_matrix
    features: list[str]
    docs: pd.DataFrame

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape

    def __repr__(self) -> str:
        n, m = self.shape
        density = self.matrix.nnz / (n * m) if n and m else 0.0
        return f"<DocumentFeatureMatrix: {n:,} documents × {m:,} features, {density:.1%} non-zero>"

    def _repr_html_(self) -> str:
        from html import escape

        return f"<p>{escape(repr(self))}</p>" + self.top_features(10).to_frame("count").T.to_html()

    def top_features(self, n: int = 10) -> pd.Series:
        """The ``n`` most frequent features over all documents, most frequent first."""
        import numpy as np
        import pandas as pd

        totals = np.asarray(self.matrix.sum(axis=0)).ravel()
        order = np.argsort(-totals, kind="stable")[:n]
        return pd.Series(totals[order], index=[self.features[i] for i in order], name="count")

    def trim(
        self,
        *,
        min_termfreq: int | None = None,
        max_termfreq: int | None = None,
        min_docfreq: int | None = None,
        max_docfreq: int | float | None = None,
    ) -> DocumentFeatureMatrix:
        """Keep features by total count and by the number of documents holding them
        (``max_docfreq`` below 1 is a share of the documents), as quanteda's ``dfm_trim``."""
        import numpy as np

        m = self.matrix
        tf = np.asarray(m.sum(axis=0)).ravel()
        df = np.asarray((m > 0).sum(axis=0)).ravel()
        keep = np.ones(m.shape[1], dtype=bool)
        if min_termfreq is not None:
            keep &= tf >= min_termfreq
        if max_termfreq is not None:
            keep &= tf <= max_termfreq
        if min_docfreq is not None:
            keep &= df >= min_docfreq
        if max_docfreq is not None:
            limit = max_docfreq * m.shape[0] if max_docfreq < 1 else max_docfreq
            keep &= df <= limit
        cols = np.flatnonzero(keep)
        return DocumentFeatureMatrix(m[:, cols].tocsr(), [self.features[i] for i in cols], self.docs)

    def group(self, by: str) -> DocumentFeatureMatrix:
        """Sum the documents of each value of the metadata field ``by`` (quanteda's
        ``dfm_group``); a document with several values (authors) counts for each."""
        import numpy as np
        import pandas as pd
        import scipy.sparse as sp

        if by not in self.docs.columns:
            from govtext.errors import InputError

            raise InputError(
                f"no field {by!r} to group by; the fields are {sorted(map(str, self.docs.columns))}"
            )
        # Documents.to_frame joins a document's authors with 、: split them back into a list.
        values = [
            v
            if isinstance(v, list | tuple)
            else str(v).split("、")
            if by == "authors" and isinstance(v, str)
            else [v]
            for v in self.docs[by]
        ]

        def present(x: Any) -> bool:
            return not (x is None or bool(pd.isna(x)) or str(x) == "")

        from govtext.compare import group_order, typed_groups

        groups = group_order({str(x) for v in values for x in v if present(x)})
        index = {g: i for i, g in enumerate(groups)}
        rows, cols = [], []
        for i, v in enumerate(values):
            for x in dict.fromkeys(str(x) for x in v if present(x)):
                rows.append(index[x])
                cols.append(i)
        assign = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.int64), (rows, cols)), shape=(len(groups), self.shape[0])
        )
        # the field under its own name, typed as in every grouped table (years as Int64)
        docs = pd.DataFrame({by: typed_groups(groups), "n_documents": np.asarray(assign.sum(axis=1)).ravel()})
        return DocumentFeatureMatrix((assign @ self.matrix).tocsr(), list(self.features), docs)

    def to_frame(self) -> pd.DataFrame:
        """A sparse pandas DataFrame: documents (by id, or group) × features."""
        import pandas as pd

        key = "doc_id" if "doc_id" in self.docs else self.docs.columns[0]
        return pd.DataFrame.sparse.from_spmatrix(
            self.matrix, index=self.docs[key].astype(str), columns=self.features
        )


def dfm(
    data: Any,
    *,
    segmenter: Segmenter | None = None,
    min_chars: int = 1,
    remove_stopwords: bool = True,
    text_column: str = "text",
) -> DocumentFeatureMatrix:
    """Count the words of each document of ``data`` (a Corpus, texts, a Series or a
    DataFrame with ``text_column``, as ``govtext.tag`` takes) into a document-feature matrix.

    Words are the segmenter's (the governance dictionary keeps 接诉即办 whole), without
    punctuation and numbers, without stopwords unless ``remove_stopwords=False``, of at
    least ``min_chars`` characters. Features are ordered by first occurrence.
    """
    import numpy as np
    import scipy.sparse as sp

    from govtext.documents import as_corpus
    from govtext.segment import Segmenter
    from govtext.stopwords import is_content

    corpus = as_corpus(data, text_column=text_column)
    seg = segmenter if segmenter is not None else Segmenter()
    stop = seg.stopword_set() if remove_stopwords else frozenset()
    vocab: dict[str, int] = {}
    indptr: list[int] = [0]
    indices: list[int] = []
    counts: list[int] = []
    for doc in corpus:
        row: dict[int, int] = {}
        for w in seg.tokens(doc).words:
            if len(w) < min_chars or w in stop or not is_content(w):
                continue
            j = vocab.setdefault(w, len(vocab))
            row[j] = row.get(j, 0) + 1
        indices.extend(row)
        counts.extend(row.values())
        indptr.append(len(indices))
    matrix = sp.csr_matrix(
        (np.asarray(counts, dtype=np.int64), np.asarray(indices, dtype=np.int64), np.asarray(indptr)),
        shape=(len(corpus), len(vocab)),
    )
    matrix.sort_indices()
    docs = corpus.to_frame()
    docs = docs.drop(columns=[c for c in ("text",) if c in docs.columns])
    return DocumentFeatureMatrix(matrix, list(vocab), docs)


__all__: Sequence[str] = ["DocumentFeatureMatrix", "dfm"]
