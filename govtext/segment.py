"""Tokens: jieba segmentation with the governance user dictionary, POS and sentences.

A Segmenter owns its own tokenizer, so user dictionaries never leak into the global
jieba state another library may rely on. Text is segmented in its normalised view
(see ``govtext.normalize``) and token offsets are mapped back to the original.

Two backends give the same tokens: pure ``jieba`` (the reference) and ``rjieba``
(jieba-rs, about twenty times faster). Both are loaded with the same entries, in the
same order: jieba's main dictionary, then the governance dictionary, then the user's
dictionaries. With the HMM off (the default) their tokens are identical; the test
suite checks this on the real corpora.

>>> seg = Segmenter()
>>> seg.cut("推进接诉即办改革")
['推进', '接诉即办', '改革']
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from govtext.documents import Document
from govtext.errors import ConfigError, DictionaryError
from govtext.sentences import split_sentences

Backend = Literal["auto", "jieba", "rjieba"]
BACKENDS = ("auto", "jieba", "rjieba")

# Bump when the normalised view or token post-processing changes: it is part of the cache key.
_VIEW_VERSION = "view-1"

_USERDICT_LINE = re.compile(r"^(\S+)(?:\s+(\S+))?(?:\s+(\S+))?$")
_POS_TAG = re.compile(r"^[a-z]+$")
_DIGITS = re.compile(r"^[0-9]+$")


def default_user_dict() -> Path:
    """Path of the governance user dictionary shipped with the package."""
    return Path(str(resources.files("govtext") / "data" / "userdict.txt"))


def main_dict_path() -> Path:
    """jieba's own main dictionary (the one ``jieba.lcut`` uses), found without
    importing jieba (0.1 s of start-up a run that only reads the store does not need)."""
    import importlib.util

    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        raise ConfigError("jieba is not installed; install govtext's dependencies (pip install -e .)")
    return Path(spec.origin).parent / "dict.txt"


@dataclass(frozen=True)
class DictEntry:
    """One line of a user dictionary: ``word [freq] [pos]`` (jieba's format)."""

    word: str
    freq: int | None
    tag: str | None


def read_user_dict(path: str | Path) -> list[DictEntry]:
    """Parse a user dictionary; blank lines and lines starting with ``#`` are skipped.

    A bad line raises DictionaryError naming the file, the line and the fix.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise DictionaryError(
            f"cannot read user dictionary ({exc.strerror}); check the path", str(p)
        ) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DictionaryError("user dictionary is not UTF-8; save it as UTF-8", str(p)) from exc
    entries = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = _USERDICT_LINE.match(line)
        if m is None:
            raise DictionaryError(
                f"expected 'word [frequency] [pos]' separated by spaces, got {line!r}; "
                "a word cannot contain spaces",
                str(p),
                lineno,
            )
        word, a, b = m.groups()
        freq: int | None = None
        tag: str | None = None
        for field in (a, b):
            if field is None:
                continue
            if field.isdigit() and freq is None and tag is None:
                freq = int(field)
            elif _POS_TAG.match(field) and tag is None:
                tag = field
            else:
                raise DictionaryError(
                    f"{field!r} after {word!r} is neither a frequency (a whole number) nor a "
                    "part-of-speech tag (lower-case letters, e.g. nz); "
                    f"write e.g. '{word} 500 nz'",
                    str(p),
                    lineno,
                )
        entries.append(DictEntry(word, freq, tag))
    return entries


@lru_cache(maxsize=8)
def _main_dict_entries(path: str) -> tuple[tuple[str, int, str], ...]:
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            word, freq, tag = line.split()
            out.append((word, int(freq), tag))
    return tuple(out)


def _build_rjieba(entries: Sequence[DictEntry]) -> tuple[Any, dict[str, str]]:
    """A jieba-rs engine in exactly the state pure jieba reaches with the same entries.

    Two differences must be undone. jieba-rs keeps the first tag of a word added twice
    (jieba keeps the last), so entries are merged here and each word added once. And
    jieba adds every added frequency to its total, even for a word it already had,
    while jieba-rs replaces the old one; the total decides between long and short
    routes, so a padding word that can never match (it starts with NUL) makes up the
    difference.

    Also returns the word-to-tag table jieba.posseg would use (its ``word_tag_tab``),
    so tags can be looked up for cut tokens instead of asking jieba-rs to tag.
    """
    import rjieba

    freqs: dict[str, int] = {}
    tags: dict[str, str] = {}
    total = 0
    for word, freq, tag in _main_dict_entries(str(main_dict_path())):
        freqs[word] = freq
        tags[word] = tag
        total += freq
    shell: Any = None
    for e in entries:
        if e.freq is None:
            # jieba's suggest_freq needs the dictionary as it stands at this entry.
            if shell is None:
                shell = _jieba_shell(freqs, total)
            add = int(shell.suggest_freq(e.word, False))
        else:
            add = e.freq
        if shell is not None:
            shell.add_word(e.word, add, e.tag)
        freqs[e.word] = add
        if e.tag:
            tags[e.word] = e.tag
        total += add
    eng = rjieba.Jieba.empty()
    # punctuation is never in the dictionary; tagging it 'x' here spares the slow path
    table: dict[str, str] = {
        chr(c): "x"
        for r in ((0x21, 0x7F), (0x2000, 0x2070), (0x3000, 0x3040), (0xFE30, 0xFE70), (0xFF01, 0xFF66))
        for c in range(*r)
        if not chr(c).isalnum()
    }
    for word, freq in freqs.items():
        tag = tags.get(word, "x")
        eng.add_word(word, freq, tag)
        table[word] = tag
    pad = total - sum(freqs.values())
    if pad > 0:
        eng.add_word("\x00govtext-total-padding", pad, "x")
    return eng, table


def _tags_like_posseg(words: list[str], table: dict[str, str], hot: dict[str, str]) -> list[str]:
    """Tags jieba.posseg gives these tokens with the HMM off: the dictionary's tag, else
    'eng' for a run of ASCII letters/digits, else 'x' (punctuation, unknown characters).

    Looked up in ``hot``, a small table of the words seen so far that stays in the CPU
    cache (word frequencies are Zipfian), falling back to the full table; this is
    cheaper than jieba-rs's own tagging, which builds a tuple per token.
    """
    tags: list[Any] = list(map(hot.get, words))
    i = -1
    try:
        while True:
            i = tags.index(None, i + 1)  # hop between misses at C speed
            w = words[i]
            tag = table.get(w)
            if tag is None:
                tag = "eng" if w.isascii() and w.isalnum() else "x"
            tags[i] = hot[w] = tag
    except ValueError:
        pass
    return tags


def _jieba_shell(freqs: dict[str, int], total: int) -> Any:
    """A pure jieba Tokenizer holding ``freqs`` (used only to suggest frequencies)."""
    import jieba

    shell = jieba.Tokenizer(str(main_dict_path()))
    with open(main_dict_path(), "rb") as f:
        pf, _ = shell.gen_pfdict(f)
    for word, freq in freqs.items():
        pf[word] = freq
        for i in range(1, len(word)):
            pf.setdefault(word[:i], 0)
    shell.FREQ = pf
    shell.total = total
    shell.initialized = True
    return shell


@lru_cache(maxsize=64)
def _file_digest(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.blake2b(Path(path).read_bytes(), digest_size=16).hexdigest()


def _digest(path: Path) -> str:
    st = path.stat()
    return _file_digest(str(path), st.st_mtime_ns, st.st_size)


_TRAD, _SPACE, _CJK, _WIDE, _IDEO_SPACE = 1, 2, 4, 8, 16


def _cache_dir() -> Path:
    """Where govtext keeps tables it can rebuild: $GOVTEXT_CACHE_DIR, else the user's
    cache folder ($XDG_CACHE_HOME or ~/.cache) / govtext."""
    import os

    if os.environ.get("GOVTEXT_CACHE_DIR"):
        return Path(os.environ["GOVTEXT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "govtext"


@lru_cache(maxsize=1)
def _char_flags() -> Any:
    """One byte of flags per code point, looked up once per character of a text:
    t2s changes it on its own (text without any such character is already simplified,
    and OpenCC is skipped), whitespace (``str.isspace``), CJK (``normalize._is_cjk``),
    full-width ASCII, U+3000. Code points above the table clip to its last entry (0).

    Building it asks OpenCC about 90,000 characters (0.15 s); the table is kept in the
    cache folder, keyed by the OpenCC version, and rebuilt when it is missing or damaged.
    """
    import os
    import tempfile
    from importlib import metadata

    import numpy as np

    try:
        version = metadata.version("opencc")
    except metadata.PackageNotFoundError:
        version = "unknown"
    path = _cache_dir() / f"charflags-{_VIEW_VERSION}-opencc-{version}.npy"
    try:
        flags = np.load(path, allow_pickle=False)
        if flags.shape == (0x2FA21,) and flags.dtype == np.uint8:
            return flags
    except (OSError, ValueError):
        pass
    flags = _build_char_flags()
    try:  # a cache that cannot be written costs the next run 0.15 s, nothing else
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npy.tmp")
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, flags, allow_pickle=False)
        os.replace(tmp, path)
    except OSError:
        pass
    return flags


def _build_char_flags() -> Any:
    import numpy as np

    from govtext.normalize import _is_cjk, _t2s

    flags = np.zeros(0x2FA21, dtype=np.uint8)
    chars = [chr(c) for r in ((0x3400, 0xA000), (0xF900, 0xFB00), (0x20000, 0x2FA20)) for c in range(*r)]
    conv = _t2s()
    out = conv.convert("\n".join(chars)).split("\n")
    if len(out) != len(chars):
        out = [conv.convert(ch) for ch in chars]
    for ch, o in zip(chars, out, strict=True):
        if o != ch:
            flags[ord(ch)] |= _TRAD
    for c in range(0x3001):
        if chr(c).isspace():
            flags[c] |= _SPACE
    for c in range(len(flags) - 1):
        if _is_cjk(chr(c)):
            flags[c] |= _CJK
    flags[0xFF01:0xFF5F] |= _WIDE
    flags[0x3000] |= _IDEO_SPACE
    return flags


def _view_arrays(text: str) -> tuple[str, Any, Any, Any, bool]:
    """The view, its breakpoints and shifts, a whitespace mask over the view, and
    'plain': True when no character was changed by t2s (only width folding and the
    removal of whitespace made the view), so a string without ASCII characters or
    whitespace that is in the view is in the text once its whitespace is removed.

    All per-character work is vectorised over the UTF-32 code points: width folding
    (str.translate is several times slower on CJK text), the check for characters
    t2s would change, and the removal of whitespace runs between two CJK characters.
    """
    import numpy as np

    from govtext.normalize import _simplify

    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    table = _char_flags()
    flags = np.take(table, codes, mode="clip")
    seen = np.bitwise_or.reduce(flags) if len(flags) else 0
    view = text
    if seen & (_WIDE | _IDEO_SPACE):
        codes = codes.copy()
        codes[(flags & _WIDE) != 0] -= 0xFEE0
        codes[(flags & _IDEO_SPACE) != 0] = 0x20  # folding changes no other flag
        view = codes.tobytes().decode("utf-32-le")
    if seen & _TRAD:
        view = _simplify(view)  # keeps the length: indices stay aligned
        codes = np.frombuffer(view.encode("utf-32-le"), dtype=np.uint32)
        flags = np.take(table, codes, mode="clip")
    ws = (flags & _SPACE) != 0
    breaks = np.zeros(1, dtype=np.int64)
    shift = np.zeros(1, dtype=np.int64)
    plain = not seen & _TRAD
    if not seen & _SPACE:
        return view, breaks, shift, ws, plain
    n = len(codes)
    edges = np.diff(np.concatenate(([0], ws.view(np.int8), [0])))
    run_a = np.flatnonzero(edges == 1)
    run_b = np.flatnonzero(edges == -1)
    inner = (run_a > 0) & (run_b < n)
    run_a, run_b = run_a[inner], run_b[inner]
    cjk = (flags & _CJK) != 0
    join = cjk[run_a - 1] & cjk[run_b]
    run_a, run_b = run_a[join], run_b[join]
    if len(run_a) == 0:
        return view, breaks, shift, ws, plain
    marks = np.zeros(n + 1, dtype=np.int64)
    np.add.at(marks, run_a, 1)
    np.add.at(marks, run_b, -1)
    keep = np.cumsum(marks[:n]) == 0
    view = codes[keep].tobytes().decode("utf-32-le")
    removed = np.cumsum(run_b - run_a)
    breaks = np.concatenate((breaks, run_b - removed))
    shift = np.concatenate((shift, removed))
    return view, breaks, shift, ws[keep], plain


def fast_view(text: str) -> tuple[str, Any, Any]:
    """The normalised view of ``normalize(text).text`` without per-character Python.

    Returns the view and its shift table: for a view index ``i``, the original index
    is ``i + shift[k]`` where ``k`` is the last breakpoint with ``breaks[k] <= i``.
    It is what ``govtext.normalize.normalize`` returns for texts of 256 characters and
    more, and equal to its per-character loop (used for shorter texts) except for
    OpenCC's phrase rules among characters that are not traditional on their own
    (反覆→反复, 批覆→批复): the vectorised view only calls OpenCC on texts with a
    traditional character (a property test checks the rest). Segmentation needs it
    because the per-character mapping would cost more than jieba-rs itself.
    """
    view, breaks, shift, _, _ = _view_arrays(text)
    return view, breaks, shift


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


def _pack_spans(starts: Any, ends: Any) -> bytes:
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


def _unpack_spans(raw: bytes) -> tuple[Any, Any]:
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
            self._arrays = _unpack_spans(self.raw)
        return self._arrays


def _decode_starts(spans: _Spans) -> tuple[int, ...]:
    return tuple(spans.arrays()[0].tolist())


def _decode_ends(spans: _Spans) -> tuple[int, ...]:
    return tuple(spans.arrays()[1].tolist())


def _decode_sentences(raw: bytes) -> tuple[tuple[int, int], ...]:
    a, b = _unpack_spans(raw)
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
            spans = _pack_spans(s, e)
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
                sent_raw = _pack_spans([a for a, _ in sents], [b for _, b in sents])
            out["n_sentences"] = len(sents)
            out["sentences"] = sent_raw
        if words:
            out["words"] = raw_or(self.words, _SEP.join)
        return out

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


# Joins the views of a batch's documents for one call to jieba: a character that is
# neither CJK, a letter, a digit nor whitespace is always a token of its own, so no
# token ever spans two documents (and a NUL inside a text stays an ordinary token).
_BATCH_SEP = "\x00"


def _plain(arrays: tuple[Any, ...], text: str) -> bool:
    """Whether the matcher's view of ``text`` differs from it only by width folding and
    removed whitespace (see _view_arrays). The matcher views a text under 256 characters
    through the per-character loop, whose OpenCC call also applies phrase rules
    (反覆→反复) that the vectorised view leaves alone: such a text must match too."""
    from govtext.normalize import _FAST_MIN_CHARS, normalize

    if not arrays[4]:
        return False
    return len(text) >= _FAST_MIN_CHARS or normalize(text).text == arrays[0]


def _matcher_view(arrays: tuple[Any, ...], text: str) -> str:
    """The string the matcher searches in ``text`` (see engine.process_batch): the
    vectorised view, or normalize()'s for a short text."""
    from govtext.normalize import _FAST_MIN_CHARS, normalize

    return arrays[0] if len(text) >= _FAST_MIN_CHARS else normalize(text).text


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
    see ``_pack_spans``): the worker packs them, so the process that writes the store
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
    view_plain: list[bool] | None = None  # per document: see _view_arrays
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
                "view": _VIEW_VERSION,
                "hmm": self.hmm,
                "pos": self.pos,
                "jieba": metadata.version("jieba"),
                "main_dict": _digest(main_dict_path()),
                "dicts": [_digest(p) for p in self._dict_paths()],
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
                eng, self._tag_table = _build_rjieba(entries)
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
            return words, _tags_like_posseg(words, self._tag_table, self._hot_tags)
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

        view, breaks, shift, ws, _ = _view_arrays(text)
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
        return Tokens(
            doc_id=doc_id,
            words=tuple(words),
            starts=Lazy(starts_o, _array_to_tuple, len(words)),
            ends=Lazy(ends_o, _array_to_tuple, len(words)),
            pos=tuple(tags) if tags is not None else None,
            sentences=Lazy(text, _sentences_of),
            settings_hash=self.settings_hash,
        )

    def tokens_batch(self, texts: Sequence[str], *, views: Sequence[Any] | None = None) -> TokenBatch:
        """The tokens of several texts at once, equal to ``tokens_of_text`` of each.

        One call to jieba over the texts' views joined by ``_BATCH_SEP`` and one
        vectorised pass for offsets, ids and tags, instead of a dozen small numpy
        calls per document. ``views`` are ``_view_arrays`` of the texts when the
        caller has them already (the matcher needs them too).
        """
        import numpy as np

        arrays = list(views) if views is not None else [_view_arrays(t) for t in texts]
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
        tag_names: tuple[str, ...] | None = None
        tag_ids: Any = None
        if self.pos:
            if tags is None:  # with the HMM off a word's tag depends on the word alone
                self._ensure()
                per_word = _tags_like_posseg(list(vocab), self._tag_table, self._hot_tags)
                tag_names = tuple(dict.fromkeys(per_word))
                tix = dict(zip(tag_names, range(len(tag_names)), strict=True))
                tag_ids = np.fromiter(map(tix.__getitem__, per_word), dtype=np.uint16, count=len(vocab))[
                    word_ids
                ]
            else:
                tag_names = tuple(dict.fromkeys(tags))
                tix = dict(zip(tag_names, range(len(tag_names)), strict=True))
                tag_ids = np.fromiter(map(tix.__getitem__, tags), dtype=np.uint16, count=len(tags))
        # Sentences never contain a line break, so the texts joined by one split as each alone.
        tbase = np.zeros(n_docs + 1, dtype=np.int64)
        tbase[1:] = np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=n_docs) + 1)
        spans = np.array(split_sentences("\n".join(texts)), dtype=np.int64).reshape(-1, 2)
        sent_bounds = np.searchsorted(spans[:, 0], tbase, side="left")
        sent_bounds[-1] = len(spans)
        sent_doc = np.repeat(np.arange(n_docs), np.diff(sent_bounds))
        sent_a = spans[:, 0] - tbase[sent_doc]
        sent_b = spans[:, 1] - tbase[sent_doc]
        tb, sb = bounds.tolist(), sent_bounds.tolist()
        plain = [_plain(a, t) for a, t in zip(arrays, texts, strict=True)]
        return TokenBatch(
            settings_hash=self.settings_hash,
            vocab=vocab,
            word_ids=word_ids,
            tags=tag_names,
            tag_ids=tag_ids,
            bounds=bounds,
            spans=[
                _pack_spans(starts_o[tb[i] : tb[i + 1]], ends_o[tb[i] : tb[i + 1]]) for i in range(n_docs)
            ],
            sentences=[
                _pack_spans(sent_a[sb[i] : sb[i + 1]], sent_b[sb[i] : sb[i + 1]]) for i in range(n_docs)
            ],
            n_sentences=[sb[i + 1] - sb[i] for i in range(n_docs)],
            view_plain=plain,
            views=[None if p else _matcher_view(a, t) for a, t, p in zip(arrays, texts, plain, strict=True)],
        )

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


# -- stopwords ------------------------------------------------------------------------

_CONTENT = re.compile(r"[\u3400-\u9fffA-Za-z]")


def stopwords_dir() -> Path:
    return Path(str(resources.files("govtext") / "data"))


def read_word_list(path: str | Path) -> list[str]:
    """Words separated by spaces or line breaks; ``#`` starts a comment line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise DictionaryError(f"cannot read word list ({exc.strerror}); check the path", str(p)) from exc
    except UnicodeDecodeError as exc:
        raise DictionaryError("word list is not UTF-8; save it as UTF-8", str(p)) from exc
    out = []
    for line in text.splitlines():
        if not line.lstrip().startswith("#"):
            out.extend(line.split())
    return out


@lru_cache(maxsize=16)
def load_stopwords(*, filler: bool = True, extra: tuple[str, ...] = ()) -> frozenset[str]:
    """The general Chinese stopwords shipped in govtext/data, plus report filler words
    (``filler=True``) and the words of the ``extra`` files."""
    words = set(read_word_list(stopwords_dir() / "stopwords_zh.txt"))
    if filler:
        words.update(read_word_list(stopwords_dir() / "stopwords_filler.txt"))
    for path in extra:
        words.update(read_word_list(path))
    return frozenset(words)


def is_content(word: str) -> bool:
    """True when the word has a CJK character or a letter (not punctuation or a number)."""
    return _CONTENT.search(word) is not None


# -- many documents ------------------------------------------------------------------

_WORKER_SEGMENTER: Segmenter | None = None


def _init_worker(segmenter: Segmenter) -> None:
    global _WORKER_SEGMENTER
    _WORKER_SEGMENTER = segmenter


def _segment_chunk(items: list[tuple[str, str]]) -> list[tuple[str, dict[str, Any]]]:
    seg = _WORKER_SEGMENTER
    assert seg is not None
    # Packed tokens are a few large strings and bytes: cheap to send back, unlike
    # tuples of millions of small objects.
    # Sentences are left to the parent, which has the text and splits them on demand.
    return [(doc_id, seg.tokens_of_text(text, doc_id).pack(sentences=False)) for doc_id, text in items]


def _chunks(docs: Iterable[Document], size_chars: int) -> Iterator[list[tuple[str, str]]]:
    chunk: list[tuple[str, str]] = []
    n = 0
    for doc in docs:
        chunk.append((doc.doc_id, doc.text))
        n += len(doc.text)
        if n >= size_chars:
            yield chunk
            chunk, n = [], 0
    if chunk:
        yield chunk


def segment_many(
    docs: Iterable[Document], segmenter: Segmenter, *, workers: int = 1, chunk_chars: int = 300_000
) -> Iterator[Tokens]:
    """Tokens of many documents, in order, over ``workers`` processes.

    Documents travel to workers in chunks of about ``chunk_chars`` characters, and come
    back packed (their fields decode lazily, see ``Lazy``). ``workers=1`` runs here.
    """
    import itertools

    from govtext.engine import usable_cores

    # no more processes than the cores this process may use, nor than chunks to do
    workers = min(workers, usable_cores())
    if workers > 1:
        docs = iter(docs)
        head: list[Document] = []
        n = 0
        for doc in docs:
            head.append(doc)
            n += len(doc.text)
            if n >= chunk_chars * workers:
                break
        else:
            workers = min(workers, sum(1 for _ in _chunks(head, chunk_chars)))
        docs = itertools.chain(head, docs)
    if workers <= 1:
        for doc in docs:
            yield segmenter.tokens(doc)
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    _ = segmenter.settings_hash  # validate dictionaries once, before the workers start
    import gc

    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
    # Frozen objects are skipped by the children's garbage collector, which would
    # otherwise touch, and so copy, every page of a large parent heap.
    gc.freeze()
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(segmenter,)) as ex:
        gc.unfreeze()
        sh = segmenter.settings_hash
        pending: list[Any] = []

        def unpacked(job: tuple[Any, list[tuple[str, str]]]) -> Iterator[Tokens]:
            fut, chunk = job
            for (doc_id, packed), (_, text) in zip(fut.result(), chunk, strict=True):
                yield Tokens.unpack(doc_id, sh, text=text, **packed)

        for chunk in _chunks(docs, chunk_chars):
            pending.append((ex.submit(_segment_chunk, chunk), chunk))
            # keep a bounded number of chunks in flight so huge corpora stream
            while len(pending) > 4 * workers:
                yield from unpacked(pending.pop(0))
        for fut in pending:
            yield from unpacked(fut)
