"""The normalised view of a text that matching runs on, with exact span mapping back.

Ingest keeps the original text; rules and segmentation look at a normalised view in
which full-width ASCII is half-width, traditional characters are simplified (OpenCC
``t2s``) and whitespace between two CJK characters is dropped (a line broken inside
接诉即办 still matches). Every character of the view remembers the index of the
original character it came from, so a span found in the view maps back exactly.
"""

from __future__ import annotations

import bisect
import re
from functools import lru_cache
from typing import Any

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
# (dictionary terms, regexes); above it the vectorised view of govtext.segment is used.
_FAST_MIN_CHARS = 256


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
    if simplify and fold_width and join_cjk_breaks and len(text) >= _FAST_MIN_CHARS:
        from govtext.segment import fast_view

        # The same view without per-character Python (property-tested equal to the loop below).
        try:
            view, breaks, shift = fast_view(text)
        except UnicodeEncodeError:  # lone surrogates: UTF-32 cannot hold them
            pass
        else:
            return Normalized(view, None, len(text), breaks=breaks.tolist(), shift=shift.tolist())
    return _normalize_loop(text, simplify=simplify, fold_width=fold_width, join_cjk_breaks=join_cjk_breaks)


def _normalize_loop(text: str, *, simplify: bool, fold_width: bool, join_cjk_breaks: bool) -> Normalized:
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
