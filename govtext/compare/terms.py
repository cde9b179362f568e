"""Term counts of documents, and their pooled counts by group, for keyness and similarity."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from govtext.compare.groups import check_columns, group_membership, group_order

if TYPE_CHECKING:
    import pandas as pd

    from govtext.tokens import Tokens

_WORDLIKE = re.compile(r"[\u3400-\u9fff\uf900-\ufaffA-Za-z]")


# Tokens counted at once by term_counts: bounds its arrays on large corpora.
_TERM_CHUNK = 1_000_000


def term_counts(
    tokens: Iterable[Tokens],
    *,
    min_chars: int = 2,
    stopwords: Iterable[str] = (),
) -> pd.DataFrame:
    """The long ``doc_id, term, count`` frame keyness and similarity take, from segmenter output.

    Keeps words of at least ``min_chars`` characters that contain a Han character or a
    letter (punctuation and bare numbers are not terms) and are not in ``stopwords``.
    """
    import itertools

    import numpy as np
    import pandas as pd

    columns = ["doc_id", "term", "count"]
    stop = set(stopwords)
    ok: dict[str, bool] = {}  # each distinct word tested once
    # The frame's columns are categorical: an int32 code per row and each document id and
    # term once. As Python strings, the (document, term) rows of 100 MB took some 2 GB.
    doc_code: dict[str, int] = {}
    term_code: dict[str, int] = {}
    positions: list[Any] = []  # per row: the Tokens it came from, in input order
    doc_codes: list[Any] = []
    term_codes: list[Any] = []
    counts: list[Any] = []
    seen = 0  # Tokens counted before this chunk

    def count(chunk: list[Tokens], lengths: list[int]) -> None:
        # Every token of the chunk at once: number the distinct words (pandas' hash table,
        # in C), then count (document, word) pairs with one sort. A Counter and a regex
        # per token took 1.6 s of the 4 s compare stage on ../shared/corpus; chunks of
        # about a million tokens keep the arrays small on large corpora.
        nonlocal seen
        total = sum(lengths)
        words = np.fromiter(itertools.chain.from_iterable(t.words for t in chunk), dtype=object, count=total)
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
        local_term = np.fromiter(
            (
                term_code.setdefault(w, len(term_code)) if k else -1
                for w, k in zip(uniques, kept, strict=True)
            ),
            dtype=np.int32,
            count=len(uniques),
        )
        local_doc = np.fromiter(
            (doc_code.setdefault(t.doc_id, len(doc_code)) for t in chunk), dtype=np.int32, count=len(chunk)
        )
        positions.append(seen + pairs // len(uniques))
        doc_codes.append(local_doc[pairs // len(uniques)])
        term_codes.append(local_term[pairs % len(uniques)])
        counts.append(n.astype(np.int64))
        seen += len(chunk)

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
    if not term_code or not sum(len(c) for c in counts):
        return pd.DataFrame([], columns=columns)
    return _categorical_frame(doc_code, term_code, positions, doc_codes, term_codes, counts)


def _categorical_frame(
    doc_code: dict[str, int],
    term_code: dict[str, int],
    positions: list[Any],
    doc_codes: list[Any],
    term_codes: list[Any],
    counts: list[Any],
) -> pd.DataFrame:
    """The chunks' rows as one frame: terms numbered in the order sorted() gives str, rows
    by input document, then term."""
    import numpy as np
    import pandas as pd

    by_text = sorted(term_code, key=term_code.__getitem__)
    order = np.argsort(np.asarray(by_text, dtype=object), kind="stable")
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    terms = rank[np.concatenate(term_codes)]
    rows = np.lexsort((terms, np.concatenate(positions)))
    doc_categories = pd.Index(list(doc_code), dtype=object)
    term_categories = pd.Index(np.asarray(by_text, dtype=object)[order], dtype=object)
    return pd.DataFrame(
        {
            "doc_id": pd.Categorical.from_codes(np.concatenate(doc_codes)[rows], categories=doc_categories),
            "term": pd.Categorical.from_codes(terms[rows], categories=term_categories),
            "count": np.concatenate(counts)[rows],
        },
        columns=["doc_id", "term", "count"],
    )


def group_term_matrix(
    doc_term_counts: pd.DataFrame, documents: pd.DataFrame, by: str
) -> tuple[Any, list[str], Any]:
    """Pooled counts as a sparse groups × terms matrix, the group order and the terms."""
    import numpy as np
    import pandas as pd
    from scipy.sparse import coo_matrix

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
