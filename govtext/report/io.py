"""Writing report files: atomically, and safe to open in Excel.

Every file goes to a temporary file in the target folder first and is moved into place
with ``os.replace``, so a crash leaves either the old file or the new one, never half.
"""

from __future__ import annotations

import functools
import io
import json
import math
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govtext.cells import safe_frame

if TYPE_CHECKING:
    import pandas as pd

# Excel sheet names: at most 31 characters, none of these.
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
# openpyxl's ILLEGAL_CHARACTERS_RE (the control characters a worksheet cannot hold), the
# same pattern (tested): importing openpyxl for it cost the report's child ~0.15 s
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and os.replace."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file private (0600); a report is an ordinary file (0666 & ~umask).
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


@functools.cache
def _umask() -> int:
    # Reading it from /proc avoids os.umask's set-and-restore, which races with other threads.
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    return atomic_write_bytes(path, text.encode(encoding))


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    """UTF-8 with a byte-order mark, so Excel on Windows reads the Chinese correctly."""
    buf = io.StringIO()
    safe_frame(frame).to_csv(buf, index=False, lineterminator="\r\n")
    return atomic_write_bytes(path, buf.getvalue().encode("utf-8-sig"))


def sheet_name(name: str, taken: set[str]) -> str:
    base = _SHEET_BAD.sub("_", name)[:31] or "sheet"
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        suffix = f"_{n}"
        candidate = base[: 31 - len(suffix)] + suffix
    taken.add(candidate.lower())
    return candidate


def write_xlsx(path: Path, tables: Mapping[str, pd.DataFrame], more: Any = None) -> Path:
    """One sheet per table: bold frozen header, filters, number formats, widths fitted to
    the content.

    ``more``, if given, is a connection (``multiprocessing.Pipe``) whose ``recv()`` gives
    further tables, sheets after ``tables`` as in ``{**tables, **more}``; it is read once
    the first sheets are made, so a child process can start on the comparison tables
    while the report builds the page's. The same bytes as ``write_xlsx(path, {**tables,
    **more})``.

    The SpreadsheetML is written here, a column at a time, rather than through
    openpyxl's cell objects: on ../shared/corpus (13 sheets, 111,000 rows) openpyxl took
    10 CPU-s, as long as the topic model, on the first run and every re-run. Text goes in
    as inline strings; openpyxl, Excel and LibreOffice read the file alike.

    Each sheet is compressed into the zip as it is made, a block of rows at a time, and
    the parts that name every sheet (content types, workbook, styles) follow them: the
    sheets of 100 MB of text were ~1 GB of XML strings held at once (issue 20). The zip
    holds the sheets first, then the rest, always in that order.
    """
    import zipfile

    buf = io.BytesIO()
    zf = zipfile.ZipFile(buf, "w")
    formats: dict[str, int] = {}  # number format → its style index
    names: list[str] = []  # the tables, in sheet order
    for name, frame in tables.items():
        names.append(name)
        _write_part(
            zf, f"xl/worksheets/sheet{len(names)}.xml", _sheet_xml(frame, formats, ILLEGAL_CHARACTERS_RE)
        )
    extra: Mapping[str, pd.DataFrame] = more.recv() if more is not None else {}
    if set(extra) & set(names):
        # a table given again replaces the first in its place: start over in that order
        zf.close()
        buf = io.BytesIO()
        zf = zipfile.ZipFile(buf, "w")
        formats, names = {}, []
        extra = {**tables, **extra}
    for name, frame in extra.items():
        names.append(name)
        _write_part(
            zf, f"xl/worksheets/sheet{len(names)}.xml", _sheet_xml(frame, formats, ILLEGAL_CHARACTERS_RE)
        )
    taken: set[str] = set()
    titles = [sheet_name(name, taken) for name in names]
    parts = {
        "[Content_Types].xml": _content_types(len(titles)),
        "_rels/.rels": _ROOT_RELS,
        "xl/workbook.xml": _workbook_xml(titles),
        "xl/_rels/workbook.xml.rels": _workbook_rels(len(titles)),
        "xl/styles.xml": _styles_xml(formats),
    }
    for name, text in parts.items():
        _write_part(zf, name, [text])
    zf.close()
    return atomic_write_bytes(path, buf.getvalue())


def _write_part(zf: Any, name: str, pieces: Iterable[str]) -> None:
    """One part of the zip, deflated as its pieces come (encoded one at a time)."""
    import zipfile

    # A fixed time stamp: the same tables give the same bytes (zipfile would stamp now).
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = 0o600 << 16  # as zipfile gives a part named by a string
    info.compress_type = zipfile.ZIP_DEFLATED
    # what writestr(..., compresslevel=4) sets: open() takes the level from the ZipInfo
    setattr(info, "_compresslevel", 4)  # noqa: B010 (a private field, as writestr sets it)
    with zf.open(info, "w") as part:
        for piece in pieces:
            part.write(piece.encode("utf-8"))


_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_ROOT_RELS = (
    _XML_HEAD + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _content_types(n: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, n + 1)
    )
    return (
        _XML_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        f"{sheets}</Types>"
    )


def _workbook_xml(titles: list[str]) -> str:
    sheets = "".join(
        f'<sheet name="{_xml_text(t).replace(chr(34), "&quot;")}" sheetId="{i}" r:id="rId{i}"/>'
        for i, t in enumerate(titles, start=1)
    )
    return (
        _XML_HEAD + f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
        f"<bookViews><workbookView/></bookViews><sheets>{sheets}</sheets></workbook>"
    )


def _workbook_rels(n: int) -> str:
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, n + 1)
    )
    styles = f'<Relationship Id="rId{n + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
    return (
        _XML_HEAD + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f"{rels}{styles}</Relationships>"
    )


def _styles_xml(formats: Mapping[str, int]) -> str:
    """Style 0: plain; 1: the bold header; 2…: one per number format, in ``formats``' order."""
    codes = sorted(formats, key=formats.__getitem__)
    num_fmts = "".join(
        f'<numFmt numFmtId="{164 + i}" formatCode="{_xml_text(c).replace(chr(34), "&quot;")}"/>'
        for i, c in enumerate(codes)
    )
    xfs = "".join(
        f'<xf numFmtId="{164 + i}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        for i in range(len(codes))
    )
    return (
        _XML_HEAD
        + f'<styleSheet xmlns="{_MAIN_NS}">'
        + (f'<numFmts count="{len(codes)}">{num_fmts}</numFmts>' if codes else "")
        + '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        f'<cellXfs count="{2 + len(codes)}"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
        f"{xfs}</cellXfs>"
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    )


def _column_letter(i: int) -> str:
    """1 → A, 27 → AA."""
    out = ""
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _cell_xml(ref: str, value: Any, style: str, illegal: re.Pattern[str]) -> str:
    value = _xlsx_value(value, illegal)
    # an empty cell keeps its column's format, as openpyxl kept it
    empty = f'<c r="{ref}"{style}/>' if style else ""
    if value is None or value == "":  # openpyxl wrote no value for an empty text either
        return empty
    if isinstance(value, bool):
        return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return empty
        # openpyxl's "%.16g": the numbers read back as they did before
        return f'<c r="{ref}"{style}><v>{format(value, ".16g")}</v></c>'
    return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{_xml_text(value)}</t></is></c>'


def _column_cells(
    column: pd.Series,
    letter: str,
    style: str,
    year: bool,
    illegal: re.Pattern[str],
    first: int = 2,
    escaped: dict[str, str] | None = None,
) -> list[str]:
    """One column's cells, rows ``first``…: what ``_cell_xml`` gives cell by cell, with the
    two commonest kinds written without its per-value checks (the workbook of
    ../shared/corpus has ~940k cells, most of them plain numbers or plain text).
    ``escaped``: the column's text cells escaped so far (kept across its blocks of rows)."""
    import numpy as np

    values = column.tolist()
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "iu":
        # numpy integers: never missing, never bool; tolist() gave Python ints, which
        # "%.16g" writes as str() does while a float holds them exactly (|v| ≤ 2^53)
        if values and -(2**53) <= min(values) and max(values) <= 2**53:
            return [f'<c r="{letter}{r}"{style}><v>{v}</v></c>' for r, v in enumerate(values, first)]
        return [
            f'<c r="{letter}{r}"{style}><v>{format(v, ".16g")}</v></c>' for r, v in enumerate(values, first)
        ]
    if isinstance(column.dtype, np.dtype) and column.dtype.kind == "b":
        # numpy bools: never missing; _cell_xml's boolean cell
        return [
            f'<c r="{letter}{r}"{style} t="b"><v>{1 if v else 0}</v></c>' for r, v in enumerate(values, first)
        ]
    if isinstance(column.dtype, np.dtype) and column.dtype.kind == "f":
        # numpy floats: NaN and ±inf are empty cells, as in _cell_xml
        return [
            f'<c r="{letter}{r}"{style}><v>{format(v, ".16g")}</v></c>'
            if math.isfinite(v)
            else (f'<c r="{letter}{r}"{style}/>' if style else "")
            for r, v in enumerate(values, first)
        ]
    pieces = []
    if escaped is None:
        escaped = {}  # groups, themes and terms repeat down a column
    for r, v in enumerate(values, start=first):
        if type(v) is str and not (year and v.isdigit() and len(v) == 4):
            text = escaped.get(v)
            if text is None:
                text = escaped[v] = _xml_text(illegal.sub("", v))
            if text:
                pieces.append(
                    f'<c r="{letter}{r}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
                )
            else:  # openpyxl wrote no value for an empty text
                pieces.append(f'<c r="{letter}{r}"{style}/>' if style else "")
            continue
        if year and isinstance(v, str) and v.isdigit() and len(v) == 4:
            v = int(v)  # a year is a number a spreadsheet can sort and chart
        pieces.append(_cell_xml(f"{letter}{r}", v, style, illegal))
    return pieces


# Rows made and compressed at once: bounds the cells held (the hits of 100 MB of text
# are ~10^6 rows).
_SHEET_ROWS = 5_000


def _sheet_xml(frame: pd.DataFrame, formats: dict[str, int], illegal: re.Pattern[str]) -> Iterator[str]:
    """The worksheet XML of ``frame`` (made safe to open here), in pieces: the head, then
    ``_SHEET_ROWS`` rows at a time, then the tail. Its number formats go into
    ``formats`` as soon as it is called (``styles.xml`` is made from them)."""
    safe = safe_frame(frame)
    columns = list(safe.columns)
    n_rows, n_cols = len(safe), len(columns)
    letters = [_column_letter(i) for i in range(1, n_cols + 1)]
    styles, years = [], []
    for col in columns:
        fmt = _number_format(safe[col])
        styles.append(f' s="{formats.setdefault(fmt, len(formats) + 2)}"' if fmt else "")
        years.append(str(col) in _YEAR_COLUMNS)
    widths = []
    for j, col in enumerate(columns, start=1):
        sample = [str(col), *(str(v) for v in safe[col].head(200))]
        # CJK characters are about twice as wide as Latin ones.
        width = min(max(max(_display_width(s) for s in sample) + 2, 6), 60)
        widths.append(f'<col min="{j}" max="{j}" width="{width}" customWidth="1"/>')
    last = f"{letters[-1]}{n_rows + 1}" if n_cols else "A1"
    ref = f"A1:{last}"
    head = (
        _XML_HEAD + f'<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
        f'<dimension ref="{ref}"/>'
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/>'
        + (f"<cols>{''.join(widths)}</cols>" if widths else "")
        + "<sheetData>"
    )
    header = "".join(_cell_xml(f"{letters[j]}1", str(c), ' s="1"', illegal) for j, c in enumerate(columns))
    tail = (
        "</sheetData>"
        # headers filter and sort in Excel and LibreOffice
        + (f'<autoFilter ref="{ref}"/>' if n_rows and n_cols else "")
        + "</worksheet>"
    )
    return _sheet_pieces(
        safe, letters, styles, years, illegal, head + (f'<row r="1">{header}</row>' if n_cols else ""), tail
    )


def _sheet_pieces(
    safe: pd.DataFrame,
    letters: list[str],
    styles: list[str],
    years: list[bool],
    illegal: re.Pattern[str],
    head: str,
    tail: str,
) -> Iterator[str]:
    yield head
    escaped: list[dict[str, str]] = [{} for _ in letters]
    for at in range(0, len(safe), _SHEET_ROWS):
        block = safe.iloc[at : at + _SHEET_ROWS]
        cells = [
            _column_cells(block.iloc[:, j], letters[j], styles[j], years[j], illegal, at + 2, escaped[j])
            for j in range(len(letters))
        ]
        # no columns: empty rows
        by_row = zip(*cells, strict=True) if cells else [()] * len(block)
        yield "".join(f'<row r="{r}">{"".join(row)}</row>' for r, row in enumerate(by_row, start=at + 2))
    yield tail


_YEAR_COLUMNS = {"year"}  # a metadata year kept as text (not every value a year)


def _number_format(column: pd.Series) -> str:
    """Excel number format for a column: integers whole, shares as per cent, other floats
    with two decimals (no 84.76466651795673 in a cell)."""
    from pandas.api.types import is_bool_dtype, is_float_dtype, is_integer_dtype

    if is_bool_dtype(column) or not (is_float_dtype(column) or is_integer_dtype(column)):
        return ""
    if is_integer_dtype(column):
        return "#,##0"
    name = str(column.name)
    if name.startswith("share") or name.endswith("_share"):
        return "0.0%"
    if name in ("p_value", "p_adj", "p_adjusted", "p"):
        return "0.0000"
    return "#,##0.00"


def _xlsx_value(value: Any, illegal: re.Pattern[str]) -> Any:
    import pandas as pd

    if value is None or value is pd.NA or value is pd.NaT:
        return None  # a missing value is an empty cell, never the text "<NA>"
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()  # numpy scalar → Python
    if isinstance(value, str):
        return illegal.sub("", value)
    if isinstance(value, (int, float, bool)):
        return value
    return str(value)


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text[:80])


def to_jsonable(value: Any) -> Any:
    """Plain JSON values: numpy scalars, paths, tuples and NaN made serialisable."""
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [to_jsonable(v) for v in items]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def dumps_json(data: Any) -> str:
    """Deterministic JSON: sorted keys, UTF-8 text kept readable, two-space indent."""
    return json.dumps(to_jsonable(data), ensure_ascii=False, sort_keys=True, indent=2) + "\n"


# Names a report writes; anything else found in an output folder belongs to someone else
# (a store, the user's notes) and is carried over when a new report replaces the old one.
REPORT_ENTRIES = frozenset(
    {
        "index.html",
        "report.md",
        "run.json",
        "report.xlsx",
        "manifest.csv",
        "tables",
        "figures",
        ".govtext-outputs.json",
    }
)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with Linux renameat2(RENAME_EXCHANGE); False where unsupported."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    ok = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0
    return bool(ok)


def _carry_over(old: Path, new: Path) -> None:
    """Move entries that are not report files from ``old`` into ``new`` (one rename each)."""
    for entry in list(old.iterdir()):
        if entry.name not in REPORT_ENTRIES and not (new / entry.name).exists():
            os.replace(entry, new / entry.name)


def _recover(out: Path) -> None:
    """Finish what an interrupted swap left: carry foreign entries home, drop the rest."""
    import shutil

    for leftover in out.parent.glob(f".{out.name}.staging-*"):
        if not leftover.is_dir():
            continue
        pid = leftover.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and Path(f"/proc/{pid}").exists():
            continue  # another live run is writing this one
        if out.is_dir():
            _carry_over(leftover, out)
        shutil.rmtree(leftover, ignore_errors=True)
    if out.is_dir():
        for stale in out.rglob(".*.tmp"):
            stale.unlink(missing_ok=True)


class StagedFolder:
    """Write a whole output folder so that it is replaced at once: old or new, never a mix.

    Files are written into a hidden sibling folder; on success it is swapped with the
    output folder in one atomic rename (RENAME_EXCHANGE on Linux; elsewhere two renames),
    entries that are not report files (a store, the user's own files) are carried over,
    and the old folder is removed. Leftovers of a killed run are cleaned up next time.
    """

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self.stage = self.out.parent / f".{self.out.name}.staging-{os.getpid()}"

    def __enter__(self) -> Path:
        import shutil

        from govtext.errors import InputError

        if self.out.exists() and not self.out.is_dir():
            raise InputError(
                f"the output path {self.out} is a file; give a folder for the report (e.g. reports/mine).",
                param="out",
            )
        self.out.parent.mkdir(parents=True, exist_ok=True)
        _recover(self.out)
        shutil.rmtree(self.stage, ignore_errors=True)
        self.stage.mkdir()
        return self.stage

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        import shutil

        if exc_type is not None:
            shutil.rmtree(self.stage, ignore_errors=True)
            return
        if not self.out.exists():
            os.replace(self.stage, self.out)
            return
        if not _exchange(self.stage, self.out):
            # No atomic exchange: move the old folder aside, then the new one in.
            aside = self.out.parent / f".{self.out.name}.staging-old-{os.getpid()}"
            os.replace(self.out, aside)
            os.replace(self.stage, self.out)
            self.stage = aside
        _carry_over(self.stage, self.out)  # self.stage now holds the previous output
        shutil.rmtree(self.stage, ignore_errors=True)
