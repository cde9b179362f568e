"""Rows to documents: CSV, TSV, XLSX, JSON Lines and JSON share one path.

One document per row. The text column is the one named by ``text_column``, else a
column with a conventional name (full_text, content, 正文 …), else the column whose
values are longest on average; every other column becomes metadata.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from govtext.errors import setting
from govtext.ingest.clean import make_doc
from govtext.ingest.metadata import as_text
from govtext.ingest.raw import FailFile, RawDoc, SkipFile

TEXT_COLUMN_NAMES = (
    "full_text", "fulltext", "text", "content", "body", "article", "article_text", "main_text",
    "正文", "内容", "全文", "文本", "文章内容", "新闻内容",
)  # fmt: skip
_MIN_TEXT_CHARS = 20  # a column whose values average fewer characters is a label, not a text


def _cell(value: Any) -> str:
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False)
    return as_text(value)


class ColumnStats:
    """What picking the text column needs to know of every row, gathered a row at a time
    (a file read in parts is scanned once, and its column is picked from all its rows)."""

    def __init__(self, columns: Sequence[str] = ()) -> None:
        self.columns: list[str] = list(columns)
        self.filled: dict[str, int] = {}  # rows with a value
        self.chars: dict[str, int] = {}  # characters of those values
        self.links: dict[str, int] = {}  # values that are web addresses

    def add(self, row: Mapping[str, Any], columns: Sequence[str] | None = None) -> None:
        for c in self.columns if columns is None else columns:
            v = _cell(row.get(c))
            if v:
                self.filled[c] = self.filled.get(c, 0) + 1
                self.chars[c] = self.chars.get(c, 0) + len(v)
                if v.startswith(("http://", "https://")):
                    self.links[c] = self.links.get(c, 0) + 1

    def pick(self, requested: str | None) -> str:
        """The name of the text column, or FailFile saying which columns there were."""
        columns = self.columns
        listed = ", ".join(repr(c) for c in columns) or "none"
        if requested:
            # the exact name first: 'text' asked for is 'text', though a 'TEXT' comes before it
            if requested in columns:
                return requested
            for c in columns:
                if c.strip().lower() == requested.strip().lower():
                    return c
            raise FailFile(
                f"no column named {requested!r} (columns: {listed}); set {setting('text_column')} to one of them"
            )
        by_name = {c.strip().lower(): c for c in columns}
        for name in TEXT_COLUMN_NAMES:
            named = by_name.get(name)
            if named is not None and self.filled.get(named):
                return named
        best, best_len = None, 0.0
        for c in columns:
            n = self.filled.get(c, 0)
            if not n or self.links.get(c, 0) == n:
                continue
            mean = self.chars[c] / n
            if mean > best_len:
                best, best_len = c, mean
        if best is None or best_len < _MIN_TEXT_CHARS:
            raise FailFile(
                f"no usable text column: no column holds text of {_MIN_TEXT_CHARS}+ characters (columns: {listed}); "
                f"set {setting('text_column')} to the column that holds the text"
            )
        return best


def pick_text_column(columns: Sequence[str], rows: Sequence[Mapping[str, Any]], requested: str | None) -> str:
    """The name of the text column, or FailFile saying which columns there were."""
    stats = ColumnStats(columns)
    if not requested:
        for row in rows:
            stats.add(row)
    return stats.pick(requested)


def rows_to_docs(
    columns: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    text_column: str | None,
    notes: list[str],
    *,
    part: bool = False,
) -> list[RawDoc]:
    """One document per row with text. ``part``: the rows are one part of a file whose
    text column was picked from all its rows (``text_column``); a part without the
    column, or without any text, is not an error but rows with no text."""
    if not rows:
        if part:
            return []
        raise SkipFile("no rows (only a header or nothing at all)")
    if part and text_column is not None and text_column not in columns:
        notes.append(_no_text_note(len(rows), text_column))
        return []
    col = pick_text_column(columns, rows, text_column)
    docs = []
    empty = kept_whole = 0
    for row in rows:
        text = _cell(row.get(col))
        if not text.strip():
            empty += 1
            continue
        # in the row's own order (a file read in parts knows only its part's columns)
        fields = {str(k): row[k] for k in row if k != col and k is not None and _cell(row.get(k))}
        doc = make_doc(text, fields, record=True)
        if not doc.text:  # only invisible characters (zero-width spaces) in the cell
            empty += 1
            continue
        kept_whole += doc.kept_whole
        docs.append(doc)
    if empty:
        notes.append(_no_text_note(empty, col))
    if kept_whole:
        notes.append(kept_whole_note(kept_whole))
    if not docs and not part:
        raise SkipFile(_no_text_reason(col))
    return docs


# The notes and reasons of a table file, made and read here only: a file read in parts
# (parts.py) merges its parts' notes, and gives the reason a whole read would give from them.
_BAD_LINES = re.compile(r"(line \d+ .*?)(?: \(and (\d+) more\))?; skipped, the other lines read", re.S)
_NO_TEXT = re.compile(r"\d+ row\(s\) with no text in column (.*) skipped", re.S)


def bad_lines_note(first: str, more: int) -> str:
    """The note on a JSON Lines file's unreadable lines: the first, and how many more."""
    return f"{first}{f' (and {more} more)' if more else ''}; skipped, the other lines read"


def kept_whole_note(n: int) -> str:
    """The note on records that page-furniture cleaning would have emptied (kept as given)."""
    return f"{n} record(s) kept as given: cleaning would have emptied them (meta 'cleaning' = 'kept_whole')"


def _no_text_note(n: int, col: str) -> str:
    return f"{n} row(s) with no text in column {col!r} skipped"


def _no_text_reason(col: str, *, quoted: bool = False) -> str:
    return f"no row has text in column {col if quoted else repr(col)}"


def merge_bad_lines(notes: Sequence[str]) -> list[str]:
    """The notes of a file's parts with their bad-line notes made one, as a whole read
    gives it: the first bad line and how many more, ahead of the notes on rows (a whole
    read parses every line before it looks at a row)."""
    found = [_BAD_LINES.fullmatch(n) for n in notes]
    bad = [m for m in found if m is not None]
    if not bad:
        return list(notes)
    more = sum(1 + int(m.group(2) or 0) for m in bad) - 1
    rest = [n for n, m in zip(notes, found, strict=True) if m is None]
    # before the first note on rows, unless a bad line came earlier than it
    at = next((i for i, n in enumerate(rest) if _NO_TEXT.fullmatch(n)), len(rest))
    at = min(at, found.index(bad[0]))
    return [*rest[:at], bad_lines_note(bad[0].group(1), more), *rest[at:]]


def no_text_reason(notes: Sequence[str]) -> str | None:
    """The reason a whole read skips a table file whose parts held no document, from
    their merged notes: no row has text. (A file without a single record is never read
    in parts: its plan finds no column.)"""
    for n in notes:
        m = _NO_TEXT.fullmatch(n)
        if m:
            return _no_text_reason(m.group(1), quoted=True)  # the note holds it quoted
    return None


def read_delimited(
    text: str, delimiter: str, text_column: str | None, notes: list[str], *, part: bool = False
) -> list[RawDoc]:
    columns, rows = delimited_rows(text, delimiter)
    return rows_to_docs(columns, rows, text_column, notes, part=part)


def delimiter_of(text: str, delimiter: str) -> str:
    """The delimiter of CSV text: European exports use ';', some tools write tabs into
    .csv: trust the header line."""
    if delimiter == ",":
        header = text.split("\n", 1)[0]
        if "," not in header:
            return next((d for d in (";", "\t", "|") if d in header), ",")
    return delimiter


def delimited_rows(text: str, delimiter: str) -> tuple[list[str], list[dict[str, Any]]]:
    """The header's columns and the rows of CSV/TSV text."""
    import csv
    import io
    import sys

    csv.field_size_limit(sys.maxsize)
    delimiter = delimiter_of(text, delimiter)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
        columns = [c for c in (reader.fieldnames or []) if c is not None]
        rows = list(reader)
    except csv.Error as exc:
        raise FailFile(f"not a valid {'TSV' if delimiter == chr(9) else 'CSV'} file: {exc}") from exc
    if not columns:
        raise SkipFile("no header row")
    return columns, rows


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _int_or_text(digits: str) -> int | str:
    """A JSON integer as Python's int, or as the text it was when it is too long for one
    (Python refuses over 4,300 digits): a 5,000-digit record id is still the record's id."""
    return int(digits) if len(digits) <= 4000 else digits


def json_lines(text: str, first_line: int = 1) -> tuple[list[Any], list[str]]:
    """The records of JSON Lines text, and a note per line that is not valid JSON
    (numbered from ``first_line``): a damaged line costs itself, not the file."""
    records: list[Any] = []
    bad: list[str] = []
    # Lines end at a line feed, a carriage return or both: JSON never holds either raw,
    # but it may hold U+2028 or U+0085 unescaped, which str.splitlines would cut at.
    for n, line in enumerate(_LINE_BREAK.split(text), first_line):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line, parse_int=_int_or_text))
        except json.JSONDecodeError as exc:
            bad.append(f"line {n} is not valid JSON ({exc.msg} at column {exc.colno})")
        except (ValueError, RecursionError) as exc:  # a 5,000-digit number, nesting too deep
            bad.append(f"line {n} cannot be read as JSON ({type(exc).__name__}: {str(exc)[:120]})")
    return records, bad


def read_json_rows(
    text: str,
    *,
    lines: bool,
    text_column: str | None,
    notes: list[str],
    first_line: int = 1,
    part: bool = False,
) -> list[RawDoc]:
    records: list[Any] = []
    if lines:
        records, bad = json_lines(text, first_line)
        if bad and not records and not part:
            raise FailFile(bad[0] + ("" if len(bad) == 1 else f", and {len(bad) - 1} more line(s)"))
        if bad:
            notes.append(bad_lines_note(bad[0], len(bad) - 1))
    else:
        try:
            data = json.loads(text, parse_int=_int_or_text)
        except RecursionError:
            raise FailFile(
                "JSON nested deeper than the parser's limit (about 1,000 levels of [ or {); "
                "no document holds its text that deep: check the export"
            ) from None
        except json.JSONDecodeError as exc:
            raise FailFile(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from exc
        if isinstance(data, Mapping):
            # {"documents": [...]} style wrappers: take the first list of objects.
            inner = next(
                (v for v in data.values() if isinstance(v, list) and v and isinstance(v[0], Mapping)), None
            )
            records = inner if inner is not None else [data]
        elif isinstance(data, list):
            records = data
        else:
            raise FailFile("JSON holds a single value, not objects; expected a list of objects or one object")
    columns, rows = json_columns(records)
    return rows_to_docs(columns, rows, text_column, notes, part=part)


def json_columns(records: Sequence[Any]) -> tuple[list[str], list[Mapping[str, Any]]]:
    """Rows (a value that is not an object becomes its ``text``) and every key, in order."""
    rows = [r if isinstance(r, Mapping) else {"text": r} for r in records]
    columns: list[str] = []
    for r in rows:
        for k in r:
            if k not in columns:
                columns.append(str(k))
    return columns, rows


def read_xlsx(data: bytes, text_column: str | None, notes: list[str]) -> list[RawDoc]:
    import io
    import zipfile

    try:
        wb = _fast_strings_reader()(io.BytesIO(data), read_only=True, data_only=True).read_workbook_only()
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FailFile(
            f"not a readable .xlsx workbook ({type(exc).__name__}: {exc}); re-save it from Excel"
        ) from exc
    docs: list[RawDoc] = []
    sheets = wb.worksheets
    for ws in sheets:
        it = ws.iter_rows(values_only=True)
        header = next(it, None)
        if not header:
            continue
        columns = [as_text(h) or f"column_{i + 1}" for i, h in enumerate(header)]
        rows = [dict(zip(columns, r, strict=False)) for r in it if any(v not in (None, "") for v in r)]
        if not rows:
            continue
        if len(sheets) > 1:
            # each sheet on its own: a sheet of statistics beside the sheet of texts costs
            # itself (a note), never the texts
            try:
                sheet_docs = rows_to_docs(columns, rows, text_column, notes)
            except (SkipFile, FailFile) as exc:
                notes.append(f"sheet {ws.title!r} skipped: {exc}")
                continue
        else:
            sheet_docs = rows_to_docs(columns, rows, text_column, notes)
        if len(sheets) > 1:
            for d in sheet_docs:
                d.fields.setdefault("sheet", ws.title)
        docs.extend(sheet_docs)
    wb.close()
    if not docs:
        raise SkipFile("no sheet has a header row and rows with text")
    return docs


@functools.cache
def _fast_strings_reader() -> Any:
    """openpyxl's ``ExcelReader`` (what ``load_workbook`` runs) with its table of shared
    strings read by ``shared_strings``: openpyxl builds a rich-text object of each string
    only to take its plain text, a third of the time a workbook of citizen messages takes
    to read (issue 20: the first files of ../shared/corpus, read while the other worker
    waits). ``read_workbook_only()`` is ``load_workbook``'s ``reader.read(); reader.wb``."""
    from openpyxl.reader.excel import SHARED_STRINGS, ExcelReader

    class Reader(ExcelReader):
        def read_strings(self) -> None:
            ct = self.package.find(SHARED_STRINGS)
            if ct is not None:
                with self.archive.open(ct.PartName[1:]) as src:
                    self.shared_strings = shared_strings(src)

        def read_workbook_only(self) -> Any:
            self.read()
            return self.wb

    return Reader


def shared_strings(src: Any) -> list[str]:
    """The plain text of each ``<si>`` of a shared strings part, as openpyxl's
    ``read_string_table`` gives it (``Text.from_tree(si).content``): the text of its
    ``t`` child (the last one, if several), then of each ``r`` run's ``t`` (the last of
    each), children matched by local name; phonetic runs left out; ``x005F_`` removed."""
    from xml.etree.ElementTree import iterparse

    strings: list[str] = []
    si_tag = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}si"
    for _, node in iterparse(src):
        if node.tag != si_tag:
            continue
        plain: str | None = None
        runs: list[str | None] = []
        for el in node:
            name = _localname(el.tag)
            if name == "t":
                plain = el.text
            elif name == "r":
                text = None
                for part in el:
                    if _localname(part.tag) == "t":
                        text = part.text
                runs.append(text)
        snippets = [plain] if plain is not None else []
        snippets += [t for t in runs if t is not None]
        strings.append("".join(snippets).replace("x005F_", ""))
        node.clear()
    return strings


def _localname(tag: Any) -> str:
    """openpyxl's ``localname``: the tag without its namespace; a comment is "comment"."""
    if not isinstance(tag, str):
        return "comment"
    return tag.rsplit("}", 1)[-1]
