"""Large JSON Lines, CSV and TSV files in parts: a file over ``part_bytes`` is read as
byte ranges that end where a record ends, one range at a time or one per engine worker,
so memory holds a part, not the file, and one big file uses every core.

The parts are decided here, in one pass over the file that holds little at a time and
decodes everything strictly in the encoding found in the file's head; a file that does
not decode throughout, whose head holds no whole usable record, or that the pass cannot
read is read whole instead, by the rules for any file.

- JSON Lines: a record never holds a raw line break (JSON escapes it), so every line
  break ends one; the pass reads 8 MB blocks.
- CSV/TSV: a quoted field may hold line breaks, and a quote inside an unquoted field is
  plain text, so a record's end cannot be told from the bytes alone. The pass runs the
  csv module itself over the file's lines and cuts where it finished a record: the
  parts then hold exactly the records a whole-file read finds. Every part after the
  first is read after the file's header record.

What a reader would decide for the whole file is decided once and handed to every part:
the encoding, the text column (from the first megabyte of records) and, for CSV/TSV,
the header. Ids number the records across the parts as a whole-file read would.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govtext.ingest.raw import FailFile, SkipFile

# suffix → reader format of the files that may be read in parts
PART_FORMATS = {".jsonl": "jsonl", ".csv": "csv", ".tsv": "tsv"}
DEFAULT_PART_BYTES = 16 * 1024 * 1024  # smaller parts spread better over the workers; larger hold more memory
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
    header: bytes = b""  # CSV/TSV: the header record, read before every part but the first


def plan_parts(
    path: Path,
    suffix: str,
    *,
    part_bytes: int,
    encoding: str | None,
    text_column: str | None,
    max_part: int | None = None,
) -> Plan | None:
    """A Plan for a JSON Lines, CSV or TSV file over ``part_bytes`` that can be cut and
    decodes throughout, else None: the file is read whole, and whatever is wrong with it
    is reported as for any file. No part may be over ``max_part`` bytes (what may be
    held in memory at once: ingest's max_file_size), and the planning pass gives up as
    soon as one record is."""
    fmt = PART_FORMATS.get(suffix)
    if fmt is None:
        return None
    size = path.stat().st_size
    if size <= part_bytes:
        return None
    limit = max_part if max_part is not None else size
    try:
        if fmt == "jsonl":
            return _plan_lines(path, size, part_bytes, encoding, text_column, limit)
        return _plan_table(path, size, fmt, part_bytes, encoding, text_column, limit)
    except (FailFile, SkipFile):
        return None  # the whole-file reader says what is wrong (or reads what it can)


def _head_encoding(path: Path, encoding: str | None) -> tuple[str, str] | None:
    """The encoding of the file's head (as the whole-file reader detects it) and the
    head's text up to its last line break; None when the head holds no line break, does
    not decode cleanly, or is in an encoding whose bytes cannot be cut."""
    from govtext.ingest.readers import ReadOptions, _decode

    with open(path, "rb") as f:
        head = f.read(_HEAD_BYTES)
    cut = head.rfind(b"\n")
    if cut < 0:
        return None  # the first record alone is over a megabyte
    decoded = _decode(head[: cut + 1], ReadOptions(encoding=encoding))
    if decoded.problem or codecs.lookup(decoded.encoding).name not in _BYTE_SAFE:
        return None
    # named as a whole read names it (the user's spelling, 'GB18030', is kept)
    return decoded.encoding, decoded.text


def _plan_lines(
    path: Path, size: int, part_bytes: int, encoding: str | None, text_column: str | None, limit: int
) -> Plan | None:
    """JSON Lines: cut after a line break about every ``part_bytes``; every record is
    parsed on the way, for the text column the whole file would get."""
    from govtext.ingest.tables import ColumnStats, json_lines

    found = _head_encoding(path, encoding)
    if found is None:
        return None
    enc = found[0]
    decoder = codecs.getincrementaldecoder(enc)(errors="strict")
    stats = ColumnStats()
    known: set[str] = set()
    cuts, lines = [0], [1]
    target = part_bytes
    newlines = 0  # line breaks before the current block
    offset = 0
    carry = ""  # the decoded text of a line the last block ended inside
    after_cr = False  # the last block ended with a CR (its LF, if any, starts this one)
    with open(path, "rb") as f:
        while offset < size:
            block = f.read(_BLOCK)
            if not block:
                break
            if b"\0" in block:
                return None  # NUL bytes: the whole-file decoder's rules drop them
            try:
                text = carry + decoder.decode(block, final=len(block) + offset >= size)
            except UnicodeDecodeError:
                return None
            whole, _, carry = text.rpartition("\n")
            if len(carry) > limit:
                return None  # a record over the limit
            _count_columns(json_lines(whole)[0], stats, known, text_column)
            end = offset + len(block)
            while target < end:
                pos = block.find(b"\n", target - offset)
                if pos < 0:
                    break  # the record runs on: cut in the next block
                cuts.append(offset + pos + 1)
                lines.append(1 + newlines + _breaks(block, pos + 1, after_cr))
                target = offset + pos + 1 + part_bytes
            newlines += _breaks(block, len(block), after_cr)
            after_cr = block.endswith(b"\r")
            offset = end
            target = max(target, offset)
    if carry.strip():
        _count_columns(json_lines(carry)[0], stats, known, text_column)
    if cuts[-1] >= size:
        cuts.pop()
        lines.pop()
    ends = [*cuts[1:], size]
    parts = tuple(Part(a, b, n) for a, b, n in zip(cuts, ends, lines, strict=True))
    if len(parts) < 2 or any(p.end - p.start > limit for p in parts) or not stats.columns:
        return None
    return Plan(parts, enc, stats.pick(text_column))


def _breaks(block: bytes, end: int, after_cr: bool) -> int:
    """Line breaks in ``block[:end]`` as ``tables.json_lines`` counts them: CR LF, a CR
    alone or an LF alone is one; an LF after a CR that ended the last block is not a
    new one."""
    n = block.count(b"\n", 0, end) + block.count(b"\r", 0, end) - block.count(b"\r\n", 0, end)
    return n - 1 if after_cr and block.startswith(b"\n") and end > 0 else n


def _count_columns(records: list[Any], stats: Any, known: set[str], text_column: str | None) -> None:
    """Add JSON records to the column statistics as ``tables.json_columns`` and
    ``pick_text_column`` see a whole file's rows: every key in order of first
    appearance, and (unless the column is named) what each row holds."""
    for r in records:
        row = r if isinstance(r, Mapping) else {"text": r}
        for k in row:
            if str(k) not in known:
                known.add(str(k))
                stats.columns.append(str(k))
        if not text_column:
            stats.add(row, [str(k) for k in row])


def _plan_table(
    path: Path,
    size: int,
    fmt: str,
    part_bytes: int,
    encoding: str | None,
    text_column: str | None,
    limit: int,
) -> Plan | None:
    """CSV/TSV: cut where the csv module, run over the whole file as a whole-file read
    runs it, finishes a record; the text column is picked from every row."""
    import csv
    import sys

    from govtext.ingest.tables import ColumnStats, delimiter_of

    found = _head_encoding(path, encoding)
    if found is None:
        return None
    enc, head_text = found
    delimiter = delimiter_of(head_text, "," if fmt == "csv" else "\t")
    csv.field_size_limit(sys.maxsize)
    decoder = codecs.getincrementaldecoder(enc)(errors="strict")
    at = [0, 0, 0]  # bytes and lines given to the csv module, and where its last record ended

    class _GiveUp(Exception):
        pass

    def lines(f: Any) -> Any:
        for raw in f:  # binary lines end at b"\n", which no character of these codecs holds
            if b"\0" in raw:
                raise _GiveUp  # NUL bytes: the whole-file decoder's rules drop them
            text = decoder.decode(raw)
            at[0] += len(raw)
            at[1] += 1
            if at[0] - at[2] > limit:
                raise _GiveUp  # one record (an unclosed quote?) over what may be held
            yield text
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail

    cuts, first_lines = [0], [1]
    header: list[str] | None = None
    header_end = 0
    stats = ColumnStats()
    target = part_bytes
    try:
        with open(path, "rb") as f:
            for record in csv.reader(lines(f), delimiter=delimiter):
                # the reader asks for a line only to finish a record: ``at`` is its end
                at[2] = at[0]
                if header is None:
                    header, header_end = record, at[0]
                    stats.columns = [c for c in header if c is not None]
                    continue
                if not record:
                    continue  # a blank line: DictReader skips it
                if not text_column:
                    stats.add(dict(zip(header, record, strict=False)))
                if at[0] >= target and at[0] < size:
                    cuts.append(at[0])
                    first_lines.append(at[1] + 1)
                    target = at[0] + part_bytes
    except (csv.Error, UnicodeDecodeError, _GiveUp):
        return None
    if len(cuts) < 2 or not header_end or not stats.columns:
        return None
    ends = [*cuts[1:], size]
    parts = tuple(Part(a, b, n) for a, b, n in zip(cuts, ends, first_lines, strict=True))
    if any(p.end - p.start > limit for p in parts):
        return None
    with open(path, "rb") as f:
        head_record = f.read(header_end)
    return Plan(parts, enc, stats.pick(text_column), head_record)


def read_part(path: Path, part: Part) -> bytes:
    """The bytes of one part."""
    with open(path, "rb") as f:
        f.seek(part.start)
        return f.read(part.end - part.start)


_COUNTED = re.compile(r"(\d+)( .*)", re.S)


def merge_notes(notes: list[str]) -> list[str]:
    """The notes of a file's parts as one list: the bad JSON lines as one note (see
    ``tables.merge_bad_lines``), notes that differ only in their leading count ('3 row(s)
    with no text …') summed, the others kept once each, in order."""
    from govtext.ingest.tables import merge_bad_lines

    counted: dict[str, int] = {}
    order: list[tuple[str, str]] = []
    for note in merge_bad_lines(notes):
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
