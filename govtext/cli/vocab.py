"""``govtext vocab discover PATH ...``: propose phrases for the user dictionary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from govtext.cli.common import library_errors

vocab_app = typer.Typer(help="Grow the user dictionary: propose phrases the dictionaries are missing.")


def register(app: typer.Typer) -> None:
    app.add_typer(vocab_app, name="vocab")


@vocab_app.command("discover")
def discover(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to read.")],
    text_column: Annotated[
        str | None, typer.Option("--text-column", help="Column holding the text in CSV/XLSX/JSON files.")
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="How many phrases to propose.")] = 50,
    min_count: Annotated[int, typer.Option("--min-count", min=1, help="Occurrences a phrase needs.")] = 5,
    max_len: Annotated[
        int, typer.Option("--max-len", min=2, max=12, help="Longest phrase, in characters.")
    ] = 6,
    user_dict: Annotated[
        list[Path] | None, typer.Option("--user-dict", help="Dictionaries the phrases must be missing from.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the proposals as a user dictionary file.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Rank candidate phrases (PMI, boundary entropy, “quoted” slogans) with counts and examples."""
    from govtext.cli.common import account_for

    with library_errors("vocab discover"):
        from govtext.segment import Segmenter
        from govtext.vocab import PhraseFinder

        finder = PhraseFinder(
            top=top, min_count=min_count, max_len=max_len, segmenter=Segmenter(user_dicts=user_dict or ())
        )
        from govtext.ingest import read_corpus  # only when the command runs

        corpus = read_corpus([str(p) for p in paths], text_column=text_column)
        account_for(corpus, "vocab discover")
        finder.fit(corpus)
    if out is not None:
        out.write_text(finder.user_dict(), encoding="utf-8")
    if as_json:
        typer.echo(json.dumps([c.record() for c in finder.candidates_], ensure_ascii=False, indent=1))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(finder.candidates_)} proposed phrases from {finder.n_documents_} documents")
    for col in ("#", "phrase", "count", "PMI", "entropy L/R", "quoted", "example"):
        table.add_column(col, overflow="fold")
    for i, c in enumerate(finder.candidates_, 1):
        table.add_row(
            str(i),
            c.phrase,
            str(c.count),
            f"{c.pmi:.2f}",
            f"{c.left_entropy:.2f}/{c.right_entropy:.2f}",
            str(c.quoted),
            c.examples[0] if c.examples else "",
        )
    Console().print(table)
    if out is not None:
        typer.echo(f"wrote {len(finder.candidates_)} entries to {out}")
