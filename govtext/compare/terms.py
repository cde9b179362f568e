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
    doc_ids: list[str] = []
    terms: list[str] = []
    counts: list[Any] = []

    def count(chunk: list[Tokens], lengths: list[int]) -> None:
        # Every token of the chunk at once: number the distinct words (pandas' hash table,
        # in C), then count (document, word) pairs with one sort. A Counter and a regex
        # per token took 1.6 s of the 4 s compare stage on ../shared/corpus; chunks of
        # about a million tokens keep the arrays small on large corpora.
        total = sum(lengths)
        words = np.fromiter(itertools.chain.from_iterable(t.words for t in chunk), dtype=object, count=total)
        codes, uniques = pd.factorize(words)
        del words
        uniques = np.asarray(uniques, dtype=object)
        for w in uniques:
            if w not in ok:
                ok[w] = len(w) >= min_chars and w not in stop and _WORDLIKE.search(w) is not None
        kept = np.fromiter((ok[w] for w in uniques), dtype=bool, count=len(uniques))
        # a document's terms in the order sorted() gives str
        by_text = np.argsort(uniques, kind="stable")
        rank = np.empty(len(uniques), dtype=np.int64)
        rank[by_text] = np.arange(len(uniques))
        docs = np.repeat(np.arange(len(chunk), dtype=np.int64), lengths)
        mask = kept[codes]
        pairs, n = np.unique(docs[mask] * len(uniques) + rank[codes[mask]], return_counts=True)
        ids = np.asarray([t.doc_id for t in chunk], dtype=object)
        doc_ids.extend(ids[pairs // len(uniques)].tolist())
        terms.extend(uniques[by_text][pairs % len(uniques)].tolist())
        counts.append(n.astype(np.int64))

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
    if held:
        count(chunk, lengths)
    if not doc_ids:
        return pd.DataFrame([], columns=columns)
    return pd.DataFrame({"doc_id": doc_ids, "term": terms, "count": np.concatenate(counts)}, columns=columns)


def group_term_matrix(
    doc_term_counts: pd.DataFrame, documents: pd.DataFrame, by: str
) -> tuple[Any, list[str], Any]:
    """Pooled counts as a sparse groups × terms matrix, the group order and the terms."""
    import numpy as np
    import pandas as pd
    from scipy.sparse import coo_matrix

    check_columns(doc_term_counts, "doc_term_counts", ("doc_id", "term", "count"))
    member = group_membership(documents, by)
    if member["doc_id"].is_unique:
        # One group per document: each row's group by position, without copying the
        # (document, term) rows into a merged frame (2 GB at the peak on 100 MB).
        row_doc = pd.Index(member["doc_id"]).get_indexer(doc_term_counts["doc_id"])
        found = row_doc >= 0
        groups = member["group"].to_numpy(dtype=object)[row_doc[found]]
        term_col = doc_term_counts["term"][found] if not found.all() else doc_term_counts["term"]
        count_col = doc_term_counts["count"].to_numpy(dtype=float)[found]
    else:
        dtc = doc_term_counts.merge(member, on="doc_id")  # a document in two groups counts for each
        groups = dtc["group"].to_numpy(dtype=object)
        term_col = dtc["term"]
        count_col = dtc["count"].to_numpy(dtype=float)
    # The groups that hold terms, found once (a set built per group was quadratic: 25 s
    # for 7,884 documents and 3.4 million (document, term) rows).
    held = set(pd.unique(groups))
    order = [g for g in group_order(member["group"]) if g in held]
    g_codes = pd.Categorical(groups, categories=order).codes
    t_codes, terms = pd.factorize(term_col, sort=True)
    m = coo_matrix((count_col, (g_codes, t_codes)), shape=(len(order), len(terms))).tocsr()
    m.sum_duplicates()
    return m, order, np.asarray(terms, dtype=object)
