"""Tokens of documents and their compact codecs: what segmentation produces, the store
keeps and the topic models, comparisons and evidence read.

``Tokens`` holds one document's words, offsets into the original text, tags and
sentences; ``TokenBatch`` holds a batch of documents as a few arrays (what a worker
sends back). Both decode lazily (``Lazy``): a run pays only for the fields it
touches. ``pack_spans``/``unpack_spans`` are the byte coding of offsets the store uses.

>>> import numpy as np
>>> tok = Tokens.from_arrays("d1", ["推进", "接诉即办"], np.array([0, 2]), np.array([2, 6]), None, "推进接诉即办", "h")
>>> tok.ends
(2, 6)
>>> again = Tokens.unpack("d1", "h", text="推进接诉即办", **tok.pack(sentences=False))
>>> list(again.words), list(again.starts), list(again.sentences)
(['推进', '接诉即办'], [0, 2], [(0, 6)])
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from govtext.sentences import split_sentences

_SEP = "\x1f"  # unit separator: whitespace to jieba, so never inside a kept token


class Lazy(Sequence[Any]):
    """A read-only sequence decoded from a compact form on first use.

    Offsets and sentences are made this way (from numpy arrays and the text) and the
    token cache hands out every field this way, so a run pays only for the fields it
    touches: topic models read words, evidence reads offsets and sentences. It
    compares equal to the tuple it decodes to. ``n`` is the length when known upfront.
    """

    __slots__ = ("_decode", "_items", "_n", "_raw")

    def __init__(self, raw: Any, decode: Any, n: int | None = None) -> None:
        self._raw = raw
        self._decode = decode
        self._n = n
        self._items: tuple[Any, ...] | None = None

    def _get(self) -> tuple[Any, ...]:
        if self._items is None:
            self._items = self._decode(self._raw)
            self._raw = None
        return self._items

    def __len__(self) -> int:
        return len(self._get()) if self._n is None else self._n

    def __getitem__(self, i: Any) -> Any:
        return self._get()[i]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._get())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Lazy):
            other = other._get()
        if isinstance(other, tuple):
            return self._get() == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._get())

    def __repr__(self) -> str:
        return repr(self._get())

    def __reduce__(self) -> tuple[Any, ...]:
        # Sent to another process (Dask, a pool) as the plain tuple it stands for: the
        # packed form may point at a store's whole vocabulary.
        return (tuple, (self._get(),))


def pack_spans(starts: Any, ends: Any) -> bytes:
    """Spans as (gap to the previous end, length) pairs in the narrowest integer type:
    one byte a number for almost every document."""
    import numpy as np

    s = np.asarray(starts, dtype=np.int64)
    e = np.asarray(ends, dtype=np.int64)
    prev = np.concatenate(([0], e[:-1])) if len(e) else e
    both = np.concatenate((s - prev, e - s))
    top = int(both.max()) if len(both) else 0
    code, dtype = (b"1", np.uint8) if top < 256 else (b"2", np.uint16) if top < 65536 else (b"4", np.int64)
    return code + both.astype(dtype).tobytes()


def unpack_spans(raw: bytes) -> tuple[Any, Any]:
    import numpy as np

    dtype = {b"1": np.uint8, b"2": np.uint16, b"4": np.int64}[raw[:1]]
    both = np.frombuffer(raw, dtype=dtype, offset=1).astype(np.int64)
    n = len(both) // 2
    gaps, lengths = both[:n], both[n:]
    ends = np.cumsum(gaps + lengths)
    return ends - lengths, ends


def _array_to_tuple(arr: Any) -> tuple[int, ...]:
    return tuple(arr.tolist())


def _sentences_of(text: str) -> tuple[tuple[int, int], ...]:
    return tuple(split_sentences(text))


def _decode_words(raw: str) -> tuple[str, ...]:
    return tuple(raw.split(_SEP)) if raw else ()


def _decode_tags(raw: str) -> tuple[str, ...]:
    return tuple(raw.split(" ")) if raw else ()


class _Spans:
    """Packed offsets shared by ``starts`` and ``ends``: unpacked once for both."""

    __slots__ = ("_arrays", "raw")

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self._arrays: tuple[Any, Any] | None = None

    def arrays(self) -> tuple[Any, Any]:
        if self._arrays is None:
            self._arrays = unpack_spans(self.raw)
        return self._arrays


def _decode_starts(spans: _Spans) -> tuple[int, ...]:
    return tuple(spans.arrays()[0].tolist())


def _decode_ends(spans: _Spans) -> tuple[int, ...]:
    return tuple(spans.arrays()[1].tolist())


def _decode_sentences(raw: bytes) -> tuple[tuple[int, int], ...]:
    a, b = unpack_spans(raw)
    return tuple(zip(a.tolist(), b.tolist(), strict=True))


@dataclass(frozen=True)
class Tokens:
    """The tokens of one document; ``starts``/``ends`` are offsets into the original text.

    ``sentences`` are (start, end) spans of the original text; ``pos`` is None unless
    the segmenter was asked for tags; ``settings_hash`` names the segmenter settings.
    Fields are tuples or ``Lazy`` sequences equal to them (offsets and sentences are
    materialised on first use; everything read from the cache is).
    """

    doc_id: str
    words: Sequence[str]
    starts: Sequence[int]
    ends: Sequence[int]
    pos: Sequence[str] | None
    sentences: Sequence[tuple[int, int]]
    settings_hash: str

    def __len__(self) -> int:
        return len(self.words)

    def with_doc_id(self, doc_id: str) -> Tokens:
        """The same tokens under another document id (the cache is keyed by text, not id)."""
        if doc_id == self.doc_id:
            return self
        return Tokens(
            doc_id, self.words, self.starts, self.ends, self.pos, self.sentences, self.settings_hash
        )

    def offset_arrays(self, *, keep: bool = True) -> tuple[Any, Any]:
        """``starts`` and ``ends`` as int64 numpy arrays, read straight from their packed or
        array form when they have not been decoded: decoding them through the sequence
        would keep a Python int per token for the rest of the run (topic units read
        every document's offsets). ``keep=False`` leaves packed offsets packed (the
        arrays are not kept with the tokens: 16 bytes a token for the rest of the run)."""
        import numpy as np

        starts, ends = self.starts, self.ends
        if isinstance(starts, Lazy) and isinstance(starts._raw, _Spans):
            spans = starts._raw
            return spans.arrays() if keep or spans._arrays is not None else unpack_spans(spans.raw)
        if isinstance(starts, Lazy) and isinstance(ends, Lazy):
            if isinstance(starts._raw, np.ndarray) and isinstance(ends._raw, np.ndarray):
                return starts._raw.astype(np.int64, copy=False), ends._raw.astype(np.int64, copy=False)
        return (
            np.fromiter(iter(starts), dtype=np.int64, count=len(starts)),
            np.fromiter(iter(ends), dtype=np.int64, count=len(ends)),
        )

    def word_codes(self) -> tuple[Any, Any]:
        """The words as ``(codes, table)``: ``table[codes]`` (a numpy take) gives them.

        Words still packed (a worker's batch, the store's ids) are read as the ids they
        are, into a table shared by many documents (the batch's or the store's
        vocabulary), and nothing is decoded or kept with the tokens: a reader of every
        document's words (topic units) then leaves no string per token behind.
        Otherwise the table is the document's own words."""
        return _codes(self.words)

    def words_array(self) -> Any:
        """The words as a numpy object array, decoded for the caller alone: packed words
        stay packed in the tokens (see ``word_codes``)."""
        import numpy as np

        codes, table = self.word_codes()
        if not isinstance(table, np.ndarray):
            table = np.array(table, dtype=object) if len(table) else np.zeros(0, dtype=object)
        return table[codes]

    def tag_codes(self) -> tuple[Any, Any] | None:
        """The part-of-speech tags as ``(codes, table)`` like ``word_codes``; None without tags."""
        return None if self.pos is None else _codes(self.pos)

    def pack(self, *, words: bool = True, sentences: bool = True, pos: bool = True) -> dict[str, Any]:
        """A compact form for the store: joined words and tags, byte-coded spans.

        Fields still packed (read from the cache, never touched) are passed through
        without decoding.
        """

        def packed(seq: Any, kind: type) -> Any:
            # the raw form of a Lazy read from the store is already the packed form
            if isinstance(seq, Lazy) and isinstance(seq._raw, kind):
                return seq._raw
            return None

        def raw_or(seq: Any, encode: Any) -> Any:
            raw = packed(seq, str)
            return encode(seq) if raw is None else raw

        spans = (
            self.starts._raw.raw
            if isinstance(self.starts, Lazy) and isinstance(self.starts._raw, _Spans)
            else None
        )
        if spans is None:
            # fresh tokens still hold their offsets as numpy arrays: no walk over tuples
            s, e = self.starts, self.ends
            if isinstance(s, Lazy) and isinstance(e, Lazy) and s._raw is not None and e._raw is not None:
                s, e = s._raw, e._raw
            spans = pack_spans(s, e)
        out = {
            "n_tokens": len(self.words),
            "spans": spans,
        }
        if pos:
            out["pos"] = None if self.pos is None else raw_or(self.pos, " ".join)
        if sentences:
            sents = self.sentences
            sent_raw = packed(sents, bytes)
            if sent_raw is None:
                sent_raw = pack_spans([a for a, _ in sents], [b for _, b in sents])
            out["n_sentences"] = len(sents)
            out["sentences"] = sent_raw
        if words:
            out["words"] = raw_or(self.words, _SEP.join)
        return out

    @classmethod
    def from_arrays(
        cls,
        doc_id: str,
        words: Sequence[str],
        starts: Any,
        ends: Any,
        pos: Sequence[str] | None,
        text: str,
        settings_hash: str,
    ) -> Tokens:
        """Tokens of a fresh cut: offsets as (numpy) arrays turned into tuples on first
        use (``pack`` reads the arrays directly), sentences split from ``text`` on first use."""
        n = len(words)
        return cls(
            doc_id=doc_id,
            words=tuple(words),
            starts=Lazy(starts, _array_to_tuple, n),
            ends=Lazy(ends, _array_to_tuple, n),
            pos=tuple(pos) if pos is not None else None,
            sentences=Lazy(text, _sentences_of),
            settings_hash=settings_hash,
        )

    @classmethod
    def unpack(
        cls,
        doc_id: str,
        settings_hash: str,
        *,
        n_tokens: int,
        words: str | Lazy,
        spans: bytes,
        pos: str | Lazy | None,
        n_sentences: int | None = None,
        sentences: bytes | None = None,
        text: str | None = None,
    ) -> Tokens:
        """Tokens from ``pack()``'s fields, decoded lazily; sentences packed without
        them are split from ``text`` on first use."""
        shared = _Spans(spans)
        if sentences is not None:
            sents = Lazy(sentences, _decode_sentences, n_sentences)
        elif text is not None:
            sents = Lazy(text, _sentences_of)
        else:
            raise ValueError("Tokens.unpack needs the packed sentences or the text")
        return cls(
            doc_id=doc_id,
            words=Lazy(words, _decode_words, n_tokens) if isinstance(words, str) else words,
            starts=Lazy(shared, _decode_starts, n_tokens),
            ends=Lazy(shared, _decode_ends, n_tokens),
            pos=Lazy(pos, _decode_tags, n_tokens) if isinstance(pos, str) else pos,
            sentences=sents,
            settings_hash=settings_hash,
        )


def _codes(seq: Sequence[str]) -> tuple[Any, Any]:
    """``(codes, table)`` of a field (see ``Tokens.word_codes``), decoding nothing that
    can be read as ids and keeping nothing decoded."""
    import numpy as np

    if isinstance(seq, Lazy) and seq._items is None:
        raw, decode = seq._raw, seq._decode
        if decode is _decode_batch_words or decode is _decode_batch_tags:
            batch, a, b = raw
            if decode is _decode_batch_words:
                return batch.word_ids[a:b], batch.vocab_array()
            return batch.tag_ids[a:b], batch.tag_array()
        # a vocabulary's bound ``decode`` (the store's) that can also give the ids
        codes = getattr(getattr(decode, "__self__", None), "codes", None)
        if codes is not None:
            return codes(raw)
        seq = decode(raw)  # decoded for this call only
    table = tuple(seq)
    return np.arange(len(table)), table


def _decode_batch_words(ref: tuple[TokenBatch, int, int]) -> tuple[str, ...]:
    batch, a, b = ref
    return tuple(batch.vocab_array()[batch.word_ids[a:b]].tolist())


def _decode_batch_tags(ref: tuple[TokenBatch, int, int]) -> tuple[str, ...]:
    batch, a, b = ref
    assert batch.tags is not None and batch.tag_ids is not None
    return tuple(batch.tag_array()[batch.tag_ids[a:b]].tolist())


@dataclass(eq=False)
class TokenBatch:
    """The tokens of a batch of documents as a handful of arrays.

    This is what a worker sends back: a few large arrays pickle in microseconds, where
    per-document tuples of words cost a third of the work to pickle and unpickle.
    ``word_ids`` index ``vocab`` (the batch's distinct words), ``tag_ids`` index
    ``tags``; document ``i`` owns tokens ``bounds[i]:bounds[i+1]``. Its offsets and
    sentences come packed as the store keeps them (``spans[i]``, ``sentences[i]``,
    see ``pack_spans``): the worker packs them, so the process that writes the store
    does not. ``tokens(i)`` gives the document's Tokens, decoded lazily.
    """

    settings_hash: str
    vocab: tuple[str, ...]
    word_ids: Any
    tags: tuple[str, ...] | None
    tag_ids: Any
    bounds: Any
    spans: list[bytes]
    sentences: list[bytes]
    n_sentences: list[int]
    view_plain: list[bool] | None = None  # per document: see normalize.view_arrays
    views: list[str | None] | None = None  # per document: the matcher's view when not plain

    def __len__(self) -> int:
        return len(self.bounds) - 1

    def vocab_array(self) -> Any:
        return self._object_array("_vocab_array", self.vocab)

    def tag_array(self) -> Any:
        return self._object_array("_tag_array", self.tags or ())

    def _object_array(self, name: str, values: Sequence[str]) -> Any:
        # built on first decode, where the batch arrived (not pickled: see __getstate__)
        import numpy as np

        arr = self.__dict__.get(name)
        if arr is None:
            arr = self.__dict__[name] = np.array(values, dtype=object)
        return arr

    def __getstate__(self) -> dict[str, Any]:
        # the decoding caches are rebuilt where they are needed
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def token_range(self, i: int) -> tuple[int, int]:
        return int(self.bounds[i]), int(self.bounds[i + 1])

    def tokens(self, i: int, doc_id: str = "") -> Tokens:
        a, b = self.token_range(i)
        return Tokens.unpack(
            doc_id,
            self.settings_hash,
            n_tokens=b - a,
            words=Lazy((self, a, b), _decode_batch_words, b - a),
            spans=self.spans[i],
            pos=None if self.tag_ids is None else Lazy((self, a, b), _decode_batch_tags, b - a),
            n_sentences=self.n_sentences[i],
            sentences=self.sentences[i],
        )
