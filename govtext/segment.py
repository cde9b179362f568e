"""Tokens: jieba segmentation with the governance user dictionary, POS and sentences.

A Segmenter owns its own tokenizer, so user dictionaries never leak into the global
jieba state another library may rely on. Text is segmented in its normalised view
(see ``govtext.normalize``) and token offsets are mapped back to the original.

Two backends give the same tokens: pure ``jieba`` (the reference) and ``rjieba``
(jieba-rs, about twenty times faster). Both are loaded with the same entries, in the
same order: jieba's main dictionary, then the governance dictionary, then the user's
dictionaries. With the HMM off (the default) their tokens are identical; the test
suite checks this on the real corpora.

Around it: ``govtext.tokens`` (the Tokens it produces and their codecs),
``govtext.normalize`` (the vectorised normalised view it cuts), ``govtext.userdict``
(the dictionaries and the jieba-rs engine built from them), ``govtext.stopwords``.

>>> seg = Segmenter()
>>> seg.cut("推进接诉即办改革")
['推进', '接诉即办', '改革']
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from govtext.documents import Document
from govtext.errors import ConfigError
from govtext.normalize import VIEW_VERSION, fast_view, matcher_view, view_arrays, view_is_plain
from govtext.sentences import split_sentences
from govtext.stopwords import is_content, load_stopwords
from govtext.tokens import TokenBatch, Tokens, pack_spans
from govtext.userdict import (
    DictEntry,
    build_rjieba,
    default_user_dict,
    file_digest,
    main_dict_path,
    read_user_dict,
    tags_like_posseg,
)

Backend = Literal["auto", "jieba", "rjieba"]
BACKENDS = ("auto", "jieba", "rjieba")

# Joins the views of a batch's documents for one call to jieba: a character that is
# neither CJK, a letter, a digit nor whitespace is always a token of its own, so no
# token ever spans two documents (and a NUL inside a text stays an ordinary token).
_BATCH_SEP = "\x00"


class Segmenter:
    """jieba with the governance dictionary, optional extra dictionaries and POS tags.

    Parameters
    ----------
    user_dicts : extra dictionaries in jieba's ``word [freq] [pos]`` format, loaded after
        the governance dictionary (later entries win).
    use_default_dict : load the governance dictionary shipped in ``govtext/data``.
    hmm : let jieba's HMM guess words missing from the dictionaries. Off by default:
        the dictionaries decide, results are reproducible across backends, and the
        HMM's guesses (mostly names) do not help theme rules or topic models.
    pos : attach part-of-speech tags (jieba.posseg's tag set).
    backend : "jieba" (pure Python reference), "rjieba" (jieba-rs) or "auto" (rjieba
        when installed).
    stopwords : extra stopword files (one word a line) added to the shipped lists.
    filler_words : also treat the shipped report filler words (进一步, 切实 …) as
        stopwords in ``content_words``.

    ``settings_hash`` identifies everything that can change the tokens (the cache key
    together with the text hash); stopwords filter afterwards and are not part of it.
    """

    def __init__(
        self,
        *,
        user_dicts: Sequence[str | Path] = (),
        use_default_dict: bool = True,
        hmm: bool = False,
        pos: bool = False,
        backend: Backend = "auto",
        stopwords: Sequence[str | Path] = (),
        filler_words: bool = True,
    ) -> None:
        self.user_dicts = tuple(str(p) for p in user_dicts)
        self.use_default_dict = use_default_dict
        self.hmm = hmm
        self.pos = pos
        self.backend = backend
        self.stopwords = tuple(str(p) for p in stopwords)
        self.filler_words = filler_words
        if backend not in BACKENDS:
            raise ConfigError(
                f"The 'backend' parameter of Segmenter must be one of {BACKENDS}. Got {backend!r} instead."
            )
        self._engine: Any = None
        self._posseg: Any = None
        self._tag_table: dict[str, str] = {}
        self._hot_tags: dict[str, str] = {}
        self._settings_hash: str | None = None
        self._stopword_set: frozenset[str] | None = None

    # -- configuration -------------------------------------------------------------

    def get_params(self) -> dict[str, Any]:
        return {
            "user_dicts": self.user_dicts,
            "use_default_dict": self.use_default_dict,
            "hmm": self.hmm,
            "pos": self.pos,
            "backend": self.backend,
            "stopwords": self.stopwords,
            "filler_words": self.filler_words,
        }

    def __getstate__(self) -> dict[str, Any]:
        # Engines hold native objects; a worker process rebuilds them from the parameters.
        return {"params": self.get_params(), "settings_hash": self._settings_hash}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state["params"])  # type: ignore[misc]
        self._settings_hash = state["settings_hash"]

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"Segmenter({args})"

    @property
    def backend_(self) -> str:
        """The backend actually used ("auto" resolved)."""
        if self.backend != "auto":
            return self.backend
        try:
            import rjieba  # noqa: F401
        except ImportError:
            return "jieba"
        return "rjieba"

    def _dict_paths(self) -> list[Path]:
        paths = [default_user_dict()] if self.use_default_dict else []
        return paths + [Path(p) for p in self.user_dicts]

    def user_entries(self) -> list[DictEntry]:
        """Entries of the governance and user dictionaries, in loading order (validated).

        Words are put in the normalised view, as the text is: a user who writes
        接訴即辦 or ＡＢＣ in a dictionary still gets 接诉即办 and ABC kept whole.
        """
        out: list[DictEntry] = []
        for path in self._dict_paths():
            for e in read_user_dict(path):
                # the view the text is cut in (fast_view), so a word is found as written
                word = fast_view(e.word)[0]
                out.append(e if word == e.word else DictEntry(word, e.freq, e.tag))
        return out

    @property
    def settings_hash(self) -> str:
        """Hash of everything that decides the tokens: dictionaries, HMM, POS, view."""
        if self._settings_hash is None:
            from importlib import metadata

            self.user_entries()  # a broken dictionary fails here, not deep inside a worker
            desc: dict[str, Any] = {
                "view": VIEW_VERSION,
                "hmm": self.hmm,
                "pos": self.pos,
                "jieba": metadata.version("jieba"),
                "main_dict": file_digest(main_dict_path()),
                "dicts": [file_digest(p) for p in self._dict_paths()],
            }
            if self.hmm:
                # With the HMM on, the backends differ slightly (F1 ~0.9996), so the
                # backend is part of the key; with it off their tokens are identical.
                desc["backend"] = self.backend_
            raw = json.dumps(desc, sort_keys=True).encode()
            self._settings_hash = hashlib.blake2b(raw, digest_size=8).hexdigest()
        return self._settings_hash

    def describe(self) -> dict[str, Any]:
        """Parameters plus resolved backend and hash, for run.json and the store."""
        return {**self.get_params(), "backend_": self.backend_, "settings_hash": self.settings_hash}

    # -- engines ---------------------------------------------------------------------

    def _ensure(self) -> Any:
        if self._engine is None:
            entries = self.user_entries()
            if self.backend_ == "rjieba":
                eng, self._tag_table = build_rjieba(entries)
            else:
                import logging

                import jieba

                jieba.setLogLevel(logging.WARNING)
                eng = jieba.Tokenizer(str(main_dict_path()))
                eng.initialize()
                for e in entries:
                    eng.add_word(e.word, e.freq, e.tag)
            self._engine = eng
        return self._engine

    def _cut_view(self, view: str) -> list[str]:
        eng = self._ensure()
        if self.backend_ == "rjieba":
            return list(eng.cut(view, hmm=self.hmm))
        return list(eng.cut(view, HMM=self.hmm))

    def _tag_view(self, view: str) -> tuple[list[str], list[str]]:
        eng = self._ensure()
        if self.backend_ == "rjieba":
            if self.hmm:
                pairs = eng.tag(view, hmm=True)
                return [w for w, _ in pairs], [t for _, t in pairs]
            words = list(eng.cut(view, hmm=False))
            return words, tags_like_posseg(words, self._tag_table, self._hot_tags)
        import jieba.posseg

        if self._posseg is None:
            self._posseg = jieba.posseg.POSTokenizer(eng)
        pairs = list(self._posseg.cut(view, HMM=self.hmm))
        return [p.word for p in pairs], [p.flag for p in pairs]

    # -- segmentation ----------------------------------------------------------------

    def cut(self, text: str) -> list[str]:
        """Tokens of a text as jieba gives them (on the normalised view, whitespace kept)."""
        view, _, _ = fast_view(text)
        return self._cut_view(view)

    def tag(self, text: str) -> list[tuple[str, str]]:
        """(word, POS) pairs of a text, whitespace tokens kept, like ``jieba.posseg.lcut``."""
        view, _, _ = fast_view(text)
        words, tags = self._tag_view(view)
        return list(zip(words, tags, strict=True))

    def tokens(self, doc: Document) -> Tokens:
        """Tokens of a document: words without whitespace, original offsets, sentences."""
        return self.tokens_of_text(doc.text, doc.doc_id)

    def tokens_of_text(self, text: str, doc_id: str = "") -> Tokens:

        view, breaks, shift, ws, _ = view_arrays(text)
        tags: list[str] | None = None
        if self.pos:
            words, tags = self._tag_view(view)
        else:
            words = self._cut_view(view)
        words, tags, starts_v, ends_v = _kept_tokens(words, tags, ws)
        if len(breaks) > 1:
            starts_o, ends_o = _to_original(starts_v, ends_v, breaks, shift)
        else:
            starts_o, ends_o = starts_v, ends_v
        return Tokens.from_arrays(doc_id, words, starts_o, ends_o, tags, text, self.settings_hash)

    def tokens_batch(self, texts: Sequence[str], *, views: Sequence[Any] | None = None) -> TokenBatch:
        """The tokens of several texts at once, equal to ``tokens_of_text`` of each.

        One call to jieba over the texts' views joined by ``_BATCH_SEP`` and one
        vectorised pass for offsets, ids and tags, instead of a dozen small numpy
        calls per document. ``views`` are ``view_arrays`` of the texts when the
        caller has them already (the matcher needs them too).
        """
        import numpy as np

        arrays = list(views) if views is not None else [view_arrays(t) for t in texts]
        n_docs = len(texts)
        vlen = np.fromiter((len(a[0]) for a in arrays), dtype=np.int64, count=n_docs)
        base = np.zeros(n_docs + 1, dtype=np.int64)
        base[1:] = np.cumsum(vlen + 1)  # where each view starts in the joined text
        joined = _BATCH_SEP.join(a[0] for a in arrays)
        tags: list[str] | None = None
        if self.pos and (self.hmm or self.backend_ != "rjieba"):
            words, tags = self._tag_view(joined)
        else:
            words = self._cut_view(joined)
        sep = np.ones(1, dtype=bool)
        pieces: list[Any] = []
        for k, a in enumerate(arrays):
            pieces.append(a[3])
            if k < n_docs - 1:
                pieces.append(sep)
        # the separators count as whitespace, so they go with it
        ws = np.concatenate(pieces) if pieces else np.zeros(0, dtype=bool)
        words, tags, starts_v, ends_v = _kept_tokens(words, tags, ws)
        # one shift table for the batch: view position p of document d maps to
        # p + shift_d[k] - base[d] in d's original text
        gbreaks = np.concatenate([a[1] + base[k] for k, a in enumerate(arrays)]) if arrays else base[:1]
        gshift = np.concatenate([a[2] - base[k] for k, a in enumerate(arrays)]) if arrays else base[:1]
        starts_o, ends_o = _to_original(starts_v, ends_v, gbreaks, gshift)
        bounds = np.searchsorted(starts_v, base, side="left")
        bounds[-1] = len(starts_v)
        vocab = tuple(dict.fromkeys(words))
        index = dict(zip(vocab, range(len(vocab)), strict=True))
        word_ids = np.fromiter(map(index.__getitem__, words), dtype=np.uint32, count=len(words))
        tag_names, tag_ids = self._batch_tags(vocab, word_ids, tags) if self.pos else (None, None)
        sent_a, sent_b, sent_bounds = _batch_sentences(texts)
        tb, sb = bounds.tolist(), sent_bounds.tolist()
        plain = [view_is_plain(a, t) for a, t in zip(arrays, texts, strict=True)]
        return TokenBatch(
            settings_hash=self.settings_hash,
            vocab=vocab,
            word_ids=word_ids,
            tags=tag_names,
            tag_ids=tag_ids,
            bounds=bounds,
            spans=[pack_spans(starts_o[tb[i] : tb[i + 1]], ends_o[tb[i] : tb[i + 1]]) for i in range(n_docs)],
            sentences=[
                pack_spans(sent_a[sb[i] : sb[i + 1]], sent_b[sb[i] : sb[i + 1]]) for i in range(n_docs)
            ],
            n_sentences=[sb[i + 1] - sb[i] for i in range(n_docs)],
            view_plain=plain,
            views=[None if p else matcher_view(a, t) for a, t, p in zip(arrays, texts, plain, strict=True)],
        )

    def _batch_tags(
        self, vocab: tuple[str, ...], word_ids: Any, tags: list[str] | None
    ) -> tuple[tuple[str, ...], Any]:
        """The tag names of a batch and the tag id of each of its tokens (``tags``: the
        tags jieba gave, None when they follow from the words)."""
        import numpy as np

        if tags is None:  # with the HMM off a word's tag depends on the word alone
            self._ensure()
            per_word = tags_like_posseg(list(vocab), self._tag_table, self._hot_tags)
            tag_names = tuple(dict.fromkeys(per_word))
            tix = dict(zip(tag_names, range(len(tag_names)), strict=True))
            return tag_names, np.fromiter(map(tix.__getitem__, per_word), dtype=np.uint16, count=len(vocab))[
                word_ids
            ]
        tag_names = tuple(dict.fromkeys(tags))
        tix = dict(zip(tag_names, range(len(tag_names)), strict=True))
        return tag_names, np.fromiter(map(tix.__getitem__, tags), dtype=np.uint16, count=len(tags))

    # -- stopwords -------------------------------------------------------------------

    def stopword_set(self) -> frozenset[str]:
        """The shipped general stopwords, filler words (if enabled) and user lists."""
        if self._stopword_set is None:
            self._stopword_set = load_stopwords(filler=self.filler_words, extra=self.stopwords)
        return self._stopword_set

    def content_words(self, tokens: Tokens | Iterable[str], *, min_len: int = 2) -> list[str]:
        """Words fit for topic models and counts: no stopwords, no punctuation or numbers,
        at least ``min_len`` characters.

        >>> Segmenter().content_words(["我们", "要", "进一步", "推进", "接诉即办", "，", "2026"])
        ['接诉即办']
        >>> Segmenter(filler_words=False).content_words(["我们", "要", "进一步", "推进", "接诉即办"])
        ['进一步', '推进', '接诉即办']
        """
        words = tokens.words if isinstance(tokens, Tokens) else tokens
        stop = self.stopword_set()
        return [w for w in words if len(w) >= min_len and w not in stop and is_content(w)]


def _kept_tokens(
    words: list[str], tags: list[str] | None, ws: Any
) -> tuple[list[str], list[str] | None, Any, Any]:
    """Words (and tags) of a cut view without its whitespace tokens, with the view
    offsets of those kept. ``ws`` marks the view's whitespace characters."""
    import numpy as np

    lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    ends_v = np.cumsum(lengths)
    starts_v = ends_v - lengths
    # Whitespace never shares a token with anything else, so a token is whitespace
    # exactly when its first character is.
    drop = np.flatnonzero(ws[starts_v]) if len(starts_v) else np.zeros(0, dtype=np.int64)
    if len(drop):
        # whitespace tokens are few (line breaks): copy the runs between them
        words = _without(words, drop)
        if tags is not None:
            tags = _without(tags, drop)
        starts_v = np.delete(starts_v, drop)
        ends_v = np.delete(ends_v, drop)
    return words, tags, starts_v, ends_v


def _batch_sentences(texts: Sequence[str]) -> tuple[Any, Any, Any]:
    """The sentences of several texts: starts and ends in each text, and where each
    text's sentences begin (``bounds[i]:bounds[i + 1]`` are text i's)."""
    import numpy as np

    n_docs = len(texts)
    # Sentences never contain a line break, so the texts joined by one split as each alone.
    tbase = np.zeros(n_docs + 1, dtype=np.int64)
    tbase[1:] = np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=n_docs) + 1)
    spans = np.array(split_sentences("\n".join(texts)), dtype=np.int64).reshape(-1, 2)
    sent_bounds = np.searchsorted(spans[:, 0], tbase, side="left")
    sent_bounds[-1] = len(spans)
    sent_doc = np.repeat(np.arange(n_docs), np.diff(sent_bounds))
    return spans[:, 0] - tbase[sent_doc], spans[:, 1] - tbase[sent_doc], sent_bounds


def _to_original(starts_v: Any, ends_v: Any, breaks: Any, shift: Any) -> tuple[Any, Any]:
    """View offsets mapped to the original text by a shift table (see fast_view)."""
    import numpy as np

    starts_o = starts_v + shift[np.searchsorted(breaks, starts_v, side="right") - 1]
    last = ends_v - 1
    return starts_o, last + shift[np.searchsorted(breaks, last, side="right") - 1] + 1


def _without(items: list[str], drop: Any) -> list[str]:
    """``items`` without the (sorted) indices in ``drop``."""
    out: list[str] = []
    prev = 0
    for i in drop.tolist():
        out.extend(items[prev:i])
        prev = i + 1
    out.extend(items[prev:])
    return out
