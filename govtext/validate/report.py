"""The validation figures as tables: CSV, Markdown and XLSX, with the errors to fix."""

from __future__ import annotations

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
    p = out / "validation.xlsx"
    with pd.ExcelWriter(p, engine="openpyxl") as xw:
        for name, df in tables.items():
            df.to_excel(xw, sheet_name=name, index=False)
        pd.DataFrame([{"key": k, "value": str(v)} for k, v in m.items()]).to_excel(
            xw, sheet_name="about", index=False
        )
    written.append(p)
    return written
