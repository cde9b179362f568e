"""`govtext compare PATH ... --by FIELD`: theme density by group, printed as a table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer


def register(app: typer.Typer) -> None:
    app.command("compare")(compare)


def compare(
    paths: list[Path] = typer.Argument(..., help="Files or folders to analyse."),
    by: str = typer.Option(
        ..., "--by", help="Metadata field to compare by (province, year, author, source, ...)."
    ),
    time_field: str = typer.Option("", "--time", help="Field for trends over time (adds the trend table)."),
    table: str = typer.Option(
        "theme_density",
        "--table",
        help="Table to print: theme_density, framework_balance, keyness, similarity, cooccurrence, trend, ...",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the table as JSON records instead."),
    where: list[str] = typer.Option(
        None, "--where", help="Compare only documents with field=value, e.g. genre=report (repeatable)."
    ),
    min_group_chars: int = typer.Option(
        None,
        "--min-group-chars",
        min=0,
        help="Flag groups smaller than this and leave them out of trends (default 1000).",
    ),
) -> None:
    """Compare governance themes between groups of documents (hits per 10,000 characters)."""
    from govtext.errors import GovtextError

    try:
        from govtext.cli.common import apply_compare_options
        from govtext.compare import compare_all, density_matrix
        from govtext.pipeline import analyze

        cfg = _config(table)
        apply_compare_options(cfg, where=where, min_group_chars=min_group_chars)
        result = analyze([str(p) for p in paths], by=by, time_field=time_field or "", config=cfg)
        tables = result.tables or compare_all(result)
        if table not in tables:
            raise GovtextError(f"no table {table!r} in this run; tables: {', '.join(tables)}")
    except GovtextError as exc:
        typer.echo(f"govtext: error: {exc}", err=True)
        raise typer.Exit(1) from None
    frame = tables[table]
    if as_json:
        from govtext.report.io import dumps_json

        typer.echo(dumps_json(frame.to_dict("records")), nl=False)
        return
    if table in ("theme_density", "trend"):
        shown = density_matrix(frame).reset_index().rename(columns={"group": by})
        title = f"Theme hits per 10,000 characters by {by}"
        _print(shown, title, value_format="density_per_10k")
    else:
        _print(frame, table)


def _config(table: str) -> Any:
    """The default pipeline, without the topic model unless a topic table is asked for."""
    from govtext.pipeline import default_pipeline

    cfg = default_pipeline()
    if not table.startswith("topic"):
        cfg.topics.enabled = False  # seconds of fitting that no other table needs
    return cfg


def _print(frame: Any, title: str, max_rows: int = 60, value_format: str | None = None) -> None:
    from pandas.api.types import is_numeric_dtype
    from rich.console import Console
    from rich.table import Table

    from govtext.report.render import fmt

    t = Table(title=title, show_lines=False)
    for i, col in enumerate(frame.columns):
        numeric = i > 0 and is_numeric_dtype(frame[col])
        t.add_column(str(col), justify="right" if numeric else "left")
    for row in frame.head(max_rows).itertuples(index=False):
        t.add_row(
            *(
                fmt(v, value_format or str(c)) if i else str(v)
                for i, (v, c) in enumerate(zip(row, frame.columns, strict=True))
            )
        )
    console = Console()
    if not console.is_terminal:
        console = Console(width=max(console.width, 240))  # piped output: no wrapping of a wide table
    console.print(t)
    if len(frame) > max_rows:
        console.print(f"({max_rows} of {len(frame)} rows; use --json for all)")
