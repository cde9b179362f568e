"""`govtext report PATH ... --by FIELD`: analyse and write the comparative report."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Annotated

import typer

from govtext.cli.common import (
    DictionaryOption,
    ExtraOption,
    MinGroupCharsOption,
    TextColumnOption,
    WhereOption,
    library_errors,
    with_flags,
)

# The report settings only this command has an option for (``cli.common.with_flags``).
OPTIONS = {"font": "--font"}


def register(app: typer.Typer) -> None:
    app.command("report")(report)


def report(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to analyse.")],
    by: Annotated[
        str, typer.Option("--by", help="Metadata field to compare by (province, year, author, source, ...).")
    ],
    time_field: Annotated[
        str, typer.Option("--time", help="Field for trend lines over time, e.g. year.")
    ] = "",
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Output folder (default: reports/<first path's name>/)."),
    ] = None,
    formats: Annotated[
        str, typer.Option("--format", help="Comma-separated: html, md, csv, json, xlsx, figures.")
    ] = "html,md,csv,json,xlsx,figures",
    font: Annotated[
        str | None, typer.Option("--font", help="CJK font family or font file for the figures.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the path of the report.")] = False,
    dictionary: DictionaryOption = None,
    extra: ExtraOption = None,
    text_column: TextColumnOption = None,
    where: WhereOption = None,
    min_group_chars: MinGroupCharsOption = None,
    validation: Annotated[
        Path | None,
        typer.Option(
            "--validation",
            help="scores.json of `govtext validate score`: its figures as a section of the page.",
        ),
    ] = None,
) -> None:
    """Write the report: offline HTML, Markdown, CSV, Excel, run.json and figures."""

    started = time.perf_counter()
    with library_errors("report", OPTIONS):
        from govtext.paths import check_output_dir
        from govtext.pipeline import analyze
        from govtext.report import _formats, write_report

        fmts = _formats(formats)  # a bad format fails before the analysis, not after it
        out_dir = check_output_dir(out or Path("reports") / _slug(paths[0]))
        from govtext.cli.common import apply_compare_options, apply_input_options
        from govtext.config import default_pipeline

        cfg = default_pipeline()
        apply_compare_options(cfg, where=where, min_group_chars=min_group_chars)
        apply_input_options(cfg, dictionary=dictionary, extra=extra, text_column=text_column)
        result = analyze([str(p) for p in paths], by=by, time_field=time_field or "", config=cfg)
        sections: list[str] = []
        if validation is not None:
            from govtext.validate.report import html_section

            sections.append(html_section(validation))
        files = write_report(
            result, out_dir, formats=fmts, font=font, title=_slug(paths[0]), extra_html=sections
        )
    main = files.get("html") or files.get("md") or out_dir
    if quiet:
        typer.echo(str(main))
        return
    for w in files.warnings:
        typer.echo(f"govtext: warning: {with_flags(w, OPTIONS)}", err=True)
    typer.echo(
        f"{len(result.documents)} documents, {len(result.hits)} theme hits, "
        f"{result.documents[by].nunique() if by in result.documents else 0} groups by {by}; "
        f"{len(files)} files written to {out_dir} in {time.perf_counter() - started:.1f} s"
    )
    typer.echo(f"Report: {main}")


def _slug(path: Path) -> str:
    name = path.resolve().name if str(path) not in ("", ".") else "report"
    return re.sub(r"[^\w.-]+", "-", Path(name).stem).strip("-") or "report"
