"""Dictionary files read safely and with line numbers.

A dictionary comes from users: its size and bracket nesting are bounded before the TOML
parser sees it, and since tomllib reports lines only for syntax errors, ``SourceMap``
re-finds the tables and keys of the text so that every later error can name its line.

>>> src = SourceMap('version = 1\\n[[theme]]\\nid = "a"\\n')
>>> src.block("theme", 0), src.find(src.block("theme", 0), key="id")
((2, 4), 3)
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govtext.errors import DictionaryError

# A dictionary is a few hundred kilobytes; these bound what a hostile file can cost.
MAX_FILE_BYTES = 10_000_000  # GOVTEXT_MAX_DICTIONARY_BYTES overrides
MAX_NESTING = 32  # arrays and inline tables inside one another; the format needs 3


def max_file_bytes() -> int:
    """The size limit of one dictionary file (``GOVTEXT_MAX_DICTIONARY_BYTES`` or 10 MB)."""
    raw = os.environ.get("GOVTEXT_MAX_DICTIONARY_BYTES", "")
    try:
        value = int(raw) if raw.strip() else MAX_FILE_BYTES
    except ValueError:
        value = -1
    if value < 1:
        raise DictionaryError(
            f"GOVTEXT_MAX_DICTIONARY_BYTES must be a whole number of bytes ≥ 1, got {raw!r}"
        )
    return value


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")


class SourceMap:
    """Line numbers for a parsed TOML file, found by scanning its text.

    tomllib reports lines only for syntax errors, so to say *where* a duplicate id or
    a bad regex is we re-find the array-of-tables headers and the keys under them.
    """

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        # (line number, dotted path, occurrence index per path among its siblings)
        self.headers: list[tuple[int, str]] = []
        for i, line in enumerate(self.lines, start=1):
            m = _HEADER.match(line)
            if m and not line.lstrip().startswith("#"):
                self.headers.append((i, m.group(2).replace(" ", "").replace('"', "")))

    def block(self, kind: str, index: int, sub: str | None = None, sub_index: int = 0) -> tuple[int, int]:
        """Lines [start, end) of the index-th ``[[kind]]`` (or its sub_index-th ``[[kind.sub]]``)."""
        count = -1
        start = 0
        for pos, (line, path) in enumerate(self.headers):
            if path == kind:
                count += 1
                if count == index:
                    start = line
                    end = self._end(pos, kind)
                    if sub is None:
                        return start, end
                    return self._sub_block(pos, end, f"{kind}.{sub}", sub_index, start)
        return (1, len(self.lines) + 1) if start == 0 else (start, start + 1)

    def _end(self, pos: int, path: str) -> int:
        for line, other in self.headers[pos + 1 :]:
            if not other.startswith(path + "."):
                return line
        return len(self.lines) + 1

    def _sub_block(self, pos: int, end: int, path: str, sub_index: int, fallback: int) -> tuple[int, int]:
        count = -1
        for p in range(pos + 1, len(self.headers)):
            line, other = self.headers[p]
            if line >= end:
                break
            if other == path:
                count += 1
                if count == sub_index:
                    return line, min(end, self._end(p, path))
        return fallback, end

    def find(self, span: tuple[int, int], key: str | None = None, value: str | None = None) -> int:
        """First line in span holding ``key =`` (and/or the quoted ``value``); else the span start."""
        start, end = span
        key_re = re.compile(rf"^\s*{re.escape(key)}\s*=") if key else None
        for i in range(start, min(end, len(self.lines) + 1)):
            text = self.lines[i - 1]
            if text.lstrip().startswith("#"):
                continue
            if value is not None and (f'"{value}"' in text or f"'{value}'" in text):
                return i
            if value is None and key_re and key_re.search(text):
                return i
        if value is not None and key_re:
            return self.find(span, key=key)
        return start


@dataclass
class ParsedFile:
    """One dictionary file read: its TOML data and where each part of it sits."""

    path: Path
    data: dict[str, Any]
    source: SourceMap


def read_toml(path: Path) -> ParsedFile:
    """Parse one dictionary file; a syntax error becomes a DictionaryError with its line.

    The file's size and its nesting are checked before the parser sees it (a recursive
    parser fails on ``x = [[[[…]]]]`` 5,000 deep with RecursionError).
    """
    limit = max_file_bytes()
    try:
        if path.is_dir():
            raise DictionaryError("is a folder, not a theme dictionary; give a .toml file", path=str(path))
        size = path.stat().st_size
        if size > limit:
            raise DictionaryError(
                f"the file is {size:,} bytes, over the {limit:,}-byte limit for a dictionary; "
                "split it into a base file and extra files, or raise GOVTEXT_MAX_DICTIONARY_BYTES",
                path=str(path),
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DictionaryError(
            "theme dictionary file not found; give an existing .toml path", path=str(path)
        ) from None
    except UnicodeDecodeError as exc:
        raise DictionaryError(f"not UTF-8 ({exc.reason}); save the file as UTF-8", path=str(path)) from None
    except OSError as exc:
        raise DictionaryError(
            f"cannot read the file ({exc.strerror or exc}); check its permissions", path=str(path)
        ) from None
    deep = _too_deep(text)
    if deep:
        raise DictionaryError(
            f"arrays or inline tables nested more than {MAX_NESTING} deep; a dictionary needs at most "
            "3 levels (a list of tables of lists): close the brackets or flatten the value",
            path=str(path),
            line=deep,
        )
    try:
        data = tomllib.loads(text)
    except (RecursionError, MemoryError) as exc:
        raise DictionaryError(
            f"the TOML parser ran out of {'memory' if isinstance(exc, MemoryError) else 'stack'}; "
            "simplify the file (shorter values, less nesting)",
            path=str(path),
            line=1,
        ) from None
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        line = int(m.group(1)) if m else None
        if line is None and "end of document" in str(exc):
            line = max(len(text.splitlines()), 1)  # an unclosed array or string runs to the end
        raise DictionaryError(
            f"TOML syntax error: {exc}; fix the syntax there", path=str(path), line=line
        ) from None
    return ParsedFile(path, data, SourceMap(text))


_TOKENS = re.compile(r"\"\"\"|'''|[\"'#\[\]{}\n]")
_STRING_END = {
    '"""': re.compile(r'(?:[^"\\]|\\.|"(?!""))*"""', re.S),
    "'''": re.compile(r"(?:[^']|'(?!''))*'''", re.S),
    '"': re.compile(r'(?:[^"\\\n]|\\.)*"'),
    "'": re.compile(r"[^'\n]*'"),
}


def _too_deep(text: str) -> int:
    """The line where brackets outside strings and comments nest past MAX_NESTING (0: never).

    Counts ``[`` and ``{`` in one pass over the tokens that matter, skipping strings
    (a term may hold brackets) and comments; a string the parser would reject is left
    to the parser's own error.
    """
    depth = 0
    pos = 0
    while True:
        m = _TOKENS.search(text, pos)
        if m is None:
            return 0
        tok = m.group()
        pos = m.end()
        if tok in _STRING_END:
            end = _STRING_END[tok].match(text, pos)
            if end is None:
                return 0
            pos = end.end()
        elif tok == "#":
            nl = text.find("\n", pos)
            if nl == -1:
                return 0
            pos = nl
        elif tok in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return text.count("\n", 0, m.start()) + 1
        elif tok in "]}":
            depth = max(0, depth - 1)
