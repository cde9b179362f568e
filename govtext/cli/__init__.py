"""The govtext command line: a thin Typer shell over the library.

Each command lives in its own module with a ``register(app)`` function; this file only
assembles them. Library errors (GovtextError) become a one-line message and exit 1.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from govtext import __version__

app = typer.Typer(
    name="govtext",
    help="Find governance themes in Chinese governance writing and write comparative reports.",
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"govtext {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """govtext: 基层治理主题分析 — themes, evidence and comparative reports."""


def _register_all() -> None:
    # One module per command, each with register(app); imported here so --help lists them all.
    from govtext.cli import (
        compare,
        dict,
        ingest,
        kwic,
        report,
        run,
        segment,
        serve,
        sql,
        tag,
        topics,
        validate,
        vocab,
    )

    for module in (
        run,
        ingest,
        tag,
        kwic,
        topics,
        compare,
        report,
        segment,
        vocab,
        dict,
        sql,
        serve,
        validate,
    ):
        module.register(app)


_register_all()


# Placeholders a person reads in --help: PATH, N, TEXT rather than <list[str]>.
_METAVARS = {"int": "N", "float": "X", "Path": "PATH", "str": "TEXT"}


# One example per command, shown at the end of its --help.
EXAMPLES = {
    "run": "govtext run corpus --by year --out reports/by-year",
    "ingest": "govtext ingest ../shared/corpus --json | head",
    "tag": "echo '坚持党建引领，深化接诉即办改革。' | govtext tag - --format jsonl",
    "kwic": "govtext kwic 自治 ../shared/corpus/provincial-reports-2026 --format csv > reports/kwic.csv",
    "topics": "govtext topics corpus --method seeded --k auto",
    "compare": "govtext compare corpus --by year --where genre=report",
    "report": "govtext report ../shared/corpus/national-reports --by year --time year --out reports/national",
    "segment": "govtext segment corpus --pos --format jsonl -o reports/tokens.jsonl",
    "sql": 'govtext sql "SELECT theme, count(*) FROM theme_hits GROUP BY 1" --store reports/default/govtext.duckdb',
    "vocab": "govtext vocab discover corpus --top 30",
    "dict": "govtext dict validate my_themes.toml",
    "serve": "govtext serve --port 8000",
    "validate": "govtext validate sample corpus --n 300 --out reports/coding.xlsx",
}


def readable_help(command: Any) -> Any:
    """The click command of ``app`` with plain placeholders on every argument and option,
    and an example at the end of each command's help."""
    for name, sub in getattr(command, "commands", {}).items():
        readable_help(sub)
        if name in EXAMPLES and not sub.epilog:
            sub.epilog = f"Example: {EXAMPLES[name]}"
    for param in getattr(command, "params", []):
        if getattr(param, "is_flag", False) or param.metavar is not None:
            continue
        try:
            bare = param.bare_type()
            choice = param.type_descriptor.is_choice
        except AttributeError:  # a parameter typer did not make
            continue
        if choice:
            continue  # typer shows the choices themselves: <table|jsonl>
        base = bare.removeprefix("list[").removesuffix("]")
        word = _METAVARS.get(base, "TEXT")
        if param.param_type_name == "argument":
            param.metavar = "PATH" if "path" in param.name else param.name.upper()
            param.display_type_rich = lambda ctx: None  # the name says it; no <list[str]> after it
        else:
            param.metavar = word
    return command


def main() -> None:
    """Console-script entry point."""
    try:
        readable_help(typer.main.get_command(app))(prog_name="govtext")
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except SystemExit as done:  # how click ends every command, with its exit status
        _leave(done.code)


def _leave(code: int | str | None) -> None:
    """Exit without tearing down every object one by one (``govtext.exit.leave``): a run
    ends holding its documents, tokens and tables, and the interpreter freed them one by
    one for 0.6 s of an 18 s run on ../shared/corpus."""
    from govtext.exit import leave, traced

    if traced():
        sys.exit(code)
    if isinstance(code, str):  # sys.exit("message"): printed, status 1, as Python does
        sys.stderr.write(code + "\n")
        code = 1
    leave(code or 0)
