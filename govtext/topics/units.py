"""Units: the passages a topic model sees, as filtered content-word lists.

``build_units`` cuts each document into units (paragraphs or whole documents) using the
cached tokens, keeps content words (part of speech, stopwords, no punctuation, digits or
single characters) and bounds the vocabulary by document frequency across units. Corpus
texts remain unchanged; a Units object records the settings that made it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal

from govtext.documents import Document
from govtext.errors import ConfigError, InputError
from govtext.tokens import Tokens

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
    token_lists: tuple[tuple[str, ...], ...]
    vocabulary: tuple[str, ...]
    spans: tuple[tuple[int, int], ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings)))
        n = len(self.unit_ids)
        if len(self.doc_ids) != n or len(self.token_lists) != n or (self.spans and len(self.spans) != n):
            raise ValueError("Units: unit_ids, doc_ids, token_lists and spans must have the same length")

    def __len__(self) -> int:
        return len(self.unit_ids)

    @property
    def n_tokens(self) -> int:
        return sum(len(t) for t in self.token_lists)

    def hash(self) -> str:
        """Hash of ids and tokens: two fits on equal hashes see the same input."""
        h = hashlib.blake2b(digest_size=10)
        for uid, toks in zip(self.unit_ids, self.token_lists, strict=True):
            h.update(uid.encode())
            h.update(b"\x00")
            h.update(" ".join(toks).encode())
            h.update(b"\x01")
        return h.hexdigest()

    def to_frame(self) -> Any:
        """One row per unit: unit_id, doc_id, char_start, char_end, n_tokens (the span's
        names as in the hits table; ``end`` is reserved in Stata)."""
        import pandas as pd

        spans = self.spans or tuple((0, 0) for _ in self.unit_ids)
        return pd.DataFrame(
            {
                "unit_id": list(self.unit_ids),
                "doc_id": list(self.doc_ids),
                "char_start": [a for a, _ in spans],
                "char_end": [b for _, b in spans],
                "n_tokens": [len(t) for t in self.token_lists],
            }
        )


def is_content_word(word: str) -> bool:
    """At least two characters and at least one letter (CJK counts): no punctuation or numbers."""
    if len(word) < 2:
        return False
    if not any(ch.isalpha() for ch in word):
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
    joins: list[tuple[int, int]] = []  # (first, last) token of each compound, in order
    next_free = 0
    for i in candidates:
        if i < next_free:
            continue
        best, acc, j = i, w[i], i
        while acc in prefixes:
            if acc in terms and j > i:
                best = j
            if j + 1 >= n or not touching[j]:
                break
            j += 1
            acc += w[j]
        if best > i:
            joins.append((i, best))
            next_free = best + 1
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


def _split(doc: Document, t_starts: Any, unit: str) -> list[tuple[str, tuple[int, int], list[int]]]:
    """(unit_id, span, token indices) per unit of one document; ``t_starts``: the tokens'
    start offsets (an int64 array)."""
    if unit == "document":
        return [(doc.doc_id, (0, len(doc.text)), list(range(len(t_starts))))]
    import numpy as np

    paras = doc.paragraphs
    if not paras:
        return []
    # every token's paragraph at once: the last paragraph starting at or before it, if it
    # ends after the token's start
    p_starts = np.fromiter((a for a, _ in paras), dtype=np.int64, count=len(paras))
    p_ends = np.fromiter((b for _, b in paras), dtype=np.int64, count=len(paras))
    j = np.searchsorted(p_starts, t_starts, side="right") - 1
    ok = (j >= 0) & (t_starts < p_ends[np.clip(j, 0, None)])
    idx = np.flatnonzero(ok)
    # tokens come in text order, so each paragraph's tokens are one run of idx
    cuts = np.searchsorted(j[idx], np.arange(len(paras) + 1)).tolist()
    flat = idx.tolist()
    return [(f"{doc.doc_id}#p{k}", paras[k], flat[cuts[k] : cuts[k + 1]]) for k in range(len(paras))]


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


RawUnit = tuple[str, str, tuple[int, int], list[str]]  # unit id, doc id, span, kept words


def _content_units(
    docs: Sequence[Document],
    toks_by_doc: Sequence[Tokens],
    unit: str,
    terms: frozenset[str],
    stop: frozenset[str],
    keep: frozenset[str] | None,
    forced: frozenset[str],
) -> list[RawUnit]:
    """Each document cut into units of its content words (``keep``: the tags kept, None: any)."""
    raw: list[RawUnit] = []
    # Whether a word may be kept (content word, not a stopword) is decided once per
    # distinct word; the tag test stays per token.
    word_ok: dict[str, int] = {}
    for doc, toks in zip(docs, toks_by_doc, strict=True):
        # One document at a time: plain tuples for indexing, offsets as arrays (see
        # token_offsets), compounds joined; nothing per token outlives the document.
        words = tuple(toks.words)
        tags = tuple(toks.pos) if keep is not None and toks.pos is not None else None
        starts, ends = token_offsets(toks)
        joined = _join_compounds(words, starts, ends, tags, terms) if terms and words else None
        if joined is not None:
            words, starts, _, joined_tags = joined
            tags = joined_tags if tags is not None else None
        for word in set(words).difference(word_ok):
            # 2: kept whatever its tag (forced); 1: kept if its tag is; 0: never
            word_ok[word] = 2 if word in forced else int(word not in stop and is_content_word(word))
        grades = [word_ok[w] for w in words]
        if tags is None or keep is None:
            flags = [g > 0 for g in grades]
        else:
            flags = [g == 2 or (g == 1 and t in keep) for g, t in zip(grades, tags, strict=True)]
        for uid, span, idx in _split(doc, starts, unit):
            kept = [words[i] for i in idx if flags[i]]
            raw.append((uid, doc.doc_id, span, kept))
    return raw


def _bounded(
    raw: Sequence[RawUnit], lo: int, hi: int, forced: frozenset[str], min_tokens: int
) -> tuple[list[str], tuple[list[str], list[str], list[tuple[int, int]], list[tuple[str, ...]]], int]:
    """The vocabulary (document frequency within [lo, hi], or forced), the units' columns
    with only its words, and how many units were left empty."""
    df: Counter[str] = Counter()
    for r in raw:
        df.update(set(r[3]))
    vocab = sorted(w for w, c in df.items() if lo <= c <= hi or w in forced)
    vset = set(vocab)
    unit_ids: list[str] = []
    doc_ids: list[str] = []
    spans: list[tuple[int, int]] = []
    lists: list[tuple[str, ...]] = []
    n_empty = 0
    for uid, did, span, kept in raw:
        filtered = tuple(w for w in kept if w in vset)
        if len(filtered) < max(1, min_tokens):
            n_empty += 1
            continue
        unit_ids.append(uid)
        doc_ids.append(did)
        spans.append(span)
        lists.append(filtered)
    return vocab, (unit_ids, doc_ids, spans, lists), n_empty


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

    raw = _content_units(docs, toks_by_doc, unit, terms, stop, keep if pos_used else None, forced)

    n = sum(1 for r in raw if r[3])
    lo, hi = _df_bound(min_df, n, "min_df"), _df_bound(max_df, n, "max_df")
    vocab, (unit_ids, doc_ids, spans, lists), n_empty = _bounded(raw, lo, hi, forced, min_tokens)
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
    return Units(
        unit_ids=tuple(unit_ids),
        doc_ids=tuple(doc_ids),
        token_lists=tuple(lists),
        vocabulary=tuple(vocab),
        spans=tuple(spans),
        settings=settings,
    )
