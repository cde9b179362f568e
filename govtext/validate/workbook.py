"""The coding workbook: written for coders, read back and checked cell by cell.

Layout: one sheet per coder (unit_id, doc_id, text, context, then one 0/1 column per
theme, with data validation, a frozen header, set widths and wrapped text); a
``themes`` sheet with each theme's id, name and description; and a hidden ``_govtext``
sheet with what coders must not see (strata, weights, predicted themes) plus the
sample's settings and the dictionary hash as key/value pairs in columns K:L.

Reading accepts a CSV per coder too (same columns; the file's stem is the coder's
name, and it replaces the workbook sheet of that name). Every problem is an InputError
naming the sheet, the row and the column, and saying what would be right.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from govtext.errors import InputError

if TYPE_CHECKING:
    from govtext.validate.sample import Sample

HIDDEN = "_govtext"
THEMES_SHEET = "themes"
FIXED = ["unit_id", "doc_id", "text", "context"]
HIDDEN_COLUMNS = [
    "unit_id",
    "doc_id",
    "stratum",
    "stratum_size",
    "stratum_sampled",
    "weight",
    "predicted",
    "text",
]
META_COLUMN = 11  # K: keys, L: values
WIDTHS = {"unit_id": 22, "doc_id": 18, "text": 60, "context": 50}
THEME_WIDTH = 12


def _letter(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(col)


def write_workbook(s: Sample, path: str | Path) -> Path:
    """Write the coding workbook of sample ``s`` to ``path`` (.xlsx)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise InputError(f"coding workbook {str(path)!r}: the name must end in .xlsx")
    themes = s.themes
    wb = Workbook()
    wb.remove(wb.active)
    header = FIXED + themes
    n = len(s.units)
    for coder in s.coders:
        ws = wb.create_sheet(coder)
        ws.append(header)
        for c in ws[1]:
            c.font = Font(bold=True)
        for row in s.units.itertuples(index=False):
            ws.append([row.unit_id, row.doc_id, row.text, row.context] + [None] * len(themes))
        wrap = Alignment(wrap_text=True, vertical="top")
        for r in ws.iter_rows(min_row=2, max_row=n + 1, max_col=len(FIXED)):
            for c in r:
                c.alignment = wrap
        for j, name in enumerate(header, start=1):
            ws.column_dimensions[_letter(j)].width = WIDTHS.get(name, THEME_WIDTH)
        ws.freeze_panes = "A2"
        if themes and n:
            dv = DataValidation(
                type="whole",
                operator="between",
                formula1="0",
                formula2="1",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="0 or 1",
                error="Type 1 if the unit is about this theme, 0 if not.",
            )
            first, last = _letter(len(FIXED) + 1), _letter(len(header))
            dv.add(f"{first}2:{last}{n + 1}")
            ws.add_data_validation(dv)
    ws = wb.create_sheet(THEMES_SHEET)
    ws.append(["id", "name", "description"])
    for t in s.dictionary.themes.values():
        ws.append([t.id, t.name, t.description])
    for c in ws[1]:
        c.font = Font(bold=True)
    for col, width in (("A", 24), ("B", 16), ("C", 90)):
        ws.column_dimensions[col].width = width
    for r in ws.iter_rows(min_row=2, min_col=3, max_col=3):
        for c in r:
            c.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    ws = wb.create_sheet(HIDDEN)
    ws.append(HIDDEN_COLUMNS)
    for row in s.units.itertuples(index=False):
        ws.append(
            [
                row.unit_id,
                row.doc_id,
                row.stratum,
                int(row.stratum_size),
                int(row.stratum_sampled),
                float(row.weight),
                ",".join(row.predicted),
                row.text,
            ]
        )
    for i, (k, v) in enumerate(s.meta().items(), start=1):
        ws.cell(row=i, column=META_COLUMN, value=k)
        ws.cell(row=i, column=META_COLUMN + 1, value=v)
    ws.sheet_state = "hidden"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


@dataclass
class Codes:
    """A checked workbook: the units (hidden sheet), the settings, and each coder's codes
    as a DataFrame indexed by unit_id with one 0/1 int column per theme."""

    units: pd.DataFrame
    meta: dict[str, Any]
    coders: dict[str, pd.DataFrame]
    path: str

    @property
    def themes(self) -> list[str]:
        return [t for t in str(self.meta.get("themes", "")).split(",") if t]


def _cell_value(v: Any) -> Any:
    return v.strip() if isinstance(v, str) else v


def _as01(v: Any) -> int | None:
    """1 or 0 from what Excel, LibreOffice or a CSV stores for them; None otherwise."""
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int | float) and v in (0, 1):
        return int(v)
    if isinstance(v, str) and v.strip() in ("0", "1", "0.0", "1.0"):
        return int(float(v))
    return None


def _check_header(where: str, header: list[Any], expected: list[str]) -> None:
    """The header row must be ``expected``, in order, and nothing after it."""
    got = [str(_cell_value(h)) if h is not None else "" for h in header]
    while got and got[-1] == "":
        got.pop()
    for j, name in enumerate(expected):
        if j >= len(got) or got[j] != name:
            found = got[j] if j < len(got) else "nothing"
            raise InputError(
                f"{where}, row 1, column {_letter(j + 1)}: header {found!r} where {name!r} belongs; "
                f"the columns must stay {', '.join(expected)} in this order (do not rename, move or delete columns)"
            )
    if len(got) > len(expected):
        j = len(expected)
        raise InputError(
            f"{where}, row 1, column {_letter(j + 1)}: extra column {got[j]!r}; "
            f"remove it (the columns are {', '.join(expected)}; notes go in a separate sheet)"
        )


def _row_codes(where: str, r: int, cells: list[Any], themes: list[str]) -> list[int]:
    """The 0/1 codes of row ``r`` (its cells, the fixed columns first), one per theme."""
    vals = []
    for j, theme in enumerate(themes):
        col = len(FIXED) + j
        v = cells[col]
        if v is None or v == "":
            raise InputError(
                f"{where}, row {r}, column {_letter(col + 1)} ({theme}): blank; "
                "mark 1 if the unit is about this theme, 0 if not"
            )
        b = _as01(v)
        if b is None:
            raise InputError(
                f"{where}, row {r}, column {_letter(col + 1)} ({theme}): {v!r} is not 0 or 1; "
                "mark 1 if the unit is about this theme, 0 if not"
            )
        vals.append(b)
    return vals


def _check_sheet(
    where: str,
    header: list[Any],
    rows: list[list[Any]],
    themes: list[str],
    units: pd.DataFrame,
    first_row: int = 2,
) -> pd.DataFrame:
    """One coder's table checked against the sample; the codes as a DataFrame."""
    expected = FIXED + themes
    _check_header(where, header, expected)
    known = list(units["unit_id"])
    known_set = set(known)
    seen: dict[str, int] = {}
    codes: list[list[Any]] = []
    unknown: list[tuple[int, str]] = []
    for i, row in enumerate(rows):
        r = first_row + i
        cells = [_cell_value(v) for v in row] + [None] * (len(expected) - len(row))
        if all(v in (None, "") for v in cells):
            continue  # a blank line at the end is no unit
        if any(v not in (None, "") for v in cells[len(expected) :]):
            j = next(k for k, v in enumerate(cells) if k >= len(expected) and v not in (None, ""))
            raise InputError(
                f"{where}, row {r}, column {_letter(j + 1)}: a value {cells[j]!r} outside the table; "
                f"remove it (the columns are {', '.join(expected)})"
            )
        uid = "" if cells[0] is None else str(cells[0])
        if uid not in known_set:
            unknown.append((r, uid))
            continue
        if uid in seen:
            raise InputError(
                f"{where}, row {r}, column A: unit {uid!r} appears twice (rows {seen[uid]} and {r}); keep one row per unit"
            )
        seen[uid] = r
        codes.append([uid, *_row_codes(where, r, cells, themes)])
    missing = [u for u in known if u not in seen]
    if unknown and missing:
        r, uid = unknown[0]
        raise InputError(
            f"{where}: codes other units than the sample: {len(unknown)} unit(s) not in it "
            f"(first {uid!r} at row {r}) and {len(missing)} of its units absent (first {missing[0]!r}); "
            "every coder must code the units of the same sample (use the sheet written by validate sample)"
        )
    if unknown:
        r, uid = unknown[0]
        raise InputError(
            f"{where}, row {r}, column A: unit id {uid!r} is not in the sample; "
            "unit ids must stay as written (do not edit or add rows)"
        )
    if missing:
        raise InputError(
            f"{where}: unit {missing[0]!r} is missing ({len(missing)} of {len(known)} units absent); "
            "a row was deleted: restore it from the original workbook and code it"
        )
    out = pd.DataFrame(codes, columns=["unit_id", *themes]).set_index("unit_id")
    return out.loc[known]


def _read_csv(path: Path) -> tuple[list[Any], list[list[Any]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"coder file {str(path)!r}: cannot be read as UTF-8 CSV ({exc})") from None
    if not rows:
        raise InputError(f"coder file {str(path)!r}: empty; it needs the header {', '.join(FIXED)}, themes…")
    return list(rows[0]), [list(r) for r in rows[1:]]


def read_codes(path: str | Path, csvs: Sequence[str | Path] = ()) -> Codes:
    """Read and check a filled coding workbook (and CSVs of coders who worked elsewhere)."""
    from openpyxl import load_workbook

    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"coding workbook {str(path)!r} not found; give the .xlsx written by validate sample"
        )
    try:
        wb = load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is no workbook
        raise InputError(
            f"coding workbook {str(path)!r} cannot be opened as .xlsx ({type(exc).__name__}: {exc})"
        ) from None
    if HIDDEN not in wb.sheetnames:
        raise InputError(
            f"coding workbook {str(path)!r}: the hidden sheet {HIDDEN!r} is missing; "
            "it holds the sample's weights: use the workbook written by validate sample"
        )
    hidden = list(wb[HIDDEN].iter_rows(values_only=True))
    meta: dict[str, Any] = {}
    for row in hidden:
        if len(row) > META_COLUMN and row[META_COLUMN - 1] is not None:
            meta[str(row[META_COLUMN - 1])] = row[META_COLUMN]
    head = [str(v) for v in hidden[0][: len(HIDDEN_COLUMNS)]] if hidden else []
    if head != HIDDEN_COLUMNS or "coders" not in meta or "themes" not in meta:
        raise InputError(
            f"coding workbook {str(path)!r}: sheet {HIDDEN!r} was edited (header {head}); "
            "restore it from the original workbook"
        )
    units = pd.DataFrame(
        [list(r[: len(HIDDEN_COLUMNS)]) for r in hidden[1:] if r and r[0] is not None], columns=HIDDEN_COLUMNS
    )
    units["unit_id"] = units["unit_id"].astype(str)
    units["weight"] = units["weight"].astype(float)
    units["predicted"] = [sorted(t for t in str(p or "").split(",") if t) for p in units["predicted"]]
    themes = [t for t in str(meta["themes"]).split(",") if t]
    coders_meta = [c for c in str(meta["coders"]).split(",") if c]
    by_csv = {Path(p).stem: Path(p) for p in csvs}
    coders: dict[str, pd.DataFrame] = {}
    names = list(dict.fromkeys(coders_meta + list(by_csv)))
    for name in names:
        if name in by_csv:
            header, rows = _read_csv(by_csv[name])
            where = f"coder file {str(by_csv[name])!r}"
            coders[name] = _check_sheet(where, header, rows, themes, units)
            continue
        if name not in wb.sheetnames:
            others = [s for s in wb.sheetnames if s not in coders_meta and s not in (THEMES_SHEET, HIDDEN)]
            hint = (
                f" (found unexpected sheet(s) {', '.join(map(repr, others))}: was it renamed?)"
                if others
                else ""
            )
            raise InputError(
                f"coding workbook {str(path)!r}: sheet {name!r} is missing{hint}; "
                f"the coder sheets must keep their names {', '.join(coders_meta)} "
                f"(or give coder {name!r}'s codes as {name}.csv)"
            )
        ws = wb[name]
        all_rows = [list(r) for r in ws.iter_rows(values_only=True)]
        header = all_rows[0] if all_rows else []
        coders[name] = _check_sheet(f"sheet {name!r}", list(header), all_rows[1:], themes, units)
    return Codes(units=units, meta=meta, coders=coders, path=str(path))


def dump_meta(meta: dict[str, Any]) -> str:
    return json.dumps(meta, ensure_ascii=False, sort_keys=True)
