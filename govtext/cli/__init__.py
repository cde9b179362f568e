"""The govtext command line: a thin Typer shell over the library.

Each command lives in its own module with a ``register(app)`` function; this file only
assembles them. Library errors (GovtextError) become a one-line message and exit 1.
"""

from __future__ import annotations

import sys

import typer

from govtext import __version__

app = typer.Typer(
    name="govtext",
    help="Find governance themes in Chinese governance writing and write comparative reports.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"govtext {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """govtext: 基层治理主题分析 — themes, evidence and comparative reports."""


def _register_all() -> None:
    # One module per command, each with register(app); imported here so --help lists them all.
    from govtext.cli import compare, dict, ingest, kwic, report, run, segment, serve, sql, tag, topics, vocab

    for module in (run, ingest, tag, kwic, topics, compare, report, segment, vocab, dict, sql, serve):
        module.register(app)


_register_all()


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
