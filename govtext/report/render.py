"""Turning tables into what the HTML and Markdown show: pivots, formatted cells, colours.

Nothing here computes a statistic; it arranges the ``compare`` tables for reading.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from govtext.report.evidence import doc_anchor, highlight, markdown_highlight

if TYPE_CHECKING:
    import pandas as pd

# Column headers the report shows for the columns of the compare tables.
LABELS = {
    "n_docs": "documents",
    "chars": "characters",
    "density_per_10k": "per 10k chars",
    "ci_low": "95% CI low",
    "ci_high": "95% CI high",
    "docs_with_theme": "docs with theme",
    "share_docs": "share of docs",
    "share_ci_low": "share CI low",
    "share_ci_high": "share CI high",
    "framework_hits": "framework hits",
    "G2": "G²",
    "p_adj": "p (adjusted)",
    "log_ratio": "log ratio",
    "count_target": "count in group",
    "count_reference": "count in rest",
    "per_10k_target": "per 10k (group)",
    "per_10k_reference": "per 10k (rest)",
}
_PERCENT = {"share", "share_docs", "share_ci_low", "share_ci_high"}
_PVALUE = {"p", "p_adj"}


def fmt(value: Any, column: str = "") -> str:
    """A cell as text: percentages for shares, two decimals for rates, p-values in g-format."""
    kind = type(value)
    if kind is str:  # most cells: nothing to format
        return value
    if kind is int:
        return str(value)
    if value is None or kind.__name__ == "NAType":  # pandas NA, without importing pandas
        return "–"
    if isinstance(value, float) and math.isnan(value):
        return "–"
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if column in _PERCENT or (column.startswith("share") and abs(value) <= 1):
            return f"{value * 100:.1f}%"
        if column in _PVALUE:
            return "<1e-300" if value == 0 else f"{value:.2g}"
        if value.is_integer() and abs(value) < 1e15 and column not in LABELS:
            return str(int(value))
        return f"{value:.2f}" if abs(value) >= 0.01 or value == 0 else f"{value:.2g}"
    if isinstance(value, (list, tuple)):
        return "、".join(map(str, value))
    return str(value)


@dataclass
class Table:
    """A table ready to show: headers and rows of text, plus optional cell colours."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[str]]
    styles: list[list[str]] = field(default_factory=list)
    note: str = ""
    total_rows: int = 0
    spans: list[tuple[str, int]] = field(default_factory=list)
    text_columns: list[bool] = field(default_factory=list)  # left-aligned, wrapping columns
    tips: list[list[str]] = field(default_factory=list)  # hover text per cell, parallel to rows

    def markdown(self) -> str:
        cell = md_escape

        lines = ["| " + " | ".join(cell(c) for c in self.columns) + " |"]
        lines.append("|" + "|".join("---" for _ in self.columns) + "|")
        lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in self.rows]
        if self.total_rows > len(self.rows):
            lines.append(f"\n({len(self.rows)} of {self.total_rows} rows; all are in the CSV file.)")
        return "\n".join(lines)


# One pass over the text (str.translate): every cell of report.md goes through it.
_MD_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": " ", "\n": " ", **{c: "\\" + c for c in "\\`*_[]|#{}"}}
)


def md_escape(text: object) -> str:
    """Text safe inside Markdown (and inside a Markdown table cell): no HTML, no pipes."""
    return str(text).translate(_MD_ESCAPES)


def md_code(text: object) -> str:
    """``text`` as a Markdown code span, shown literally: backslash escapes do not work
    inside code spans (``a\\_b`` would show its backslash), so the fence is made longer
    than any run of backticks in the text instead.

    >>> md_code("r_1"), md_code("a`b")
    ('`r_1`', '``a`b``')
    """
    s = str(text).replace("\r", " ").replace("\n", " ")
    if re.search(r"[<>&]", s):
        # Markup-like text stays escaped text: a viewer that renders HTML in Markdown must
        # never meet a raw tag, even in a code span.
        return md_escape(s)
    longest = max((len(m) for m in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def table_from_frame(
    key: str, title: str, frame: pd.DataFrame, *, max_rows: int = 2000, note: str = ""
) -> Table:
    from pandas.api.types import is_numeric_dtype

    shown = frame.head(max_rows)
    cols = [str(c) for c in shown.columns]
    rows = [[fmt(v, c) for v, c in zip(r, cols, strict=True)] for r in shown.itertuples(index=False)]
    text = [not is_numeric_dtype(shown[c]) for c in shown.columns]
    return Table(
        key,
        title,
        [LABELS.get(c, c) for c in cols],
        rows,
        note=note,
        total_rows=len(frame),
        text_columns=text,
    )


def _colour(t: float) -> tuple[str, str]:
    """Background and text colour for an intensity in [0, 1] (white → deep blue)."""
    t = 0.0 if math.isnan(t) else min(max(t, 0.0), 1.0)
    lo, hi = (247, 251, 255), (8, 69, 148)
    r, g, b = (round(lo[i] + (hi[i] - lo[i]) * t) for i in range(3))
    return f"#{r:02x}{g:02x}{b:02x}", "#ffffff" if t > 0.55 else "#1a1a1a"


def heat_table(
    key: str,
    title: str,
    frame: pd.DataFrame,
    *,
    row: str,
    col: str,
    value: str,
    col_order: list[str],
    row_order: list[str],
    per_column: bool = True,
    percent: bool = False,
    note: str = "",
    corner: str = "",
    spans: list[tuple[str, int]] | None = None,
    skip_diagonal: bool = False,
    tip: str | None = None,
) -> Table:
    """A pivot with cells coloured by value (scaled per column when ``per_column``).

    ``skip_diagonal``: a square matrix whose diagonal (a group with itself) is left grey
    and out of the colour scale, so the scale shows the differences between groups.
    """
    pivot = frame.pivot_table(index=row, columns=col, values=value, aggfunc="first", sort=False)
    pivot = pivot.reindex(index=row_order, columns=col_order)
    shown = pivot.copy()
    tip_at = frame.drop_duplicates([row, col]).set_index([row, col])[tip].to_dict() if tip is not None else {}
    if skip_diagonal:
        for r in row_order:
            if r in pivot.columns:
                pivot.at[r, r] = float("nan")
    if per_column:
        scale = pivot.max(axis=0).replace(0, float("nan"))
        norm = pivot / scale
    elif skip_diagonal:
        # Between-group similarities sit in a narrow band; stretch it from least to most.
        lo, hi = pivot.min().min(), pivot.max().max()
        norm = (pivot - lo) / (hi - lo) if hi > lo else pivot * 0.0
    else:
        top = pivot.max().max()
        norm = pivot / top if top and not math.isnan(top) else pivot * float("nan")
    rows, styles, tips = [], [], []
    for r in row_order:
        cells, st = [str(r)], [""]
        tips.append(["", *(str(tip_at.get((r, c), "")) for c in col_order)])
        for c in col_order:
            v = float(shown.at[r, c])
            cells.append("–" if math.isnan(v) else (f"{v * 100:.1f}%" if percent else f"{v:.2f}"))
            if skip_diagonal and r == c:
                st.append("background:#e6e9ed;color:#5b6470")
                continue
            bg, fg = _colour(float(norm.at[r, c]))
            st.append(f"background:{bg};color:{fg}")
        rows.append(cells)
        styles.append(st)
    return Table(
        key,
        title,
        [corner or row, *map(str, col_order)],
        rows,
        styles,
        note,
        len(rows),
        spans or [],
        tips=tips if tip is not None else [],
    )


@dataclass
class EvidenceItem:
    group: str
    doc_id: str
    anchor: str
    title: str
    html: Markup
    markdown: str
    terms: str


@dataclass
class EvidenceTheme:
    theme: str
    name: str
    framework_name: str
    n_items: int
    groups: list[tuple[str, list[EvidenceItem]]]


def evidence_sections(
    evidence: pd.DataFrame, themes: pd.DataFrame, group_order: list[str], titles: Mapping[str, str]
) -> list[EvidenceTheme]:
    out = []
    cells = {
        key: frame.sort_values("rank") for key, frame in evidence.groupby(["theme", "group"], sort=False)
    }
    for t in themes.itertuples(index=False):
        groups = []
        n_items = 0
        for g in group_order:
            cell = cells.get((t.theme, g))
            if cell is None:
                continue
            items = [
                EvidenceItem(
                    group=g,
                    doc_id=str(e.doc_id),
                    anchor=doc_anchor(str(e.doc_id)),
                    title=titles.get(str(e.doc_id), "") or str(e.doc_id),
                    html=highlight(e.excerpt, e.spans),
                    markdown=markdown_highlight(e.excerpt, e.spans),
                    terms=e.terms,
                )
                for e in cell.itertuples(index=False)
            ]
            n_items += len(items)
            groups.append((g, items))
        out.append(
            EvidenceTheme(str(t.theme), str(t.name), str(getattr(t, "framework_name", "")), n_items, groups)
        )
    return out
