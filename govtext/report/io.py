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
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

# A cell starting with one of these is a formula to Excel and LibreOffice (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Excel sheet names: at most 31 characters, none of these.
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


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


def neutralise(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe.

    Numbers are left alone (a negative log ratio stays a number).
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with formula-like text cells (and column names) neutralised."""
    from pandas.api.types import is_object_dtype, is_string_dtype

    out = frame.copy()
    out.columns = [neutralise(str(c)) for c in out.columns]
    for col in out.columns:
        if is_object_dtype(out[col]) or is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    return out


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


def write_xlsx(path: Path, tables: Mapping[str, pd.DataFrame]) -> Path:
    """One sheet per table: bold frozen header, widths fitted to the content."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    for name, frame in tables.items():
        ws = wb.create_sheet(sheet_name(name, taken))
        safe = safe_frame(frame)
        ws.append([str(c) for c in safe.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        years = [i for i, c in enumerate(safe.columns) if str(c) in _YEAR_COLUMNS]
        for row in safe.itertuples(index=False):
            values = [_xlsx_value(v, ILLEGAL_CHARACTERS_RE) for v in row]
            for i in years:  # a year is a number a spreadsheet can sort and chart
                if isinstance(values[i], str) and values[i].isdigit() and len(values[i]) == 4:
                    values[i] = int(values[i])
            ws.append(values)
        ws.freeze_panes = "A2"
        if ws.max_row > 1:
            ws.auto_filter.ref = ws.dimensions  # headers filter and sort in Excel and LibreOffice
        for i, col in enumerate(safe.columns, start=1):
            fmt = _number_format(safe[col])
            if fmt:
                for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                    cell.number_format = fmt
        for i, col in enumerate(safe.columns, start=1):
            sample = [str(col), *(str(v) for v in safe[col].head(200))]
            # CJK characters are about twice as wide as Latin ones.
            width = max(_display_width(s) for s in sample)
            ws.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 6), 60)
    buf = io.BytesIO()
    wb.save(buf)
    return atomic_write_bytes(path, buf.getvalue())


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
    {"index.html", "report.md", "run.json", "report.xlsx", "manifest.csv", "tables", "figures"}
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
                f"the output path {self.out} is a file; give a folder for the report (e.g. --out reports/mine)."
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
