"""Units from token codes: ``build_units``' work done on arrays, a chunk of documents at a time.

Every document's words and tags are read as the ids they are stored as (the worker's
batch vocabulary or the store's, ``Tokens.word_codes``) and mapped once per distinct
word to the units' own ids, each with its grade (kept whatever its tag, kept if its tag
is, never). Seed phrases, the content filter, the cut into paragraphs and the document
frequencies then run on arrays; only the seed-phrase walk is per token, and only from
tokens that begin a phrase. Nothing decoded is kept with the tokens: reading words one
Python string per token and caching them in every document's Tokens took most of the
topic stage's 3 s of units on ../shared/corpus, and a gigabyte on 100 MB of text.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from govtext.memory import trim_heap
from govtext.tokens import Tokens

if TYPE_CHECKING:
    from govtext.documents import Document

# Tokens per chunk of documents: the chunk's arrays (ids, tags, offsets) stay in the tens
# of megabytes whatever the corpus.
CHUNK_TOKENS = 1 << 20


class Lexicon:
    """The units' own word ids: each distinct word once, with its grade (2: kept whatever
    its tag, a forced word; 1: kept if its tag is; 0: never) and whether it begins a
    seed phrase. Ids into a shared table (a batch's or the store's vocabulary) are
    translated once per distinct id."""

    def __init__(self, grade: Any, terms: Collection[str] = ()) -> None:
        self.grade_of = grade  # word -> 0, 1 or 2
        self.terms = frozenset(terms)
        # what a token must be to begin a phrase, and to go on one
        self.prefixes = frozenset(t[:i] for t in self.terms for i in range(1, len(t) + 1))
        self._inner_set = frozenset(
            t[a:b] for t in self.terms for a in range(1, len(t)) for b in range(a + 1, len(t) + 1)
        )
        self.index: dict[str, int] = {}
        self.words: list[str] = []
        self._grades: list[int] = []
        self._prefix: list[bool] = []
        self._inner: list[bool] = []
        self._tables: dict[int, tuple[Any, Any]] = {}  # id(table) -> (table, its ids here or -1)
        self._tag_tables: dict[int, tuple[Any, Any]] = {}

    def __len__(self) -> int:
        return len(self.words)

    def gid(self, word: str) -> int:
        i = self.index.get(word)
        if i is None:
            i = self.index[word] = len(self.words)
            self.words.append(word)
            self._grades.append(self.grade_of(word))
            self._prefix.append(word in self.prefixes)
            self._inner.append(word in self._inner_set)
        return i

    def ids(self, codes: Any, table: Any) -> Any:
        """The units' ids of ``table[codes]``."""
        import numpy as np

        if not isinstance(table, np.ndarray):  # a document's own words: nothing to share
            return np.fromiter(map(self.gid, table), dtype=np.int64, count=len(table))[codes]
        entry = self._tables.get(id(table))
        if entry is None or entry[0] is not table:
            entry = self._tables[id(table)] = (table, np.full(len(table), -1, dtype=np.int64))
        trans = entry[1]
        out = trans[codes]
        if len(out) and out.min() < 0:
            new = distinct(codes[out < 0])
            words = table[new].tolist()
            found = list(map(self.index.get, words))  # known words at C speed ...
            i = -1
            try:
                while True:  # ... and the few new ones, hopping from one to the next
                    i = found.index(None, i + 1)
                    found[i] = self.gid(words[i])
            except ValueError:
                pass
            trans[new] = found
            out = trans[codes]
        return out

    def tags_kept(self, codes: Any, table: Any, keep: Collection[str]) -> Any:
        """Whether each tag ``table[codes]`` is in ``keep``."""
        import numpy as np

        if not isinstance(table, np.ndarray):
            return np.fromiter((t in keep for t in table), dtype=bool, count=len(table))[codes]
        entry = self._tag_tables.get(id(table))
        if entry is None or entry[0] is not table:
            ok = np.fromiter((t in keep for t in table.tolist()), dtype=bool, count=len(table))
            entry = self._tag_tables[id(table)] = (table, ok)
        return entry[1][codes]

    def arrays(self) -> tuple[Any, Any, Any]:
        """Grades, and whether a word can begin a seed phrase and go on one, by id."""
        import numpy as np

        return (
            np.asarray(self._grades, dtype=np.int8),
            np.asarray(self._prefix, dtype=bool),
            np.asarray(self._inner, dtype=bool),
        )


def content_tokens(
    docs: Sequence[Document],
    toks_by_doc: Sequence[Tokens],
    unit: str,
    lexicon: Lexicon,
    keep: Collection[str] | None,
    terms: frozenset[str],
) -> tuple[Any, Any, Any]:
    """Every unit of every document (paragraphs or documents, in order) and its kept
    tokens: (the document index of each unit, the unit of each kept token, the token's
    id in ``lexicon``); tokens in text order, so sorted by unit."""
    import numpy as np

    unit_doc: list[Any] = []
    unit_of: list[Any] = []
    ids: list[Any] = []
    n_units = 0
    start = 0
    while start < len(docs):
        stop, held = start, 0
        while stop < len(docs) and (held < CHUNK_TOKENS or stop == start):
            held += len(toks_by_doc[stop])
            stop += 1
        docs_of_units, u, w = _chunk(docs[start:stop], toks_by_doc[start:stop], unit, lexicon, keep, terms)
        unit_doc.append(docs_of_units + start)
        unit_of.append(u + n_units)
        ids.append(w)
        n_units += len(docs_of_units)
        start = stop
    if not unit_doc:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    out = np.concatenate(unit_doc), np.concatenate(unit_of), np.concatenate(ids)
    del unit_doc, unit_of, ids
    # the chunks' freed arrays (~0.15 GB on 100 MB) given back before build_units' next
    # arrays: the run's peak beside the topic child's start (issue 20)
    trim_heap()
    return out


def _chunk(
    docs: Sequence[Document],
    toks: Sequence[Tokens],
    unit: str,
    lexicon: Lexicon,
    keep: Collection[str] | None,
    terms: frozenset[str],
) -> tuple[Any, Any, Any]:
    """``content_tokens`` for a chunk of documents, their offsets laid end to end (one
    character apart, so tokens of two documents never touch)."""
    import numpy as np

    words, tags, starts, ends = [], [], [], []
    base = np.zeros(len(docs) + 1, dtype=np.int64)
    for i, (doc, tok) in enumerate(zip(docs, toks, strict=True)):
        words.append(tok.word_codes())
        if keep is not None:
            tag_codes = tok.tag_codes()
            assert tag_codes is not None  # keep is None unless every document has tags
            tags.append(tag_codes)
        s, e = tok.offset_arrays(keep=False)
        starts.append(s)
        ends.append(e)
        base[i + 1] = base[i] + len(doc.text) + 1
    g = _by_table(words, lexicon.ids)
    tag_ok = _by_table(tags, lambda c, t: lexicon.tags_kept(c, t, keep)) if keep is not None else None
    shift = np.repeat(base[:-1], [len(s) for s in starts])
    st = _concat(starts, np.int64) + shift
    en = _concat(ends, np.int64) + shift
    if terms and len(g):
        joined = _join(g, st, en, lexicon)
        if joined is not None:
            g, kept_positions = joined
            st = st[kept_positions]
            tag_ok = tag_ok[kept_positions] if tag_ok is not None else None
    grade = lexicon.arrays()[0][g]
    flags = grade == 2 if tag_ok is not None else grade > 0
    if tag_ok is not None:
        flags |= (grade == 1) & tag_ok
    if unit == "document":
        unit_of = np.searchsorted(base, st, side="right") - 1  # the document each token is in
        docs_of_units = np.arange(len(docs))
        on = flags
    else:
        n_paras = [len(d.paragraphs) for d in docs]
        docs_of_units = np.repeat(np.arange(len(docs)), n_paras)
        spans = np.fromiter((x for d in docs for span in d.paragraphs for x in span), np.int64)
        p_starts = spans[0::2] + base[docs_of_units]
        p_ends = spans[1::2] + base[docs_of_units]
        # every token's paragraph: the last starting at or before it, if it ends after
        # the token's start (a paragraph of an earlier document always ends before)
        unit_of = np.searchsorted(p_starts, st, side="right") - 1
        on = flags & (unit_of >= 0)
        if len(p_ends):
            on &= st < p_ends[np.clip(unit_of, 0, None)]
        else:
            on[:] = False
    return docs_of_units, unit_of[on], g[on]


def _by_table(coded: list[tuple[Any, Any]], read: Any) -> Any:
    """``read(codes, table)`` over every document's (codes, table), one call per run of
    documents that share a table (a worker's batch, the store's vocabulary)."""
    import numpy as np

    out: list[Any] = []
    i = 0
    while i < len(coded):
        table = coded[i][1]
        j = i + 1
        if isinstance(table, np.ndarray):
            while j < len(coded) and coded[j][1] is table:
                j += 1
        out.append(read(_concat([c for c, _ in coded[i:j]], np.int64), table))
        i = j
    return _concat(out, np.int64)


def _concat(arrays: list[Any], dtype: Any) -> Any:
    import numpy as np

    return np.concatenate(arrays) if arrays else np.zeros(0, dtype=dtype)


def distinct(keys: Any) -> Any:
    """The distinct values of an int array, sorted (a sort and a comparison: numpy's
    hash-based ``unique`` took four times as long on millions of (unit, word) keys)."""
    import numpy as np

    keys = np.sort(keys)
    if not len(keys):
        return keys
    first = np.empty(len(keys), dtype=bool)
    first[0] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    return keys[first]


def longest_joins(
    candidates: Iterable[int],
    word: Callable[[int], str],
    touching: Sequence[bool],
    n: int,
    prefixes: Collection[str],
    terms: Collection[str],
) -> list[tuple[int, int]]:
    """(first, last) token of each run of touching tokens that spells a term, in order:
    the longest match from each candidate start, runs never overlapping. ``word(j)`` is
    token j's text; ``touching[j]`` whether token j ends where token j + 1 begins."""
    joins: list[tuple[int, int]] = []
    next_free = 0
    for i in candidates:
        if i < next_free:
            continue
        best, acc, j = i, word(i), i
        while acc in prefixes:
            if acc in terms and j > i:
                best = j
            if j + 1 >= n or not touching[j]:
                break
            j += 1
            acc += word(j)
        if best > i:
            joins.append((i, best))
            next_free = best + 1
    return joins


def _join(g: Any, st: Any, en: Any, lexicon: Lexicon) -> tuple[Any, Any] | None:
    """Runs of touching tokens that spell a seed phrase joined into one token (the
    longest match from each token that begins a phrase, as ``compound_tokens``): the
    new ids and the positions of the tokens kept; None if nothing was joined."""
    import numpy as np

    _, begins, goes_on = lexicon.arrays()
    n = len(g)
    touching = en[:-1] == st[1:]
    # A phrase of two tokens or more begins where a token that can begin one touches a
    # token that can go on one: a few hundred places a million tokens, where one in ten
    # tokens can begin one.
    candidates = np.flatnonzero(begins[g[:-1]] & touching & goes_on[g[1:]])
    if not len(candidates):
        return None
    words = lexicon.words
    joins = longest_joins(
        candidates.tolist(), lambda j: words[g[j]], touching, n, lexicon.prefixes, lexicon.terms
    )
    if not joins:
        return None
    g = g.copy()
    kept = np.ones(n, dtype=bool)
    for a, b in joins:
        g[a] = lexicon.gid("".join(words[x] for x in g[a : b + 1].tolist()))
        kept[a + 1 : b + 1] = False
    return g[kept], kept
