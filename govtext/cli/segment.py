"""``govtext segment PATH ...``: the tokens of each document, for other tools.

Text output is one document a line, tokens separated by spaces (``word/tag`` with
``--pos``), which quanteda, Stata or a shell pipeline can read as pre-segmented
text; JSON lines carry the document id, tokens and tags.

Tokens are the original text's characters (full-width punctuation stays full-width,
traditional characters stay traditional): a user's export must match their text. The
normalised form the matcher and topic models read is opt-in (``--normalized``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from govtext.cli.common import account_for, library_errors

if TYPE_CHECKING:
    from govtext.tokens import Tokens


class OutputFormat(StrEnum):
    text = "text"
    jsonl = "jsonl"


def register(app: typer.Typer) -> None:
    app.command("segment")(segment)


def segment(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to read (any format ingest reads).")],
    text_column: Annotated[
        str | None, typer.Option("--text-column", help="Column holding the text in CSV/XLSX/JSON files.")
    ] = None,
    pos: Annotated[bool, typer.Option("--pos", help="Attach part-of-speech tags.")] = False,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="text: one document a line; jsonl: JSON lines.")
    ] = (OutputFormat.text),
    user_dict: Annotated[
        list[Path] | None,
        typer.Option("--user-dict", help="Extra dictionary (word [freq] [pos]); repeatable."),
    ] = None,
    no_default_dict: Annotated[
        bool, typer.Option("--no-default-dict", help="Leave out the governance dictionary.")
    ] = False,
    hmm: Annotated[bool, typer.Option("--hmm", help="Let jieba's HMM guess unknown words.")] = False,
    store: Annotated[
        Path | None, typer.Option("--store", help="DuckDB workspace: reuse and keep tokens across runs.")
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=0, help="Processes for segmentation (0, the default: every core).")
    ] = 0,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here instead of standard output.")
    ] = None,
    normalized: Annotated[
        bool,
        typer.Option(
            "--normalized",
            help="Also give the normalised tokens the matcher reads (jsonl: a 'normalized' field; "
            "text: those tokens instead of the original ones).",
        ),
    ] = False,
) -> None:
    """Segment documents into tokens (space-separated lines or JSON lines)."""
    if out is not None and out.is_dir():
        typer.echo(f"govtext segment: error: --out {out} is a folder; give a file name to write to", err=True)
        raise typer.Exit(1)
    # the library loads only when the command runs (every command's start-up stays short)
    from govtext.engine import EngineConfig
    from govtext.ingest import read_corpus
    from govtext.paths import check_output_file
    from govtext.store import Store
    from govtext.work import WorkerSettings, segment_documents

    with library_errors("segment"):
        if out is not None:
            check_output_file(out)
        # --workers as govtext run reads it (0: every core; more than the cores: clamped,
        # with the same note), and the work on the same engine path as a run's
        engine = EngineConfig(workers=workers or None)
        if engine.clamp_note:
            typer.echo(f"govtext segment: note: {engine.clamp_note}", err=True)
        settings = WorkerSettings(
            user_dicts=tuple(str(p) for p in user_dict or ()),
            use_default_dict=not no_default_dict,
            hmm=hmm,
            pos=pos,
            match=False,
        )
        corpus = read_corpus([str(p) for p in paths], text_column=text_column)
        account_for(corpus, "segment")
        texts = {d.doc_id: d.text for d in corpus}
        if store is not None:
            with Store(store) as st:
                tokens = segment_documents(corpus.documents, settings, engine, store=st)
                _write(tokens, texts, fmt, out, normalized=normalized)
        else:
            _write(
                segment_documents(corpus.documents, settings, engine), texts, fmt, out, normalized=normalized
            )


def original_words(tok: Tokens, text: str) -> list[str]:
    """The tokens as they stand in the document's own text (offsets map the view back)."""
    return [text[a:b] for a, b in zip(tok.starts, tok.ends, strict=True)]


def _write(
    tokens: Iterable[Tokens], texts: dict[str, str], fmt: OutputFormat, out: Path | None, *, normalized: bool
) -> None:
    stream = out.open("w", encoding="utf-8") if out else sys.stdout
    try:
        for tok in tokens:
            words = original_words(tok, texts[tok.doc_id])
            if fmt is OutputFormat.jsonl:
                row: dict[str, object] = {"doc_id": tok.doc_id, "tokens": words}
                if normalized:
                    row["normalized"] = list(tok.words)
                if tok.pos is not None:
                    row["pos"] = list(tok.pos)
                stream.write(json.dumps(row, ensure_ascii=False) + "\n")
                continue
            shown = list(tok.words) if normalized else words
            if tok.pos is not None:
                stream.write(" ".join(f"{w}/{t}" for w, t in zip(shown, tok.pos, strict=True)) + "\n")
            else:
                stream.write(" ".join(shown) + "\n")
    finally:
        if out:
            stream.close()
