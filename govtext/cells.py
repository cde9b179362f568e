"""Cells a spreadsheet opens as text, never as a formula.

Every CSV and workbook govtext writes (report tables, kwic lines, the store's exports,
editors' judgements) passes its text cells through here: a cell that starts like a
formula (``=SUM(A1)``, ``+``, ``-``, ``@``, a tab or carriage return) is prefixed with an
apostrophe, so Excel and LibreOffice show it instead of running it (CSV injection). On
the ground floor of the package, so that the store and kwic need not reach up into the
report to write a safe file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

# A cell starting with one of these is a formula to Excel and LibreOffice.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe.

    Numbers are left alone (a negative log ratio stays a number).
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with formula-like text cells (and column names) neutralised."""
    import pandas as pd
    from pandas.api.types import is_object_dtype, is_string_dtype

    out = frame.copy(deep=False)  # copy-on-write: a column replaced below is not frame's
    out.columns = [neutralise(str(c)) for c in out.columns]
    for col in out.columns:
        column = out[col]
        if isinstance(column.dtype, pd.StringDtype):
            # Text columns rarely hold a formula: one vectorised look (issue 20: mapping
            # every cell was ~0.37 s of a report on ../shared/corpus); mapped as before
            # only when one does (or none is text: mapping makes that column numeric), so
            # the column's dtype and values are those of mapping every cell.
            if column.str.startswith(_FORMULA_START).any() or column.isna().all():
                out[col] = column.map(neutralise)
        elif is_object_dtype(column) or is_string_dtype(column):
            out[col] = column.map(neutralise)
    return out
