"""``govtext ingest PATH ...``: what was read, skipped and failed, and why."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from govtext.cli.common import OutputFormat, library_errors, with_flags
from govtext.ingest.core import DEFAULT_EXTRACT_TIMEOUT, DEFAULT_MAX_DEPTH, DEFAULT_MAX_DOC_CHARS

# The ingest settings only this command has an option for (``cli.common.with_flags``);
# elsewhere they are set in the pipeline file's [ingest] table.
OPTIONS = {
    "encoding": "--encoding",
    "path_pattern": "--path-pattern",
    "max_file_size": "--max-file-size",
    "max_doc_chars": "--max-doc-chars",
    "extract_timeout": "--extract-timeout",
    "max_depth": "--max-depth",
}


def register(app: typer.Typer) -> None:
    """Add the ``ingest`` command to ``app``."""
    app.command("ingest")(ingest)


def ingest(
    paths: Annotated[list[str], typer.Argument(help="Files or folders to read ('-' reads standard input).")],
    fmt: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", help="table (for people) or json (one object: files and documents)."),
    ] = OutputFormat.table,
    as_json: Annotated[bool, typer.Option("--json", help="The same as --format json.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    with_text: Annotated[
        bool, typer.Option("--with-text", help="With --json: include each document's text.")
    ] = False,
    text_column: Annotated[
        str | None, typer.Option("--text-column", help="Column holding the text in CSV/TSV/XLSX/JSON files.")
    ] = None,
    path_pattern: Annotated[
        str | None, typer.Option("--path-pattern", help="Metadata from paths, e.g. '{province}/{year}.txt'.")
    ] = None,
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="Force a text encoding, e.g. gb18030.")
    ] = None,
    recursive: Annotated[bool, typer.Option("--recursive/--no-recursive", help="Read sub-folders.")] = True,
    max_size_mb: Annotated[
        float, typer.Option("--max-file-size", help="Skip files larger than this (MB).")
    ] = 200.0,
    max_doc_chars: Annotated[
        int,
        typer.Option("--max-doc-chars", help="Leave out documents longer than this (characters)."),
    ] = DEFAULT_MAX_DOC_CHARS,
    extract_timeout: Annotated[
        float,
        typer.Option("--extract-timeout", help="Fail a file whose extraction takes longer (seconds)."),
    ] = DEFAULT_EXTRACT_TIMEOUT,
    max_depth: Annotated[
        int,
        typer.Option(
            "--max-depth", min=0, help="Folder levels to read below a named folder; deeper ones are reported."
        ),
    ] = DEFAULT_MAX_DEPTH,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Exit with status 1 if any file is skipped, failed or decoded lossily."
        ),
    ] = False,
) -> None:
    """Read files into documents and show what happened to every file."""
    as_json = as_json or fmt is OutputFormat.json
    from govtext.ingest import read_corpus
    from govtext.ingest.summary import corpus_json, problems

    with library_errors("ingest", OPTIONS):
        corpus = read_corpus(
            paths,
            text_column=text_column,
            path_pattern=path_pattern,
            encoding=encoding,
            recursive=recursive,
            progress=not (as_json or quiet) and sys.stderr.isatty(),
            max_file_size=int(max_size_mb * 1024 * 1024),
            max_doc_chars=max_doc_chars,
            extract_timeout=extract_timeout,
            max_depth=max_depth,
        )
    if as_json:
        typer.echo(json.dumps(corpus_json(corpus, with_text=with_text), ensure_ascii=False, indent=1))
    else:
        _print_table(corpus)
    if not corpus.documents:
        # Nothing to analyse is an error for scripts too, whatever --strict says.
        typer.echo(
            "govtext ingest: error: no document was read; the manifest above says why for each file.",
            err=True,
        )
        raise typer.Exit(1)
    bad = problems(corpus)
    if strict and bad:
        typer.echo(
            f"govtext ingest: --strict: {len(bad)} file(s) not read cleanly (first: {bad[0].path})", err=True
        )
        raise typer.Exit(1)


def _print_table(corpus: object) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from govtext.documents import Corpus
    from govtext.ingest.summary import counts
    from govtext.normalize import printable

    assert isinstance(corpus, Corpus)
    colour = {"read": "green", "skipped": "yellow", "failed": "red"}
    table = Table(title="ingest manifest", show_lines=False)
    table.add_column("file", overflow="fold", ratio=2)
    table.add_column("status")
    table.add_column("docs", justify="right")
    table.add_column("encoding")
    table.add_column("reason", overflow="fold", ratio=3)
    for f in corpus.files:
        # File names and reasons are data: no rich markup ("[red]"), escape sequences or
        # bidi controls from them may act on the terminal.
        table.add_row(
            escape(printable(str(Path(f.path)))),
            f"[{colour[f.status]}]{f.status}[/]",
            str(f.n_documents),
            escape(printable(f.encoding)),
            escape(printable(with_flags(f.reason, OPTIONS))),
        )
    console = Console()
    console.print(table)
    c = counts(corpus)
    console.print(
        f"{len(corpus.files)} file(s): {c['read']} read ({c['documents']} documents), "
        f"{c['skipped']} skipped, {c['failed']} failed"
    )
