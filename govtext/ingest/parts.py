"""Large table files in parts: a JSON Lines, CSV or TSV file over ``part_bytes`` is read
as byte ranges that end on record boundaries, one range at a time or one per engine
worker, so memory holds a part, not the file, and one big file uses every core.

The parts of a file are decided here, in one pass over its bytes that holds a block at
a time: JSON Lines records end at a line break; a CSV/TSV record ends at a line break
outside quotes (an even number of ``"`` before it: a quoted field may hold line breaks,
and ``""`` escapes a quote). What a reader would decide for the whole file is decided
once, from its head, and handed to every part: the encoding, the text column, and (for
CSV/TSV) the header line, which every later part is read after. Ids number the records
across the parts as a whole-file read would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govtext.ingest.raw import FailFile

# suffix → reader format of the files that may be read in parts
PART_FORMATS = {".jsonl": "jsonl", ".csv": "csv", ".tsv": "tsv"}
DEFAULT_PART_BYTES = 32 * 1024 * 1024
_HEAD_BYTES = 1 << 20  # what the encoding and the text column are decided from
_BLOCK = 8 << 20
# Encodings in which the bytes of '"' and a line break never occur inside another
# character, so boundaries can be found in the bytes (not UTF-16, not UTF-32).
_BYTE_SAFE = (
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
)


@dataclass(frozen=True)
class Part:
    start: int  # byte offsets into the file, [start, end)
    end: int
    first_line: int  # the line number (from 1) of its first line in the file


@dataclass(frozen=True)
class Plan:
    """How to read a file in parts: the ranges, the header line that precedes every part
    after the first (CSV/TSV), and the encoding and text column of the whole file."""

    parts: tuple[Part, ...]
    header: bytes
    encoding: str
    text_column: str


def plan_parts(
    path: Path, suffix: str, *, part_bytes: int, encoding: str | None, text_column: str | None
) -> Plan | None:
    """A Plan when ``path`` is a table file over ``part_bytes`` whose encoding lets it be
    cut in its bytes, else None (the file is read whole). Raises FailFile or SkipFile,
    as the whole-file reader would, when the head shows the file cannot be read."""
    fmt = PART_FORMATS.get(suffix)
    if fmt is None:
        return None
    size = path.stat().st_size
    if size <= part_bytes:
        return None
    with open(path, "rb") as f:
        head = f.read(_HEAD_BYTES)
    head = head[: head.rfind(b"\n") + 1] or head
    enc, column = _decide(head, fmt, encoding, text_column)
    if enc.lower().replace("_", "-") not in _BYTE_SAFE:
        return None
    header = b""
    if fmt != "jsonl":
        end = _cut_in(head, 0, 0, True)  # a quoted column name may hold a line break
        if end is None:
            return None
        header = head[:end]
    parts = _boundaries(path, size, part_bytes, quoted=fmt != "jsonl")
    return Plan(parts, header, enc, column)


def _decide(head: bytes, fmt: str, encoding: str | None, text_column: str | None) -> tuple[str, str]:
    """The encoding and text column the whole-file reader would pick, from the head."""
    from govtext.ingest.readers import ReadOptions, _decode
    from govtext.ingest.tables import delimited_rows, json_columns, json_lines, pick_text_column

    decoded = _decode(head, ReadOptions(encoding=encoding))
    rows: Sequence[Mapping[str, Any]]
    if fmt == "jsonl":
        records, bad = json_lines(decoded.text)
        if not records:
            raise FailFile(bad[0] if bad else "no JSON records in the first megabyte")
        columns, rows = json_columns(records)
    else:
        columns, rows = delimited_rows(decoded.text, "," if fmt == "csv" else "\t")
    return decoded.encoding, pick_text_column(columns, rows, text_column)


def _boundaries(path: Path, size: int, part_bytes: int, *, quoted: bool) -> tuple[Part, ...]:
    """Byte ranges of about ``part_bytes`` that end just after a record's line break."""
    cuts = [0]
    lines = [1]
    target = part_bytes
    quotes = 0  # quote characters before the current block (only their parity matters)
    newlines = 0  # line breaks before the current block
    offset = 0
    with open(path, "rb") as f:
        while offset < size:
            block = f.read(_BLOCK)
            if not block:
                break
            end = offset + len(block)
            while target < end:
                cut = _cut_in(block, target - offset, quotes, quoted)
                if cut is None:
                    break  # no boundary left in this block: look in the next one
                cuts.append(offset + cut)
                lines.append(1 + newlines + block.count(b"\n", 0, cut))
                target = offset + cut + part_bytes
            quotes += block.count(b'"') if quoted else 0
            newlines += block.count(b"\n")
            offset = end
            target = max(target, offset)
    if cuts[-1] >= size:
        cuts.pop()
        lines.pop()
    ends = [*cuts[1:], size]
    return tuple(Part(a, b, n) for a, b, n in zip(cuts, ends, lines, strict=True))


def _cut_in(block: bytes, at: int, quotes_before: int, quoted: bool) -> int | None:
    """The offset just past the first record-ending line break at or after ``at`` in
    ``block`` (outside quotes when ``quoted``), or None."""
    pos = block.find(b"\n", at)
    while pos >= 0:
        if not quoted or (quotes_before + block.count(b'"', 0, pos)) % 2 == 0:
            return pos + 1
        pos = block.find(b"\n", pos + 1)
    return None


def read_part(path: Path, part: Part) -> bytes:
    """The bytes of one part."""
    with open(path, "rb") as f:
        f.seek(part.start)
        return f.read(part.end - part.start)


def merge_notes(notes: list[str]) -> list[str]:
    """Notes of several parts as one list: notes that differ only in their leading count
    ('3 row(s) with no text …') are summed, the others kept once each, in order."""
    import re

    counted: dict[str, int] = {}
    order: list[Any] = []
    for note in notes:
        m = re.fullmatch(r"(\d+)( .*)", note, re.S)
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
