"""Term counts of documents, and their pooled counts by group, for keyness and similarity."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from govtext.compare.groups import check_columns, group_membership, group_order

if TYPE_CHECKING:
    import pandas as pd

    from govtext.tokens import Tokens

_WORDLIKE = re.compile(r"[\u3400-\u9fff\uf900-\ufaffA-Za-z]")


# Tokens counted at once: bounds the per-chunk arrays (an object array of the words) on
# large corpora. 250,000, not 1,000,000: the chunk's arrays were ~0.1 GB at the run's
# memory peak on 100 MB (beside the topic fit's process), for the same count time.
_TERM_CHUNK = 250_000


@dataclass(frozen=True)
class DocTermMatrix:
    """Term counts as a sparse documents × terms matrix: ``counts`` (scipy CSR, int32,
    sorted indices, no explicit zeros) has a row per document of ``doc_ids`` (in input
    order, each once) and a column per term of ``terms`` (sorted as ``sorted()`` sorts
    str). Eight bytes a (document, term) pair: the long frame of 100 MB, with its sorts
    and merges, held the run's peak memory (issue 20)."""

    counts: Any
    doc_ids: list[str]
    terms: Any  # numpy object array

    def __len__(self) -> int:
        """The number of (document, term) pairs counted (the long frame's rows)."""
        return int(self.counts.nnz)

    def to_frame(self) -> pd.DataFrame:
        """The long ``doc_id, term, count`` frame, rows by document then term, its two
        first columns categorical (an int32 code a row, each id and term once)."""
        import numpy as np
        import pandas as pd

        if not len(self.terms) or not self.counts.nnz:
            return pd.DataFrame([], columns=["doc_id", "term", "count"])
        m = self.counts
        rows = np.repeat(np.arange(m.shape[0], dtype=np.int32), np.diff(m.indptr))
        return pd.DataFrame(
            {
                "doc_id": pd.Categorical.from_codes(rows, categories=pd.Index(self.doc_ids, dtype=object)),
                "term": pd.Categorical.from_codes(
                    m.indices.astype(np.int32), categories=pd.Index(self.terms, dtype=object)
                ),
                "count": m.data.astype(np.int64),
            },
            columns=["doc_id", "term", "count"],
        )


def term_counts(
    tokens: Iterable[Tokens],
    *,
    min_chars: int = 2,
    stopwords: Iterable[str] = (),
) -> pd.DataFrame:
    """The long ``doc_id, term, count`` frame keyness and similarity take, from segmenter output.

    Keeps words of at least ``min_chars`` characters that contain a Han character or a
    letter (punctuation and bare numbers are not terms) and are not in ``stopwords``.
    The same counts as :func:`doc_term_matrix` (``DocTermMatrix.to_frame``), which holds
    them in a fraction of the memory.
    """
    return doc_term_matrix(tokens, min_chars=min_chars, stopwords=stopwords).to_frame()


def doc_term_matrix(
    tokens: Iterable[Tokens],
    *,
    min_chars: int = 2,
    stopwords: Iterable[str] = (),
) -> DocTermMatrix:
    """Term counts as a sparse documents × terms matrix (the terms of :func:`term_counts`;
    documents with the same id are one row)."""

    import numpy as np
    from scipy.sparse import csr_matrix, vstack

    stop = set(stopwords)
    ok: dict[str, bool] = {}  # each distinct word tested once
    vocab: dict[str, int] = {}  # term -> column, numbered as first seen (sorted at the end)
    doc_ids: list[str] = []
    parts: list[Any] = []

    def count(chunk: list[Tokens], lengths: list[int]) -> None:
        # Every token of the chunk at once: number the distinct words (pandas' hash table,
        # in C), then count (document, word) pairs with one sort. A Counter and a regex
        # per token took 1.6 s of the 4 s compare stage on ../shared/corpus.
        import pandas as pd

        # decoded for this chunk alone: the tokens keep their words packed (a string per
        # token kept in every document's Tokens was a gigabyte on 100 MB of text)
        words = np.concatenate([t.words_array() for t in chunk]) if chunk else np.zeros(0, dtype=object)
        codes, uniques = pd.factorize(words)
        del words
        uniques = np.asarray(uniques, dtype=object)
        for w in uniques:
            if w not in ok:
                ok[w] = len(w) >= min_chars and w not in stop and _WORDLIKE.search(w) is not None
        kept = np.fromiter((ok[w] for w in uniques), dtype=bool, count=len(uniques))
        docs = np.repeat(np.arange(len(chunk), dtype=np.int64), lengths)
        mask = kept[codes]
        pairs, n = np.unique(docs[mask] * len(uniques) + codes[mask], return_counts=True)
        column = np.fromiter(
            (vocab.setdefault(w, len(vocab)) if k else -1 for w, k in zip(uniques, kept, strict=True)),
            dtype=np.int32,
            count=len(uniques),
        )
        # pairs are sorted by document: the chunk's rows as CSR, straight
        indptr = np.searchsorted(pairs // len(uniques), np.arange(len(chunk) + 1)).astype(np.int64)
        parts.append((column[pairs % len(uniques)], n.astype(np.int32), indptr, len(chunk)))
        doc_ids.extend(t.doc_id for t in chunk)

    chunk: list[Tokens] = []
    lengths: list[int] = []
    held = 0
    for tok in tokens:
        chunk.append(tok)
        lengths.append(len(tok.words))
        held += lengths[-1]
        if held >= _TERM_CHUNK:
            count(chunk, lengths)
            chunk, lengths, held = [], [], 0
    if chunk:
        count(chunk, lengths)
    # terms numbered in sorted order, as sorted() gives str: the tables' tie order
    terms = np.asarray(sorted(vocab), dtype=object)
    rank = np.empty(len(terms), dtype=np.int32)
    rank[np.fromiter((vocab[t] for t in terms), dtype=np.int64, count=len(terms))] = np.arange(
        len(terms), dtype=np.int32
    )
    vocab.clear()  # its strings live on in terms
    shape = (0, len(terms))
    blocks = []
    while parts:
        cols, n, indptr, n_docs = parts.pop(0)
        blocks.append(csr_matrix((n, rank[cols], indptr), shape=(n_docs, len(terms))))
    counts = vstack(blocks, format="csr", dtype=np.int32) if blocks else csr_matrix(shape, dtype=np.int32)
    del blocks
    if len(set(doc_ids)) < len(doc_ids):
        # the same id twice (one document given twice): one row, its counts summed
        counts, doc_ids = _merge_rows(counts, doc_ids)
    counts.sort_indices()  # the columns were renumbered within rows
    return DocTermMatrix(counts=counts, doc_ids=doc_ids, terms=terms)


def _merge_rows(counts: Any, doc_ids: list[str]) -> tuple[Any, list[str]]:
    import numpy as np
    import pandas as pd
    from scipy.sparse import csr_matrix

    codes, uniques = pd.factorize(pd.Index(doc_ids, dtype=object))
    merge = csr_matrix(
        (np.ones(len(codes), dtype=np.int32), (codes, np.arange(len(codes)))),
        shape=(len(uniques), len(codes)),
    )
    merged = (merge @ counts).tocsr()
    merged.sum_duplicates()
    return merged, [str(u) for u in uniques]


def group_term_matrix(
    doc_term_counts: pd.DataFrame | DocTermMatrix, documents: pd.DataFrame, by: str
) -> tuple[Any, list[str], Any]:
    """Pooled counts as a sparse groups × terms matrix, the group order and the terms.

    Only the groups and terms with a count, in group order and sorted; float counts.
    ``doc_term_counts``: a :class:`DocTermMatrix` or the long frame of :func:`term_counts`.
    """
    import numpy as np
    import pandas as pd
    from scipy.sparse import coo_matrix

    if isinstance(doc_term_counts, DocTermMatrix):
        return _pool_matrix(doc_term_counts, documents, by)
    check_columns(doc_term_counts, "doc_term_counts", ("doc_id", "term", "count"))
    member = group_membership(documents, by)
    everyone = group_order(member["group"])
    if member["doc_id"].is_unique:
        # One group per document: each row's group by position, as codes, without copying
        # the (document, term) rows into a merged frame (2 GB at the peak on 100 MB).
        row_doc = _positions(pd.Index(member["doc_id"]), doc_term_counts["doc_id"])
        found = row_doc >= 0
        doc_group = pd.Categorical(member["group"], categories=everyone).codes
        all_codes = doc_group[row_doc[found]]
        term_col = doc_term_counts["term"][found] if not found.all() else doc_term_counts["term"]
        count_col = doc_term_counts["count"].to_numpy(dtype=float)[found]
    else:
        dtc = doc_term_counts.merge(member, on="doc_id")  # a document in two groups counts for each
        all_codes = pd.Categorical(dtc["group"], categories=everyone).codes
        term_col = dtc["term"]
        count_col = dtc["count"].to_numpy(dtype=float)
    # Only the groups that hold terms, in group order (a set built per group was
    # quadratic: 25 s for 7,884 documents and 3.4 million (document, term) rows).
    held = np.unique(all_codes)
    order = [everyone[i] for i in held]
    g_codes = np.searchsorted(held, all_codes)
    t_codes, terms = _term_codes(term_col)
    m = coo_matrix((count_col, (g_codes, t_codes)), shape=(len(order), len(terms))).tocsr()
    m.sum_duplicates()
    return m, order, np.asarray(terms, dtype=object)


def _positions(index: pd.Index, column: pd.Series) -> Any:
    """Each row's position in ``index`` (-1: not there); a categorical column is looked up
    once per category, not per row."""
    import numpy as np
    import pandas as pd

    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()
        at = index.get_indexer(column.cat.categories)
        return np.where(codes >= 0, at[np.maximum(codes, 0)], -1)
    return index.get_indexer(column)


def _term_codes(column: pd.Series) -> tuple[Any, Any]:
    """Codes of the terms present, numbered in sorted order, and those terms (as
    ``pd.factorize(column, sort=True)`` gives them, from a categorical's codes if it can)."""
    import numpy as np
    import pandas as pd

    if isinstance(column.dtype, pd.CategoricalDtype) and column.cat.categories.is_monotonic_increasing:
        codes = column.cat.codes.to_numpy()
        if not (codes < 0).any():
            used = np.unique(codes)
            return np.searchsorted(used, codes), column.cat.categories.to_numpy(dtype=object)[used]
    return pd.factorize(column, sort=True)


def _pool_matrix(dtm: DocTermMatrix, documents: pd.DataFrame, by: str) -> tuple[Any, list[str], Any]:
    """``group_term_matrix`` of a documents × terms matrix: a groups × documents indicator
    times the counts (a document in two groups counts for each; one that ``documents``
    lacks, for none)."""
    import numpy as np
    import pandas as pd
    from scipy.sparse import csr_matrix

    member = group_membership(documents, by)
    everyone = group_order(member["group"])
    row = pd.Index(dtm.doc_ids, dtype=object).get_indexer(member["doc_id"])
    found = row >= 0
    group = pd.Categorical(member["group"], categories=everyone).codes[found]
    indicator = csr_matrix(
        (np.ones(int(found.sum()), dtype=np.int64), (group, row[found])),
        shape=(len(everyone), dtm.counts.shape[0]),
    )
    pooled = (indicator @ dtm.counts).tocsr()
    # only the groups and terms that hold counts, as the long frame's rows give them
    held = np.flatnonzero(np.diff(pooled.indptr) > 0)
    used = np.flatnonzero(np.bincount(pooled.indices, minlength=pooled.shape[1]) > 0)
    m = pooled[held][:, used].astype(float).tocsr()
    m.sum_duplicates()
    m.sort_indices()
    return m, [everyone[i] for i in held], np.asarray(dtm.terms, dtype=object)[used]
