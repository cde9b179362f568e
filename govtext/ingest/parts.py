"""Large JSON Lines files in parts: a file over ``part_bytes`` is read as byte ranges
that end at a line break, one range at a time or one per engine worker, so memory holds
a part, not the file, and one big file uses every core.

A JSON Lines record never holds a raw line break (JSON escapes it), so every line break
ends a record. The parts are decided here in one pass over the file's bytes that holds a
block at a time, and the same pass decodes every block strictly in the encoding found
in the file's head: a file that does not decode throughout, whose first record is over
a megabyte, or whose head shows no usable record is read whole instead, by the rules
for any file. What a reader would decide for the whole file is decided once, from the
head, and handed to every part: the encoding and the text column. Ids number the
records across the parts as a whole-file read would.

CSV and TSV files are read whole: a record's end cannot be told from the bytes alone
(a quoted field may hold line breaks, and a stray quote inside an unquoted field is
plain text to the csv module), and cutting one wrong would lose or merge records.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govtext.ingest.raw import FailFile, SkipFile

# suffix → reader format of the files that may be read in parts
PART_FORMATS = {".jsonl": "jsonl"}
DEFAULT_PART_BYTES = 32 * 1024 * 1024
_HEAD_BYTES = 1 << 20  # what the encoding and the text column are decided from
_BLOCK = 8 << 20
# Codecs (by codecs.lookup name) in which a line-break byte never occurs inside another
# character, so the bytes can be cut at it (not UTF-16 or UTF-32).
_BYTE_SAFE = {
    "utf-8",
    "utf-8-sig",
    "ascii",
    "gb18030",
    "gbk",
    "gb2312",
    "big5",
    "big5hkscs",
    "cp936",
    "cp950",
}


@dataclass(frozen=True)
class Part:
    start: int  # byte offsets into the file, [start, end)
    end: int
    first_line: int  # the line number (from 1) of its first line in the file


@dataclass(frozen=True)
class Plan:
    """How to read a file in parts: the ranges, and the encoding and text column of the
    whole file."""

    parts: tuple[Part, ...]
    encoding: str
    text_column: str


def plan_parts(
    path: Path, suffix: str, *, part_bytes: int, encoding: str | None, text_column: str | None
) -> Plan | None:
    """A Plan for a JSON Lines file over ``part_bytes`` that can be cut in its bytes and
    decodes throughout, else None: the file is read whole, and whatever is wrong with it
    is reported as for any file."""
    if PART_FORMATS.get(suffix) != "jsonl":
        return None
    size = path.stat().st_size
    if size <= part_bytes:
        return None
    with open(path, "rb") as f:
        head = f.read(_HEAD_BYTES)
    cut = head.rfind(b"\n")
    if cut < 0:
        return None  # the first record alone is over a megabyte
    try:
        enc, column = _decide(head[: cut + 1], encoding, text_column)
    except (FailFile, SkipFile):
        return None  # the whole-file reader says what is wrong (or reads what it can)
    enc = codecs.lookup(enc).name
    if enc not in _BYTE_SAFE:
        return None
    parts = _boundaries(path, size, part_bytes, enc)
    if parts is None or len(parts) < 2:
        return None
    return Plan(parts, enc, column)


def _decide(head: bytes, encoding: str | None, text_column: str | None) -> tuple[str, str]:
    """The encoding and text column the whole-file reader would pick, from the head."""
    from govtext.ingest.readers import ReadOptions, _decode
    from govtext.ingest.tables import json_columns, json_lines, pick_text_column

    decoded = _decode(head, ReadOptions(encoding=encoding))
    if decoded.problem:
        raise FailFile(decoded.problem)  # not a clean decode: let the whole file be judged
    records, _bad = json_lines(decoded.text)
    if not records:
        raise FailFile("no JSON records in the first megabyte")
    columns, rows = json_columns(records)
    typed: Sequence[Mapping[str, Any]] = rows
    return decoded.encoding, pick_text_column(columns, typed, text_column)


def _boundaries(path: Path, size: int, part_bytes: int, encoding: str) -> tuple[Part, ...] | None:
    """Byte ranges of about ``part_bytes`` that end just after a line break, or None when
    the file does not decode strictly in ``encoding`` from start to end."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    cuts, lines = [0], [1]
    target = part_bytes
    newlines = 0  # line breaks before the current block
    offset = 0
    with open(path, "rb") as f:
        while offset < size:
            block = f.read(_BLOCK)
            if not block:
                break
            try:
                decoder.decode(block, final=len(block) + offset >= size)
            except UnicodeDecodeError:
                return None
            end = offset + len(block)
            while target < end:
                pos = block.find(b"\n", target - offset)
                if pos < 0:
                    break  # the record runs on: cut in the next block
                cuts.append(offset + pos + 1)
                lines.append(1 + newlines + block.count(b"\n", 0, pos + 1))
                target = offset + pos + 1 + part_bytes
            newlines += block.count(b"\n")
            offset = end
            target = max(target, offset)
    if cuts[-1] >= size:
        cuts.pop()
        lines.pop()
    ends = [*cuts[1:], size]
    return tuple(Part(a, b, n) for a, b, n in zip(cuts, ends, lines, strict=True))


def read_part(path: Path, part: Part) -> bytes:
    """The bytes of one part."""
    with open(path, "rb") as f:
        f.seek(part.start)
        return f.read(part.end - part.start)


_COUNTED = re.compile(r"(\d+)( .*)", re.S)


def merge_notes(notes: list[str]) -> list[str]:
    """The notes of a file's parts as one list: notes that differ only in their leading
    count ('3 row(s) with no text …') are summed, the others kept once each, in order."""
    counted: dict[str, int] = {}
    order: list[tuple[str, str]] = []
    for note in notes:
        m = _COUNTED.fullmatch(note)
        if m:
            rest = m.group(2)
            if rest not in counted:
                counted[rest] = 0
                order.append(("count", rest))
            counted[rest] += int(m.group(1))
        elif ("text", note) not in order:
            order.append(("text", note))
    return [f"{counted[v]}{v}" if kind == "count" else v for kind, v in order]


__all__ = ["DEFAULT_PART_BYTES", "PART_FORMATS", "Part", "Plan", "merge_notes", "plan_parts", "read_part"]
