"""Units: the passages a topic model sees, as filtered content-word lists.

``build_units`` cuts each document into units (paragraphs or whole documents) using the
cached tokens, keeps content words (part of speech, stopwords, no punctuation, digits or
single characters) and bounds the vocabulary by document frequency across units. Corpus
texts remain unchanged; a Units object records the settings that made it.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import math
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal, overload

from govtext.documents import Document
from govtext.errors import ConfigError, InputError
from govtext.tokens import Tokens
from govtext.topics.unitcodes import Lexicon, content_tokens, distinct, longest_joins

UnitKind = Literal["paragraph", "document"]
UNIT_KINDS: tuple[str, ...] = ("paragraph", "document")

# jieba/ICTCLAS tags that carry content: nouns, names, places, organisations, other proper
# nouns, verbs and verbal nouns, adjectives, idioms, abbreviations. ``x`` is kept because
# user-dictionary entries without a tag (吹哨报到 in a user's own file) come out as ``x``;
# punctuation, which is also ``x``, is removed by the character filter.
DEFAULT_KEEP_POS: tuple[str, ...] = (
    "n",
    "nr",
    "nrfg",
    "nrt",
    "ns",
    "nt",
    "nz",
    "ng",
    "v",
    "vn",
    "a",
    "an",
    "l",
    "i",
    "j",
    "x",
)

# Words of the official register that appear everywhere and name no subject. Deliberately
# short: frequency bounds (``max_df``) do the rest; pass ``stopwords=()`` to keep them.
DEFAULT_STOPWORDS: frozenset[str] = frozenset(
    """
    推进 推动 加强 加快 实施 开展 坚持 提升 提高 深化 完善 健全 强化 促进 落实 持续 全面
    深入 进一步 积极 扎实 着力 大力 更加 不断 有效 切实 努力 重点 重要 主要 工作 方面 体系
    建设 发展 实现 做好 抓好 支持 坚决 确保 进行 取得 加大 力度 统筹 一批 各类 各项 有关
    相关 我们 今年 过去 一年 五年 全年 全省 全市 全区 我省 我市 我区 各位 代表 同志 以上 以下
    """.split()
)


# Units whose tokens ``TermRows.joined_bytes`` decodes at once.
_JOIN_BLOCK = 4096


class TermRows(Sequence[tuple[str, ...]]):
    """Units' tokens as ids into a vocabulary (CSR rows: ``indptr``, ``ids``), read as
    tuples of words on access: what ``build_units`` gives, a fraction of the memory of
    a string per token. Equal to the tuples of words it stands for."""

    __slots__ = ("_table", "ids", "indptr", "vocabulary")

    def __init__(self, indptr: Any, ids: Any, vocabulary: tuple[str, ...]) -> None:
        import numpy as np

        self.indptr = indptr
        self.ids = ids
        self.vocabulary = vocabulary
        self._table = np.array(vocabulary, dtype=object)

    def __len__(self) -> int:
        return len(self.indptr) - 1

    @overload
    def __getitem__(self, i: int) -> tuple[str, ...]: ...

    @overload
    def __getitem__(self, i: slice) -> tuple[tuple[str, ...], ...]: ...

    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return tuple(self[j] for j in range(*i.indices(len(self))))
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("TermRows index out of range")
        a, b = int(self.indptr[i]), int(self.indptr[i + 1])
        return tuple(self._table[self.ids[a:b]].tolist())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return len(self) == len(other) and all(a == tuple(b) for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"TermRows({len(self)} units, {len(self.ids)} tokens)"

    def joined_bytes(self) -> Iterator[bytes]:
        """Each unit's words joined by spaces, UTF-8 encoded (as ``Units.hash`` reads them)."""
        import numpy as np

        encoded = np.array([w.encode() for w in self.vocabulary], dtype=object)
        bounds = self.indptr.tolist()
        # a block of units' tokens looked up at once: all of them at once was an object
        # array of every token (~65 MB on 100 MB, at the topic child's peak; issue 20)
        for s in range(0, len(bounds) - 1, _JOIN_BLOCK):
            e = min(s + _JOIN_BLOCK, len(bounds) - 1)
            start = bounds[s]
            tokens = encoded[self.ids[start : bounds[e]]]
            for a, b in itertools.pairwise(bounds[s : e + 1]):
                yield b" ".join(tokens[a - start : b - start].tolist())


@dataclass(frozen=True)
class Units:
    """Passages ready for a topic model.

    - ``unit_ids``: ``"{doc_id}"`` for documents, ``"{doc_id}#p{i}"`` for paragraph ``i``
      (0-based index into ``Document.paragraphs``).
    - ``doc_ids``: the document of each unit.
    - ``spans``: the unit's character span in its document's text.
    - ``token_lists``: the unit's content words, in text order, all in ``vocabulary``.
    - ``vocabulary``: sorted, so term ids never depend on input order.
    - ``settings``: how the units were built (for run.json); ``n_empty`` counts units
      dropped because no content word survived the filters.
    """

    unit_ids: tuple[str, ...]
    doc_ids: tuple[str, ...]
    token_lists: Sequence[tuple[str, ...]]  # tuples, or TermRows (build_units)
    vocabulary: tuple[str, ...]
    spans: tuple[tuple[int, int], ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings)))
        n = len(self.unit_ids)
        if len(self.doc_ids) != n or len(self.token_lists) != n or (self.spans and len(self.spans) != n):
            raise ValueError("Units: unit_ids, doc_ids, token_lists and spans must have the same length")

    def __reduce__(self) -> tuple[Any, ...]:
        # ``settings`` is a read-only view, which does not pickle; the topic fit's own
        # process is sent the units (govtext.topics.child).
        fields = (
            self.unit_ids,
            self.doc_ids,
            self.token_lists,
            self.vocabulary,
            self.spans,
            dict(self.settings),
        )
        return (type(self), fields)

    def __len__(self) -> int:
        return len(self.unit_ids)

    @property
    def n_tokens(self) -> int:
        if isinstance(self.token_lists, TermRows):
            return len(self.token_lists.ids)
        return sum(len(t) for t in self.token_lists)

    def term_rows(self) -> tuple[Any, Any]:
        """Each unit's tokens as ids into ``vocabulary``: (indptr, ids), integer arrays
        (int32 from ``build_units`` when they fit, else int64), unit ``i``'s ids at
        ``ids[indptr[i]:indptr[i+1]]``."""
        import numpy as np

        if isinstance(self.token_lists, TermRows) and self.token_lists.vocabulary is self.vocabulary:
            return self.token_lists.indptr, self.token_lists.ids
        index = {w: i for i, w in enumerate(self.vocabulary)}
        indptr = np.zeros(len(self.token_lists) + 1, dtype=np.int64)
        np.cumsum([len(t) for t in self.token_lists], out=indptr[1:])
        ids = np.fromiter(
            (index[w] for toks in self.token_lists for w in toks), dtype=np.int64, count=int(indptr[-1])
        )
        return indptr, ids

    def counts(self) -> Any:
        """Units × vocabulary counts (CSR, float64, sorted column indices)."""
        import numpy as np
        from scipy.sparse import csr_matrix

        indptr, ids = self.term_rows()
        # copied: int32 rows would be taken as they are, and sum_duplicates rewrites them
        x = csr_matrix(
            (np.ones(len(ids), dtype=np.float64), ids, indptr),
            shape=(len(self), len(self.vocabulary)),
            copy=True,
        )
        x.sum_duplicates()  # also sorts the indices
        return x

    def hash(self) -> str:
        """Hash of ids and tokens: two fits on equal hashes see the same input."""
        h = hashlib.blake2b(digest_size=10)
        if isinstance(self.token_lists, TermRows):
            # the same bytes, joined from each term's bytes (one encode per term)
            for uid, joined in zip(self.unit_ids, self.token_lists.joined_bytes(), strict=True):
                h.update(uid.encode() + b"\x00" + joined + b"\x01")
            return h.hexdigest()
        for uid, toks in zip(self.unit_ids, self.token_lists, strict=True):
            h.update(uid.encode())
            h.update(b"\x00")
            h.update(" ".join(toks).encode())
            h.update(b"\x01")
        return h.hexdigest()

    def to_frame(self) -> Any:
        """One row per unit: unit_id, doc_id, char_start, char_end, n_tokens (the span's
        names as in the hits table; ``end`` is reserved in Stata)."""
        import numpy as np
        import pandas as pd

        spans = self.spans or tuple((0, 0) for _ in self.unit_ids)
        return pd.DataFrame(
            {
                "unit_id": list(self.unit_ids),
                "doc_id": list(self.doc_ids),
                "char_start": [a for a, _ in spans],
                "char_end": [b for _, b in spans],
                "n_tokens": [len(t) for t in self.token_lists]
                if not isinstance(self.token_lists, TermRows)
                else np.diff(self.token_lists.indptr).tolist(),
            }
        )


def is_content_word(word: str) -> bool:
    """At least two characters and at least one letter (CJK counts): no punctuation or numbers."""
    if len(word) < 2:
        return False
    if word.isalpha():  # most words: letters only, so no digit either
        return True
    if not any(map(str.isalpha, word)):
        return False
    # 2025年, 12345热线 keep a letter; pure numerals with a unit (三十, 五年) are left to POS/stopwords.
    return not word.isdigit()


COMPOUND_TAG = "compound"


def compound_tokens(tokens: Tokens, compounds: Collection[str]) -> Tokens:
    """Join runs of adjacent tokens that spell a term of ``compounds`` into one token.

    The quanteda ``tokens_compound`` idea: seed phrases the segmenter splits (依法行政 →
    依法 / 行政) become single tokens, tagged ``"compound"``; the longest match wins and
    tokens separated by anything in the text are never joined. Returns new Tokens.

    >>> from govtext.segment import Segmenter
    >>> t = Segmenter().tokens(Document(doc_id="a", text="坚持依法行政"))
    >>> compound_tokens(t, ["依法行政"]).words[-1]
    '依法行政'
    """
    terms = frozenset(c for c in compounds if c)
    if not terms or not tokens.words:
        return tokens
    starts, ends = token_offsets(tokens)
    joined = _join_compounds(
        tuple(tokens.words), starts, ends, tuple(tokens.pos) if tokens.pos is not None else None, terms
    )
    if joined is None:
        return tokens
    words, new_starts, new_ends, tags = joined
    return replace(
        tokens,
        words=words,
        starts=tuple(new_starts.tolist()),
        ends=tuple(new_ends.tolist()),
        pos=tags if tokens.pos is not None else None,
    )


def token_offsets(tokens: Tokens) -> tuple[Any, Any]:
    """Token starts and ends as int64 arrays.

    Tokens read from the store hold their offsets packed (``Tokens.offset_arrays``);
    decoding them through the sequence would keep a tuple of Python ints per
    token in the run's Tokens for good (some 1.4 GB for 100 MB of text). Read packed
    offsets straight into arrays instead; anything else is converted."""
    return tokens.offset_arrays()


def _join_compounds(
    w: tuple[str, ...], st: Any, en: Any, pos: tuple[str, ...] | None, terms: frozenset[str]
) -> tuple[tuple[str, ...], Any, Any, tuple[str, ...] | None] | None:
    """Words, starts, ends (arrays) and tags with compounds joined; None if there is none."""
    import numpy as np

    prefixes = _prefixes(terms)
    n = len(w)
    # Only tokens that begin a term's prefix can start a compound: find those first (one
    # pass in C), then walk from each; most documents have few.
    candidates = [i for i, word in enumerate(w) if word in prefixes]
    if not candidates:
        return None
    # a token touches the next one when its end is the next one's start
    touching = [*(en[:-1] == st[1:]).tolist(), False]
    joins = longest_joins(candidates, w.__getitem__, touching, n, prefixes, terms)
    if not joins:
        return None
    words: list[str] = []
    tags: list[str] = []
    keep_start = np.ones(n, dtype=bool)  # a joined run keeps its first start …
    keep_end = np.ones(n, dtype=bool)  # … and its last end
    done = 0
    for a, b in joins:
        words.extend(w[done:a])
        if pos is not None:
            tags.extend(pos[done:a])
        words.append("".join(w[a : b + 1]))
        tags.append(COMPOUND_TAG)
        keep_start[a + 1 : b + 1] = False
        keep_end[a:b] = False
        done = b + 1
    words.extend(w[done:])
    if pos is not None:
        tags.extend(pos[done:])
    return tuple(words), st[keep_start], en[keep_end], tuple(tags) if pos is not None else None


@functools.lru_cache(maxsize=8)
def _prefixes(terms: frozenset[str]) -> frozenset[str]:
    return frozenset(c[:i] for c in terms for i in range(1, len(c) + 1))


def _tokens_by_doc(docs: Sequence[Document], tokens_list: Sequence[Tokens]) -> list[Tokens]:
    if len(tokens_list) == len(docs) and all(
        t.doc_id == d.doc_id for t, d in zip(tokens_list, docs, strict=True)
    ):
        return list(tokens_list)
    by_id = {t.doc_id: t for t in tokens_list}
    out = []
    for d in docs:
        if d.doc_id not in by_id:
            raise InputError(
                f"build_units: no tokens for document {d.doc_id!r}; segment every document "
                "(Segmenter(pos=True).tokens(doc)) and pass the list in any order"
            )
        out.append(by_id[d.doc_id])
    return out


def _df_bound(value: float, n_units: int, name: str) -> int:
    """sklearn convention: an int is a count of units, a float in [0, 1] a proportion."""
    if isinstance(value, bool) or value < 0:
        raise ConfigError(
            f"The '{name}' parameter of build_units must be a count or a proportion. Got {value!r}."
        )
    if isinstance(value, int):
        return value
    if value > 1:
        raise ConfigError(
            f"The '{name}' parameter of build_units must be an int count or a float in [0, 1]. Got {value!r}."
        )
    return int(value * n_units) if name == "max_df" else max(1, math.ceil(value * n_units))


def build_units(
    docs: Iterable[Document],
    tokens_list: Sequence[Tokens],
    unit: UnitKind | str = "paragraph",
    *,
    min_df: float = 2,
    max_df: float = 0.5,
    keep_pos: Collection[str] | None = DEFAULT_KEEP_POS,
    stopwords: Collection[str] | None = None,
    min_tokens: int = 1,
    keep_words: Collection[str] = (),
    compounds: Collection[str] = (),
) -> Units:
    """Cut documents into units of content words with a bounded vocabulary.

    ``keep_pos=None`` (or tokens segmented without POS) keeps every part of speech;
    ``stopwords=None`` uses ``DEFAULT_STOPWORDS``, ``()`` none. ``min_df``/``max_df``
    follow scikit-learn: an int counts units, a float is a share of units. Units with
    fewer than ``min_tokens`` content words after filtering are dropped. ``keep_words``
    (seed words, say) are kept wherever they occur, whatever their tag, stopword status
    or frequency. ``compounds`` (seed phrases, say) are first joined into single tokens
    where the segmenter split them (see ``compound_tokens``) and then kept like
    ``keep_words``.

    >>> from govtext.segment import Segmenter
    >>> d = Document(doc_id="a", text="居民自治议事会\\n法治社区建设")
    >>> u = build_units([d], [Segmenter(pos=True).tokens(d)], min_df=1, max_df=1.0)
    >>> u.unit_ids
    ('a#p0', 'a#p1')
    """
    docs = list(docs)
    if unit not in UNIT_KINDS:
        raise ConfigError(f"The 'unit' parameter of build_units must be one of {UNIT_KINDS}. Got {unit!r}.")
    toks_by_doc = _tokens_by_doc(docs, tokens_list)
    terms = frozenset(c for c in compounds if c)
    stop = DEFAULT_STOPWORDS if stopwords is None else frozenset(stopwords)
    keep = frozenset(keep_pos) if keep_pos is not None else None
    forced = frozenset(keep_words) | frozenset(compounds)
    pos_used = keep is not None and all(t.pos is not None for t in toks_by_doc)

    def grade(word: str) -> int:
        # 2: kept whatever its tag (forced); 1: kept if its tag is; 0: never
        return 2 if word in forced else int(word not in stop and is_content_word(word))

    lexicon = Lexicon(grade, terms)
    unit_doc, unit_of, ids = content_tokens(
        docs, toks_by_doc, unit, lexicon, keep if pos_used else None, terms
    )
    vocab, (indptr, terms_of), kept_units, (lo, hi) = _bounded(
        lexicon, unit_doc, unit_of, ids, min_df, max_df, min_tokens
    )
    n_empty = len(unit_doc) - len(kept_units)
    unit_ids, doc_ids, spans = _unit_names(docs, unit, unit_doc, kept_units)
    settings = {
        "unit": unit,
        "min_df": min_df,
        "max_df": max_df,
        "min_df_units": lo,
        "max_df_units": hi,
        "keep_pos": sorted(keep) if pos_used and keep is not None else None,
        "stopwords": "default" if stopwords is None else len(stop),
        "stopwords_hash": hashlib.blake2b(json.dumps(sorted(stop)).encode(), digest_size=6).hexdigest(),
        "min_tokens": min_tokens,
        "keep_words": sorted(frozenset(keep_words)),
        "compounds": sorted(frozenset(compounds)),
        "n_documents": len(docs),
        "n_units": len(unit_ids),
        "n_empty": n_empty,
        "vocabulary_size": len(vocab),
        "token_settings": sorted({t.settings_hash for t in toks_by_doc}),
    }
    vocabulary = tuple(vocab)
    return Units(
        unit_ids=tuple(unit_ids),
        doc_ids=tuple(doc_ids),
        token_lists=TermRows(indptr, terms_of, vocabulary),
        vocabulary=vocabulary,
        spans=tuple(spans),
        settings=settings,
    )


def _bounded(
    lexicon: Lexicon, unit_doc: Any, unit_of: Any, ids: Any, min_df: float, max_df: float, min_tokens: int
) -> tuple[list[str], tuple[Any, Any], Any, tuple[int, int]]:
    """The vocabulary (document frequency within the bounds, or forced), the kept units'
    tokens as CSR rows of its ids, which units are kept (indices into every unit: those
    left with at least ``min_tokens`` tokens, and one) and the bounds in units."""
    import numpy as np

    df, n = _document_frequency(unit_of, ids, len(lexicon))
    lo, hi = _df_bound(min_df, n, "min_df"), _df_bound(max_df, n, "max_df")
    grades = lexicon.arrays()[0]
    chosen = np.flatnonzero((df > 0) & (((df >= lo) & (df <= hi)) | (grades == 2)))
    vocab = sorted(lexicon.words[i] for i in chosen.tolist())
    # ids and offsets int32 when they fit: the units are held by the run and sent to the
    # fit's own process (8 → 4 bytes a token on both sides; the fit's CSR is int32 anyway)
    rank = np.full(len(lexicon), -1, dtype=_index_dtype(len(vocab)))
    rank[np.fromiter((lexicon.index[w] for w in vocab), dtype=np.int64, count=len(vocab))] = np.arange(
        len(vocab)
    )
    terms_of = rank[ids]
    in_vocab = terms_of >= 0
    unit_of, terms_of = unit_of[in_vocab], terms_of[in_vocab]
    lengths = np.bincount(unit_of, minlength=len(unit_doc))
    kept_units = np.flatnonzero(lengths >= max(1, min_tokens))
    on = np.zeros(len(unit_doc), dtype=bool)
    on[kept_units] = True
    terms_of = terms_of[on[unit_of]]
    indptr = np.zeros(len(kept_units) + 1, dtype=_index_dtype(len(terms_of)))
    np.cumsum(lengths[kept_units], out=indptr[1:])
    return vocab, (indptr, terms_of), kept_units, (lo, hi)


def _index_dtype(largest: int) -> Any:
    """int32 when ``largest`` fits in it, else int64."""
    import numpy as np

    return np.int32 if largest <= np.iinfo(np.int32).max else np.int64


def _document_frequency(unit_of: Any, ids: Any, n_words: int) -> tuple[Any, int]:
    """Units holding each word (by id), and units holding any word."""
    import numpy as np

    if not len(ids):
        return np.zeros(n_words, dtype=np.int64), 0
    pairs = distinct(unit_of * n_words + ids)  # each (unit, word) once
    return np.bincount(pairs % n_words, minlength=n_words), len(distinct(pairs // n_words))


def _unit_names(
    docs: Sequence[Document], unit: str, unit_doc: Any, kept: Any
) -> tuple[list[str], list[str], list[tuple[int, int]]]:
    """Ids, document ids and spans of the units kept (indices into every unit, in order)."""
    import numpy as np

    doc_of = unit_doc[kept].tolist()
    if unit == "document":
        return (
            [docs[d].doc_id for d in doc_of],
            [docs[d].doc_id for d in doc_of],
            [(0, len(docs[d].text)) for d in doc_of],
        )
    # a unit's paragraph number: its index among every unit less its document's first
    first = np.searchsorted(unit_doc, unit_doc[kept], side="left")
    para = (kept - first).tolist()
    ids = [docs[d].doc_id for d in doc_of]
    return (
        [f"{i}#p{k}" for i, k in zip(ids, para, strict=True)],
        ids,
        [docs[d].paragraphs[k] for d, k in zip(doc_of, para, strict=True)],
    )
