"""`govtext run [PIPELINE] [PATH ...]`: the main job."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from govtext.cli.common import (
    DictionaryOption,
    ExtraOption,
    MinGroupCharsOption,
    OutputFormat,
    TextColumnOption,
    WhereOption,
    apply_compare_options,
    apply_engine_options,
    apply_input_options,
    library_errors,
    stage_printer,
    with_flags,
)
from govtext.normalize import printable

if TYPE_CHECKING:
    from govtext.pipeline import RunOutcome


def register(app: typer.Typer) -> None:
    app.command("run")(run)


# long: eighteen options, each an Annotated declaration; the body is thirty lines
def run(
    args: Annotated[
        list[str] | None,
        typer.Argument(help="A pipeline .toml file, then files or folders (default: the pipeline's paths)."),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Metadata field to compare by (source, author, year, province, ...)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output folder (default: reports/<pipeline name>/).")
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress or summary; print only the report folder.")
    ] = False,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="The run summary as a table (for people) or JSON.")
    ] = OutputFormat.table,
    as_json: Annotated[bool, typer.Option("--json", help="The same as --format json.")] = False,
    dictionary: DictionaryOption = None,
    extra: ExtraOption = None,
    text_column: TextColumnOption = None,
    engine: Annotated[
        str | None,
        typer.Option("--engine", help="Where segmentation and matching run: local (processes) or dask."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Worker processes (default: every core).")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler", help="Dask scheduler address (tcp://host:8786); none starts a LocalCluster."
        ),
    ] = None,
    where: WhereOption = None,
    min_group_chars: MinGroupCharsOption = None,
    refit: Annotated[
        bool,
        typer.Option(
            "--refit",
            help="Fit the topic model afresh even if the store holds one fitted from the same inputs.",
        ),
    ] = False,
    store: Annotated[
        Path | None,
        typer.Option(
            "--store",
            help="The DuckDB store to re-use and fill (default: govtext.duckdb in the output folder).",
        ),
    ] = None,
) -> None:
    """Ingest, segment, tag themes, fit topics, compare groups and write the report."""
    from govtext.config import default_pipeline, load_pipeline
    from govtext.pipeline import run_pipeline

    args = list(args or [])
    as_json = as_json or fmt is OutputFormat.json
    with library_errors():
        if args and args[0].endswith(".toml"):
            cfg = load_pipeline(args.pop(0))
        else:
            cfg = default_pipeline()
        apply_engine_options(cfg, engine=engine, workers=workers, scheduler=scheduler)
        apply_compare_options(cfg, where=where, min_group_chars=min_group_chars)
        apply_input_options(cfg, dictionary=dictionary, extra=extra, text_column=text_column)
        cfg.topics.refit = cfg.topics.refit or refit
        if out is not None:
            from govtext.paths import check_output_dir

            check_output_dir(out)
        outcome = run_pipeline(
            cfg,
            args or None,
            by=by,
            out=out,
            progress=stage_printer(quiet or as_json),
            store=store,
            show_progress=not (quiet or as_json),
        )
    summary = outcome_summary(outcome)
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    elif quiet:
        typer.echo(str(outcome.out_dir))
    else:
        print_summary(summary)


def outcome_summary(outcome: RunOutcome) -> dict[str, Any]:
    """The few facts a user wants after a run: files, documents, top themes per group, where."""
    result = outcome.result
    status = result.corpus.manifest()["status"]
    files = {s: int((status == s).sum()) for s in ("read", "skipped", "failed")}
    density = result.tables.get("theme_density")
    top: dict[str, list[dict[str, object]]] = {}
    if density is not None and len(density):
        from govtext.compare import group_text

        found = density[density["hits"] > 0]
        labels = group_text(found[result.by])  # NA (no value) as its label, years as text
        for group, rows in found.groupby(labels, sort=True):
            best = rows.sort_values(["density_per_10k", "theme"], ascending=[False, True]).head(3)
            top[str(group)] = [
                {"theme": r.theme, "name": r.name, "density_per_10k": round(float(r.density_per_10k), 2)}
                for r in best.itertuples()
            ]
    index = outcome.files.get("html")
    return {
        "pipeline": result.name,
        "by": result.by,
        "files": files,
        "documents": len(result.corpus),
        "hits": len(result.hits),
        "top_themes": top,
        "out_dir": str(outcome.out_dir),
        "report": str(index) if index else None,
        "warnings": list(result.settings.get("warnings", [])),
    }


def print_summary(summary: dict[str, Any]) -> None:
    files = summary["files"]
    typer.echo(
        f"Read {summary['documents']:,} documents (files: {files['read']} read, {files['skipped']} skipped, "
        f"{files['failed']} failed); {summary['hits']:,} theme hits."
    )
    typer.echo(f"Top themes by {summary['by']} (hits per 10,000 characters):")
    # Group labels come from document metadata: strip control and bidi characters.
    for group, themes in summary["top_themes"].items():
        shown = "  ".join(f"{printable(t['name'])} {t['density_per_10k']:.1f}" for t in themes) or "—"
        typer.echo(f"  {printable(group)}: {shown}")
    for warning in summary["warnings"]:
        text = printable(with_flags(warning))
        short = text if len(text) <= 160 else text[:159] + "… (in full in run.json)"
        typer.echo(f"warning: {short}", err=True)
    typer.echo(f"Report: {summary['report'] or summary['out_dir']}")
