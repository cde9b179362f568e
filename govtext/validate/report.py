"""The validation figures as tables: CSV, Markdown and XLSX, with the errors to fix, and
an HTML section (``validation.html``) for the HTML report to include."""

from __future__ import annotations

from html import escape
from pathlib import Path

import pandas as pd

from govtext.validate.score import Scores


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return "" if v != v else f"{v:.3f}"
    return str(v).replace("|", "\\|").replace("\n", " ")


def markdown_table(df: pd.DataFrame) -> str:
    head = "| " + " | ".join(df.columns) + " |"
    rule = "|" + "|".join("---" for _ in df.columns) + "|"
    body = ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def _html_table(df: pd.DataFrame) -> str:
    head = "".join(f'<th scope="col">{escape(str(c))}</th>' for c in df.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_fmt(v))}</td>" for v in row) + "</tr>"
        for row in df.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html_section(scores: Scores | str | Path, max_errors: int = 50) -> str:
    """The figures as one HTML ``<section id="validation">`` (every value escaped), for
    the HTML report to include: scores with intervals, agreement, the first errors."""
    s = scores if isinstance(scores, Scores) else Scores.load(scores)
    m = s.meta
    cols = ["theme", "name", "precision", "precision_low", "precision_high", "recall", "recall_low",
            "recall_high", "f1", "f1_low", "f1_high"]  # fmt: skip
    errors = s.errors[["theme", "kind", "terms", "sentence"]].head(max_errors) if len(s.errors) else s.errors
    return "\n".join(
        [
            '<section id="validation">',
            "<h2>Validation</h2>",
            f'<p class="note">{escape(str(m.get("units")))} {escape(str(m.get("unit")))}s coded by '
            f"{escape(', '.join(m.get('coders', [])))}; gold: {escape(str(m.get('gold')))}; dictionary "
            f"{escape(str(m.get('dictionary_hash')))} (sample drawn with {escape(str(m.get('sample_dictionary_hash')))}); "
            "95% bootstrap intervals, counts weighted by the sampling weights.</p>",
            _html_table(s.scores[[c for c in cols if c in s.scores]]),
            "<h3>Agreement between coders</h3>",
            _html_table(s.agreement),
            f"<h3>False positives and negatives (first {max_errors})</h3>",
            _html_table(errors) if len(errors) else "<p>None.</p>",
            "</section>",
        ]
    )


def write_report(scores: Scores | str | Path, out: str | Path) -> list[Path]:
    """Write scores, agreement and errors to ``out`` as CSV, one Markdown file and one XLSX."""
    s = scores if isinstance(scores, Scores) else Scores.load(scores)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    tables = {"scores": s.scores, "agreement": s.agreement, "errors": s.errors}
    for name, df in tables.items():
        p = out / f"{name}.csv"
        df.to_csv(p, index=False, encoding="utf-8")
        written.append(p)
    m = s.meta
    lines = [
        "# Validation",
        "",
        f"- units coded: {m.get('units')} ({m.get('unit')}s), coders: {', '.join(m.get('coders', []))}, gold: {m.get('gold')}",
        f"- dictionary scored: {m.get('dictionary_hash')} (sample drawn with {m.get('sample_dictionary_hash')})",
        f"- 95% intervals: bootstrap over units within strata, {m.get('bootstrap')} resamples, "
        "counts weighted by the sampling weights",
        "",
        "## Scores",
        "",
        markdown_table(s.scores),
        "",
        "## Agreement between coders",
        "",
        markdown_table(s.agreement),
        "",
        "## False positives and false negatives",
        "",
        markdown_table(s.errors) if len(s.errors) else "None.",
        "",
    ]
    p = out / "validation.md"
    p.write_text("\n".join(lines), encoding="utf-8")
    written.append(p)
    p = out / "validation.html"
    p.write_text(html_section(s), encoding="utf-8")
    written.append(p)
    p = out / "validation.xlsx"
    with pd.ExcelWriter(p, engine="openpyxl") as xw:
        for name, df in tables.items():
            df.to_excel(xw, sheet_name=name, index=False)
        pd.DataFrame([{"key": k, "value": str(v)} for k, v in m.items()]).to_excel(
            xw, sheet_name="about", index=False
        )
    written.append(p)
    return written
