"""Bytes to text: BOMs first, then strict UTF-8, then charset-normalizer's best guess.

The result says which encoding was used and how many characters had to be replaced,
so a lossy decode is reported in the manifest instead of being passed on silently.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from govtext.errors import setting

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# charset-normalizer names the Chinese code pages by their narrowest match; GB18030 is a
# superset of GB2312 and GBK, so decoding with it never loses a character they would keep.
_WIDEN = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "big5hkscs", "ascii": "utf-8"}


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    n_replaced: int = 0
    first_bad_offset: int = -1
    n_nul: int = 0  # stray NUL bytes dropped from a text that is otherwise fine
    n_other_lines: int = 0  # lines of a mixed file decoded as GB18030 beside UTF-8 ones

    @property
    def problem(self) -> str:
        """A manifest reason when the decode lost characters, else ''."""
        if self.n_other_lines:
            return (
                f"lines in two encodings: {self.n_other_lines} line(s) decoded as GB18030, the others as UTF-8 "
                "(files joined from different sources); check those lines"
            )
        if self.n_nul:
            return f"{self.n_nul} stray NUL byte(s) removed before decoding as {self.encoding}"
        if not self.n_replaced:
            return ""
        return (
            f"{self.n_replaced} undecodable byte sequence(s) replaced with U+FFFD when decoding as "
            f"{self.encoding} (first at byte {self.first_bad_offset}); set {setting('encoding')} to the right one"
        )


class BinaryContentError(ValueError):
    """The bytes are binary data (NUL bytes), not text."""


class UndecodableError(ValueError):
    """The bytes look like text but no encoding decodes them."""


def looks_binary(data: bytes) -> bool:
    """NUL bytes outside a UTF-16/32 BOM mean a binary file (images, archives, executables)."""
    head = data[:8192]
    if any(head.startswith(bom) for bom, _ in _BOMS):
        return False
    return b"\x00" in head


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _lossy(data: bytes, encoding: str) -> Decoded:
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        text = data.decode(encoding, errors="replace")
        n_bad = text.count("\ufffd") - data.decode(encoding, errors="ignore").count("\ufffd")
        return Decoded(text, encoding, max(n_bad, 1), exc.start)
    return Decoded(data.decode(encoding), encoding)


def decode_bytes(data: bytes, encoding: str | None = None) -> Decoded:
    """Decode ``data``; ``encoding`` forces a code page (errors are then counted, not fatal).

    >>> decode_bytes("治理".encode("gb18030")).text
    '治理'
    """
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise ValueError(
                f"unknown encoding {encoding!r}; use a Python codec name such as gb18030"
            ) from exc
        return _lossy(data, encoding)
    for bom, name in _BOMS:
        if data.startswith(bom):
            return _lossy(data, name)
    text = _strict(data, "utf-8")
    if text is not None:
        return Decoded(text, "utf-8")
    if looks_binary(data):
        # UTF-16 without a BOM is full of NUL bytes too; accept it only if it reads as text.
        for name in ("utf-16-le", "utf-16-be"):
            text = _strict(data, name) if len(data) % 2 == 0 else None
            if text is not None and _plausible(text):
                return Decoded(text, name)
        # A few NUL bytes in a GBK export (a broken converter, a bad copy) do not make it
        # binary: if the rest reads as Chinese text, keep it and say what was dropped.
        n_nul = data.count(b"\0")
        if n_nul <= max(4, len(data) // 100):
            rest = data.replace(b"\0", b"")
            text = _strict(rest, "gb18030")
            if text is not None and _mostly_text(text):
                return Decoded(text, "gb18030", n_nul=n_nul)
        raise BinaryContentError("binary content (NUL bytes)")
    # Most non-UTF-8 Chinese files are GB18030-family: a strict decode that succeeds and
    # yields mostly CJK is a safe answer and far cheaper than statistical detection.
    text = _strict(data, "gb18030")
    if text is not None and _mostly_text(text):
        return Decoded(text, "gb18030")
    # Files joined from sources in different encodings (UTF-8 lines and GBK lines): each
    # line decodes strictly in one of them. Read each line in its own, and say how many.
    mixed = _by_line(data)
    if mixed is not None:
        return mixed
    # A few corrupt bytes (a truncated download, a stray byte) in an otherwise good UTF-8 or
    # GB18030 file: decode with replacement characters and say so. Statistical detection
    # would guess an unrelated code page for such files.
    for name, check in (("utf-8", _plausible), ("gb18030", _mostly_text)):
        lossy = _lossy(data, name)
        if lossy.n_replaced <= max(8, len(lossy.text) // 50) and check(lossy.text.replace("\ufffd", "")):
            return lossy
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise UndecodableError("undecodable bytes: no text encoding fits them")
    name = _WIDEN.get(best.encoding.lower(), best.encoding.lower())
    return _lossy(data, codecs.lookup(name).name if name != "utf-8-sig" else name)


def _by_line(data: bytes) -> Decoded | None:
    """``data`` decoded line by line, each line as UTF-8 or else GB18030, when every line
    fits one of them, both occur, and the result reads as text; else None."""
    parts: list[str] = []
    other = 0
    for line in data.splitlines(keepends=True):
        text = _strict(line, "utf-8")
        if text is None:
            text = _strict(line, "gb18030")
            if text is None:
                return None
            other += 1
        parts.append(text)
    joined = "".join(parts)
    if not other or other == len(parts) or not _mostly_text(joined):
        return None
    return Decoded(joined, "utf-8+gb18030", n_other_lines=other)


_CJK = re.compile(r"[\u4e00-\u9fff]")
_PRIVATE = re.compile(r"[\ue000-\uf8ff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")
# Printable ASCII (and DEL, as before), CJK punctuation, ideographs, full-width forms, dashes and quotes.
_PLAIN = re.compile(r"[\x00-\x7e\u3000-\u303f\u4e00-\u9fff\uff00-\uffef\u2010-\u2027]+")


def _mostly_text(text: str) -> bool:
    """Whether a strict GB18030 decode looks like real simplified Chinese.

    Big5 bytes also decode as GB18030, but into rare characters outside GB2312; real
    GBK/GB2312 text keeps nearly all its characters inside GB2312. (Regexes and one
    encode rather than a loop per character: files can hold tens of millions of them.)
    """
    cjk = "".join(_CJK.findall(text))
    if not cjk or _PRIVATE.search(text):
        return False
    rare = cjk.encode("gb2312", errors="replace").count(b"?")
    return (len(cjk) - rare) / len(cjk) >= 0.9


def _plausible(text: str) -> bool:
    """Mostly CJK, CJK punctuation and printable ASCII, and no control characters."""
    if not text or _CONTROL.search(text):
        return False
    good = len(text) - len(_PLAIN.sub("", text))
    return good / len(text) >= 0.9
