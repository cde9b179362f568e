"""`govtext dict validate|show|expand`: check, print and grow a theme dictionary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from govtext.cli.common import library_errors

dict_app = typer.Typer(
    help="Validate, show or expand a theme dictionary.", no_args_is_help=True, rich_markup_mode=None
)


def register(app: typer.Typer) -> None:
    app.add_typer(dict_app, name="dict")


@dict_app.command("validate")
def validate(
    file: Annotated[Path, typer.Argument(help="The dictionary TOML to check.")],
    tokens: Annotated[
        bool, typer.Option("--tokens/--no-tokens", help="Warn about terms jieba splits (loads jieba).")
    ] = True,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 on warnings too.")] = False,
) -> None:
    """Report every error and warning with file, line and the fix; exit 1 on errors."""
    from govtext.themes.validate import validate_dictionary

    with library_errors("dict validate"):
        issues = validate_dictionary(file, check_tokens=tokens)
    for issue in issues:
        typer.echo(str(issue), err=issue.level == "error")
    errors = sum(i.level == "error" for i in issues)
    warnings = len(issues) - errors
    typer.echo(f"{file}: {errors} error(s), {warnings} warning(s)", err=True)
    if errors or (strict and warnings):
        raise typer.Exit(1)


@dict_app.command("show")
def show(
    file: Annotated[Path | None, typer.Argument(help="Dictionary TOML (default: the shipped one).")] = None,
    extra: Annotated[
        list[Path] | None, typer.Option("--extra", help="Extra dictionary files (repeatable).")
    ] = None,
    rules: Annotated[
        bool, typer.Option("--rules", help="List each rule with its terms and exclusions.")
    ] = False,
) -> None:
    """Print the frameworks → themes (→ rules) tree."""
    from govtext.themes import load_dictionary
    from govtext.themes.show import render_tree

    with library_errors("dict show"):
        d = load_dictionary(file, extra=extra or ())
    typer.echo(render_tree(d, rules=rules))


@dict_app.command("expand")
def expand(
    corpus: Annotated[
        list[str], typer.Option("--corpus", help="Files or folders to train word embeddings on (repeatable).")
    ],
    file: Annotated[
        Path | None, typer.Argument(help="Dictionary TOML whose themes to expand (default: the shipped one).")
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Proposals per theme.")] = 10,
    min_count: Annotated[
        int, typer.Option("--min-count", min=1, help="Ignore words rarer than this in the corpus.")
    ] = 3,
    seed: Annotated[
        int,
        typer.Option("--seed", help="random_state of Word2Vec (results are reproducible with one worker)."),
    ] = 0,
) -> None:
    """Propose new terms per theme from Word2Vec trained on a corpus, with their nearest existing terms."""
    from govtext.inputs import read_inputs
    from govtext.themes import load_dictionary
    from govtext.themes.expand import TermExpander, render_proposals

    with library_errors("dict expand", {"documents": "--corpus"}):
        d = load_dictionary(file)
        docs = list(read_inputs(corpus))
        expander = TermExpander(dictionary=d, top_n=top, min_count=min_count, random_state=seed).fit(docs)
    typer.echo(render_proposals(expander.proposals_, d))
