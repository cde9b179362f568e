"""`govtext tag PATH ...`: themes and the sentences behind them, for editors.

Kept light on purpose (no pandas, no jieba): tagging one article must feel instant.
"""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from govtext.cli.common import library_errors


class TagFormat(StrEnum):
    table = "table"
    jsonl = "jsonl"


class TagUnit(StrEnum):
    document = "document"
    paragraph = "paragraph"


def register(app: typer.Typer) -> None:
    app.command("tag")(tag)


def tag(
    paths: Annotated[
        list[str], typer.Argument(help="Files, folders, a .jsonl of {id, text} lines, or - for stdin.")
    ],
    fmt: Annotated[
        TagFormat,
        typer.Option(
            "--format",
            "-f",
            help="table (for people) or jsonl (one line per document, schema in docs/dictionary.md).",
        ),
    ] = TagFormat.table,
    dictionary: Annotated[
        Path | None,
        typer.Option(
            "--dictionary", "-d", help="Theme dictionary TOML (default: the shipped governance dictionary)."
        ),
    ] = None,
    extra: Annotated[
        list[Path] | None,
        typer.Option("--extra", help="Extra dictionary files that extend or override it (repeatable)."),
    ] = None,
    text_column: Annotated[
        str | None, typer.Option("--text-column", help="Column holding the text in CSV/XLSX/JSON files.")
    ] = None,
    theme: Annotated[
        list[str] | None, typer.Option("--theme", "-t", help="Only these theme ids (repeatable).")
    ] = None,
    evidence: Annotated[
        int, typer.Option("--evidence", min=1, help="Evidence sentences kept per theme in jsonl.")
    ] = 3,
    unit: Annotated[
        TagUnit,
        typer.Option(
            "--unit",
            "-u",
            help="document (one record per document) or paragraph (one per paragraph, every paragraph, themes or none).",
        ),
    ] = TagUnit.document,
) -> None:
    """Tag documents with governance themes and show the evidence sentence for each."""
    from govtext.cli.common import InputReport
    from govtext.inputs import read_inputs
    from govtext.themes import Matcher, load_dictionary
    from govtext.themes.tagging import render_table, tag_documents

    with library_errors("tag"):
        d = load_dictionary(dictionary, extra=extra or ())
        matcher = Matcher(dictionary=d, themes=theme or None).fit()
        # colour only for a person at a terminal who has not asked for none (no-color.org)
        color = fmt is TagFormat.table and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        report = InputReport("tag")
        n = 0
        for tags in tag_documents(
            report.count(read_inputs(paths, report, text_column=text_column)),
            matcher,
            max_evidence=evidence,
            unit=unit.value,
        ):
            if fmt is TagFormat.jsonl:
                sys.stdout.write(json.dumps(tags.to_record(), ensure_ascii=False) + "\n")
            else:
                sys.stdout.write(("\n" if n else "") + render_table(tags, color=color) + "\n")
            sys.stdout.flush()  # a pipe gets each document as it is tagged
            n += 1
    report.finish()
