"""The normalised view of a text that matching runs on, with exact span mapping back.

Ingest keeps the original text; rules and segmentation look at a normalised view in
which full-width ASCII is half-width, traditional characters are simplified (OpenCC
``t2s``) and whitespace between two CJK characters is dropped (a line broken inside
接诉即办 still matches). Every character of the view remembers the index of the
original character it came from, so a span found in the view maps back exactly.
"""

from __future__ import annotations

import bisect
import io
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

_FULLWIDTH_OFFSET = 0xFEE0  # U+FF01..U+FF5E are U+0021..U+007E shifted by this


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x2FA1F


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def _fold_width(ch: str) -> str:
    o = ord(ch)
    if 0xFF01 <= o <= 0xFF5E:
        return chr(o - _FULLWIDTH_OFFSET)
    if o == 0x3000:
        return " "
    return ch


_SURROGATES = re.compile("([\ud800-\udfff]+)")


def _simplify(text: str) -> str:
    """OpenCC t2s, guaranteed to keep the length (so indices stay aligned).

    t2s maps characters one to one almost always; where a phrase rule changes a
    line's length, that line falls back to character-by-character conversion.
    """
    conv = _t2s()
    try:
        out = conv.convert(text)
    except UnicodeEncodeError:
        # A lone surrogate (a broken file) cannot reach OpenCC: convert around it.
        parts = _SURROGATES.split(text)
        return "".join(p if i % 2 else _simplify(p) for i, p in enumerate(parts))
    if len(out) == len(text):
        return out
    lines = []
    for line in text.split("\n"):
        c = conv.convert(line)
        if len(c) != len(line):
            c = "".join(ch2 if len(ch2 := conv.convert(ch)) == 1 else ch for ch in line)
        lines.append(c)
    return "\n".join(lines)


class Normalized:
    """A normalised view: ``text`` plus, for each of its characters, the original index.

    ``origin`` is built on first use: long texts come from the vectorised path, which
    keeps only the breakpoints where the shift between view and original changes
    (``breaks``/``shift``), and ``to_original`` maps spans with those directly.
    """

    __slots__ = ("_breaks", "_origin", "_shift", "original_length", "text")

    def __init__(
        self,
        text: str,
        origin: tuple[int, ...] | None = None,
        original_length: int = 0,
        *,
        breaks: list[int] | None = None,
        shift: list[int] | None = None,
    ) -> None:
        if origin is None and (breaks is None or shift is None):
            raise ValueError("Normalized needs origin, or breaks and shift")
        self.text = text
        self.original_length = original_length
        self._origin = origin
        self._breaks = breaks
        self._shift = shift

    @property
    def origin(self) -> tuple[int, ...]:
        if self._origin is None:
            import numpy as np

            assert self._breaks is not None and self._shift is not None
            idx = np.arange(len(self.text), dtype=np.int64)
            k = np.searchsorted(np.asarray(self._breaks, dtype=np.int64), idx, side="right") - 1
            self._origin = tuple((idx + np.asarray(self._shift, dtype=np.int64)[k]).tolist())
        return self._origin

    def _at(self, i: int) -> int:
        if self._origin is not None:
            return self._origin[i]
        assert self._breaks is not None and self._shift is not None
        return i + self._shift[bisect.bisect_right(self._breaks, i) - 1]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map the half-open span [start, end) of the view to the original text."""
        breaks = self._breaks
        if self._origin is None and breaks is not None and start < end:
            # The matcher maps every occurrence: one call, no helper (0.8 → 0.4 µs).
            shift = self._shift
            assert shift is not None
            last = end - 1
            return (
                start + shift[bisect.bisect_right(breaks, start) - 1],
                last + shift[bisect.bisect_right(breaks, last) - 1] + 1,
            )
        if start >= end:
            pos = self._at(start) if start < len(self.text) else self.original_length
            return pos, pos
        return self._at(start), self._at(end - 1) + 1

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Normalized):
            return NotImplemented
        return (self.text, self.original_length, self.origin) == (
            other.text,
            other.original_length,
            other.origin,
        )

    def __hash__(self) -> int:
        return hash((self.text, self.original_length))

    def __repr__(self) -> str:
        return f"Normalized(text={self.text!r}, original_length={self.original_length})"


# Below this length the per-character loop is quicker than setting up numpy arrays
# (dictionary terms, regexes); above it the vectorised view (``fast_view``) is used.
FAST_MIN_CHARS = 256


def normalize(
    text: str, *, simplify: bool = True, fold_width: bool = True, join_cjk_breaks: bool = True
) -> Normalized:
    """Return the normalised view of ``text``.

    >>> n = normalize("接訴\\n即辦：１２３４５")
    >>> n.text
    '接诉即办:12345'
    >>> n.to_original(0, 4)
    (0, 5)
    """
    if simplify and fold_width and join_cjk_breaks and len(text) >= FAST_MIN_CHARS:
        # The same view without per-character Python (property-tested equal to the loop below).
        try:
            view, breaks, shift = fast_view(text)
        except UnicodeEncodeError:  # lone surrogates: UTF-32 cannot hold them
            pass
        else:
            return Normalized(view, None, len(text), breaks=breaks.tolist(), shift=shift.tolist())
    return normalize_loop(text, simplify=simplify, fold_width=fold_width, join_cjk_breaks=join_cjk_breaks)


def normalize_loop(text: str, *, simplify: bool, fold_width: bool, join_cjk_breaks: bool) -> Normalized:
    """``normalize`` one character at a time: the reference the vectorised view is tested
    against, and the path for short texts and the options ``fast_view`` does not take."""
    if fold_width:
        text_w = "".join(_fold_width(ch) for ch in text)
    else:
        text_w = text
    if simplify and any(_is_cjk(ch) for ch in text_w):
        text_w = _simplify(text_w)
    chars: list[str] = []
    origin: list[int] = []
    n = len(text_w)
    i = 0
    while i < n:
        ch = text_w[i]
        if join_cjk_breaks and ch.isspace() and chars and _is_cjk(chars[-1]):
            j = i
            while j < n and text_w[j].isspace():
                j += 1
            if j < n and _is_cjk(text_w[j]):
                i = j  # drop the whitespace run between two CJK characters
                continue
        chars.append(ch)
        origin.append(i)
        i += 1
    return Normalized("".join(chars), tuple(origin), len(text))


# --------------------------------------------------------------------------- vectorised view
# The same view for long texts without per-character Python: segmentation needs it,
# since the per-character mapping would cost more than jieba-rs itself.

# Bump when the normalised view or token post-processing changes: it is part of the
# segmenter's cache key and of the flags table's file name.
VIEW_VERSION = "view-1"


class ViewArrays(NamedTuple):
    """The vectorised normalised view of a text (``view_arrays``): the view, its shift
    table (for view index ``i`` the original index is ``i + shift[k]``, ``k`` the last
    breakpoint with ``breaks[k] <= i``), a whitespace mask over the view, and ``plain``:
    True when no character was changed by t2s."""

    view: str
    breaks: Any
    shift: Any
    whitespace: Any
    plain: bool


_TRAD, _SPACE, _CJK, _WIDE, _IDEO_SPACE = 1, 2, 4, 8, 16


def cache_dir() -> Path:
    """Where govtext keeps tables it can rebuild: $GOVTEXT_CACHE_DIR, else the user's
    cache folder ($XDG_CACHE_HOME or ~/.cache) / govtext."""
    if os.environ.get("GOVTEXT_CACHE_DIR"):
        return Path(os.environ["GOVTEXT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "govtext"


def write_cache_file(path: Path, data: bytes) -> bool:
    """Put ``data`` at ``path`` in the cache folder whole (a temporary file beside it,
    then os.replace), or not at all: a cache that cannot be written costs the next run
    its rebuild, nothing else, and leaves no temporary file behind. True if written."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        return True
    except OSError:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        return False


@lru_cache(maxsize=1)
def char_flags() -> Any:
    """One byte of flags per code point, looked up once per character of a text:
    t2s changes it on its own (text without any such character is already simplified,
    and OpenCC is skipped), whitespace (``str.isspace``), CJK (``_is_cjk``),
    full-width ASCII, U+3000. Code points above the table clip to its last entry (0).

    Building it asks OpenCC about 90,000 characters (0.15 s); the table is kept in the
    cache folder, keyed by the OpenCC version, and rebuilt when it is missing or damaged.
    """
    from importlib import metadata  # 40 ms: only when the table is first needed

    import numpy as np

    try:
        version = metadata.version("opencc")
    except metadata.PackageNotFoundError:
        version = "unknown"
    path = cache_dir() / f"charflags-{VIEW_VERSION}-opencc-{version}.npy"
    try:
        flags = np.load(path, allow_pickle=False)
        if flags.shape == (0x2FA21,) and flags.dtype == np.uint8:
            return flags
    except (OSError, ValueError):
        pass
    flags = build_char_flags()
    buf = io.BytesIO()
    np.save(buf, flags, allow_pickle=False)
    write_cache_file(path, buf.getvalue())  # if it cannot be written, the next run rebuilds (0.15 s)
    return flags


def build_char_flags() -> Any:
    """The table ``char_flags`` keeps in the cache folder, built afresh (asks OpenCC)."""
    import numpy as np

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


def view_arrays(text: str) -> ViewArrays:
    """The view, its breakpoints and shifts, a whitespace mask over the view, and
    'plain': True when no character was changed by t2s (only width folding and the
    removal of whitespace made the view), so a string without ASCII characters or
    whitespace that is in the view is in the text once its whitespace is removed.

    All per-character work is vectorised over the UTF-32 code points: width folding
    (str.translate is several times slower on CJK text), the check for characters
    t2s would change, and the removal of whitespace runs between two CJK characters.
    """
    import numpy as np

    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    table = char_flags()
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
        return ViewArrays(view, breaks, shift, ws, plain)
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
        return ViewArrays(view, breaks, shift, ws, plain)
    marks = np.zeros(n + 1, dtype=np.int64)
    np.add.at(marks, run_a, 1)
    np.add.at(marks, run_b, -1)
    keep = np.cumsum(marks[:n]) == 0
    view = codes[keep].tobytes().decode("utf-32-le")
    removed = np.cumsum(run_b - run_a)
    breaks = np.concatenate((breaks, run_b - removed))
    shift = np.concatenate((shift, removed))
    return ViewArrays(view, breaks, shift, ws[keep], plain)


def fast_view(text: str) -> tuple[str, Any, Any]:
    """The normalised view of ``normalize(text).text`` without per-character Python.

    Returns the view and its shift table: for a view index ``i``, the original index
    is ``i + shift[k]`` where ``k`` is the last breakpoint with ``breaks[k] <= i``.
    It is what ``normalize`` returns for texts of 256 characters and
    more, and equal to its per-character loop (used for shorter texts) except for
    OpenCC's phrase rules among characters that are not traditional on their own
    (反覆→反复, 批覆→批复): the vectorised view only calls OpenCC on texts with a
    traditional character (a property test checks the rest). Segmentation needs it
    because the per-character mapping would cost more than jieba-rs itself.
    """
    view, breaks, shift, _, _ = view_arrays(text)
    return view, breaks, shift


def view_is_plain(arrays: ViewArrays, text: str) -> bool:
    """Whether the matcher's view of ``text`` differs from it only by width folding and
    removed whitespace (see view_arrays). The matcher views a text under 256 characters
    through the per-character loop, whose OpenCC call also applies phrase rules
    (反覆→反复) that the vectorised view leaves alone: such a text must match too."""
    if not arrays.plain:
        return False
    return len(text) >= FAST_MIN_CHARS or normalize(text).text == arrays.view


def matcher_view(arrays: ViewArrays, text: str) -> str:
    """The string the matcher searches in ``text`` (see work.process_batch): the
    vectorised view, or normalize()'s for a short text."""
    return arrays.view if len(text) >= FAST_MIN_CHARS else normalize(text).text


# Terminal control: CSI sequences (colours, cursor moves, screen clears), OSC sequences
# (window titles, hyperlinks), other two-byte escapes, then any lone control character.
_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?|\x9b[0-?]*[ -/]*[@-~]"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bidirectional overrides, embeddings, isolates and marks: they reorder what a terminal
# shows (an "exe.gnp" that reads as "png.exe"), so printed text goes without them.
_BIDI = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` made safe to print on a terminal: escape sequences, control characters
    (tab and newline kept) and bidi controls removed, lone surrogates replaced by U+FFFD.

    Document text is data: a reporter's paste must not recolour, clear or retitle the
    editor's terminal, nor make printing fail.

    >>> printable("\\x1b[2J居民\\u202e议事\\r\\ud800")
    '居民议事\\ufffd'
    """
    if not text.isprintable():
        text = _ANSI.sub("", text)
        text = _CONTROL.sub("", text)
        text = _BIDI.sub("", text)
        text = _SURROGATE.sub("\ufffd", text)
    return text
