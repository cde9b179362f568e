"""`govtext kwic TERM|THEME PATH ...`: keyword in context with each occurrence's rule status."""

from __future__ import annotations

import sys
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from govtext.cli.common import library_errors

if TYPE_CHECKING:
    from govtext.concordance import KwicLine


class KwicFormat(StrEnum):
    table = "table"
    csv = "csv"


def register(app: typer.Typer) -> None:
    app.command("kwic")(kwic)


def kwic(
    query: Annotated[
        str, typer.Argument(help="A term (自治), a theme id (self_governance) or theme:NAME (theme:自治).")
    ],
    paths: Annotated[
        list[str], typer.Argument(help="Files, folders, a .jsonl of {id, text} lines, or - for stdin.")
    ],
    fmt: Annotated[
        KwicFormat, typer.Option("--format", "-f", help="table, or csv (UTF-8 with BOM, for Excel).")
    ] = KwicFormat.table,
    width: Annotated[
        int, typer.Option("--width", "-w", min=1, help="Characters of context on each side.")
    ] = 20,
    dictionary: Annotated[
        Path | None,
        typer.Option("--dictionary", "-d", help="Theme dictionary TOML (default: the shipped one)."),
    ] = None,
    extra: Annotated[
        list[Path] | None, typer.Option("--extra", help="Extra dictionary files (repeatable).")
    ] = None,
    text_column: Annotated[
        str | None, typer.Option("--text-column", help="Column holding the text in CSV/XLSX/JSON files.")
    ] = None,
    status: Annotated[
        str | None,
        typer.Option("--status", help="Only lines with this status: counted, vetoed, subsumed, 'no rule'."),
    ] = None,
) -> None:
    """Show every occurrence in context, and whether a rule counted it or an exclusion vetoed it."""
    from govtext.cli.common import InputReport
    from govtext.concordance import kwic as run_kwic
    from govtext.concordance import kwic_csv
    from govtext.inputs import read_inputs
    from govtext.themes import Matcher, load_dictionary
    from govtext.themes.tagging import display_width, pad

    statuses = ("counted", "vetoed", "subsumed", "no rule")
    if status is not None and status not in statuses:
        typer.echo(
            f"govtext: error: --status must be one of {', '.join(statuses)}; got {status!r}.", err=True
        )
        raise typer.Exit(2)
    report = InputReport("kwic")
    with library_errors("kwic"):
        matcher = Matcher(dictionary=load_dictionary(dictionary, extra=extra or ())).fit()
        lines = [
            k
            for k in run_kwic(
                report.count(read_inputs(paths, report, text_column=text_column)), query, matcher, width=width
            )
            if status is None or k.status == status
        ]
    if fmt is KwicFormat.csv:
        sys.stdout.write(kwic_csv(lines))
        report.finish()
        return
    if not lines:
        typer.echo(f"no occurrence of {query!r}", err=True)
        report.finish()
        return
    lines = [_terminal_safe(k) for k in lines]
    w_left = max(display_width(k.left) for k in lines)
    for k in lines:
        left = " " * (w_left - display_width(k.left)) + k.left
        verdict = (
            k.status
            + (f" {','.join(k.themes)}" if k.themes and k.status == "counted" else "")
            + (f" [{k.reason}]" if k.reason else "")
        )
        typer.echo(
            f"{pad(k.doc_id, 12)} {k.sentence_index:>4}  {left} 【{k.match}】 {pad(k.right, width * 2)}  {verdict}"
        )
    counted = sum(k.status == "counted" for k in lines)
    typer.echo(f"{len(lines)} occurrences: {counted} counted, {len(lines) - counted} not counted", err=True)
    report.finish()


def _terminal_safe(line: KwicLine) -> KwicLine:
    """Document text is data: no escape sequences, control or bidi characters reach the terminal."""
    from govtext.normalize import printable

    return replace(
        line,
        doc_id=printable(line.doc_id),
        left=printable(line.left),
        match=printable(line.match),
        right=printable(line.right),
    )
