"""`govtext sql "SELECT …"`: query the store; print a table or export CSV/Parquet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from govtext.cli.common import library_errors


def register(app: typer.Typer) -> None:
    app.command("sql")(sql)


def sql(
    query: Annotated[
        str, typer.Argument(help='A query, e.g. "SELECT theme, count(*) FROM theme_hits GROUP BY 1".')
    ],
    store: Annotated[
        Path,
        typer.Option(
            "--store",
            help="The store to read (default: the default pipeline's, reports/default/govtext.duckdb).",
        ),
    ] = Path("reports") / "default" / "govtext.duckdb",
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the result to FILE.csv or FILE.parquet instead.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Rows to print (the export has them all).")] = 50,
) -> None:
    """Query the store (read-only): documents, tokens, hit_sets, theme_hits, runs, vocab."""
    from govtext.store import query_store

    with library_errors():
        frame = query_store(store, query, out=out)
    if out is not None:
        typer.echo(f"{len(frame)} rows → {out}")
        return
    import pandas as pd

    from govtext.normalize import printable

    with pd.option_context("display.max_columns", 50, "display.width", 200, "display.max_colwidth", 60):
        typer.echo(printable(frame.head(limit).to_string(index=False)))
    if len(frame) > limit:
        typer.echo(f"… {len(frame) - limit} more rows (--limit, or --out FILE.csv for all)", err=True)
