"""`govtext compare PATH ... --by FIELD`: theme density by group, printed as a table."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from govtext.cli.common import (
    DictionaryOption,
    ExtraOption,
    MinGroupCharsOption,
    TextColumnOption,
    WhereOption,
    library_errors,
)


def register(app: typer.Typer) -> None:
    app.command("compare")(compare)


def compare(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to analyse.")],
    by: Annotated[
        str, typer.Option("--by", help="Metadata field to compare by (province, year, author, source, ...).")
    ],
    time_field: Annotated[
        str, typer.Option("--time", help="Field for trends over time (adds the trend table).")
    ] = "",
    table: Annotated[
        str,
        typer.Option(
            "--table",
            help="Table to print: theme_density, framework_balance, keyness, similarity, cooccurrence, trend, ...",
        ),
    ] = "theme_density",
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="table (for people), json (records) or csv.")
    ] = "table",
    as_json: Annotated[bool, typer.Option("--json", help="The same as --format json.")] = False,
    dictionary: DictionaryOption = None,
    extra: ExtraOption = None,
    text_column: TextColumnOption = None,
    where: WhereOption = None,
    min_group_chars: MinGroupCharsOption = None,
) -> None:
    """Compare governance themes between groups of documents (hits per 10,000 characters)."""
    from govtext.errors import GovtextError

    with library_errors("compare"):
        from govtext.cli.common import apply_compare_options, apply_input_options

        if fmt not in ("table", "json", "csv"):
            raise GovtextError(f"--format must be table, json or csv; got {fmt!r}")
        from govtext.compare import compare_all, density_matrix
        from govtext.pipeline import analyze

        cfg = _config(table)
        apply_compare_options(cfg, where=where, min_group_chars=min_group_chars)
        apply_input_options(cfg, dictionary=dictionary, extra=extra, text_column=text_column)
        result = analyze([str(p) for p in paths], by=by, time_field=time_field or "", config=cfg)
        tables = result.tables or compare_all(result)
        if table not in tables:
            raise GovtextError(f"no table {table!r} in this run; tables: {', '.join(tables)}")
    frame = tables[table]
    if fmt == "csv":
        import sys

        frame.to_csv(sys.stdout, index=False)
        return
    if as_json or fmt == "json":
        from govtext.report.io import dumps_json

        typer.echo(dumps_json(frame.to_dict("records")), nl=False)
        return
    if table in ("theme_density", "trend"):
        shown = density_matrix(frame).reset_index()
        title = f"Theme hits per 10,000 characters by {by}"
        _print(shown, title, value_format="density_per_10k")
    else:
        _print(frame, table)


def _config(table: str) -> Any:
    """The default pipeline, without the topic model unless a topic table is asked for."""
    from govtext.config import default_pipeline

    cfg = default_pipeline()
    if not table.startswith("topic"):
        cfg.topics.enabled = False  # seconds of fitting that no other table needs
    return cfg


def _print(frame: Any, title: str, max_rows: int = 60, value_format: str | None = None) -> None:
    from pandas.api.types import is_numeric_dtype
    from rich import box
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table

    from govtext.compare import group_text
    from govtext.report.render import fmt

    shown = frame.head(max_rows)
    cols = [str(c) for c in frame.columns]
    cells = [
        [
            fmt(v, value_format or str(c)) if i else group_text([v])[0]
            for i, (v, c) in enumerate(zip(row, frame.columns, strict=True))
        ]
        for row in shown.itertuples(index=False)
    ]
    numeric = [i > 0 and is_numeric_dtype(frame[c]) for i, c in enumerate(frame.columns)]
    widths = [max([cell_len(cols[i]), *(cell_len(r[i]) for r in cells)]) + 2 for i in range(len(cols))]
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(width=max(console.width, 240))  # piped output: no wrapping of a wide table
    # A table wider than the terminal is printed in column blocks, each repeating the
    # first column, as pandas does: no cell cut to "…", no column dropped.
    blocks: list[list[int]] = [[]]
    used = widths[0] + 2
    for i in range(1, len(cols)):
        if blocks[-1] and used + widths[i] > console.width:
            blocks.append([])
            used = widths[0] + 2
        blocks[-1].append(i)
        used += widths[i]
    for k, block in enumerate(blocks):
        t = Table(title=title if k == 0 else None, box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False)
        for i in [0, *block]:
            t.add_column(cols[i], justify="right" if numeric[i] else "left", no_wrap=True)
        for r in cells:
            t.add_row(*(r[i] for i in [0, *block]))
        console.print(t)
    if len(frame) > max_rows:
        console.print(f"({max_rows} of {len(frame)} rows; use --json for all)")
