"""Helpers shared by the commands: error mapping and progress lines."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from govtext.errors import SETTING, GovtextError

# The option of each library parameter (or setting) that has the same option in every
# command that takes it; a command adds its own (``library_errors("serve", SERVE_OPTIONS)``).
OPTIONS = {"out": "--out", "store": "--store", "workers": "--workers", "text_column": "--text-column"}


def with_flags(message: str, options: Mapping[str, str] | None = None) -> str:
    """A library message as the command line says it: each setting it names
    (``govtext.errors.setting``) that this command has an option for shown as that option.

    ``with_flags("set `text_column` to one of them")`` is ``"set --text-column to one of them"``;
    a setting the command has no option for keeps its name (the pipeline file's).
    """
    flags = {**OPTIONS, **(options or {})}
    return SETTING.sub(lambda m: flags.get(m.group(1), m.group(0)), message)


@contextmanager
def library_errors(command: str | None = None, options: Mapping[str, str] | None = None) -> Iterator[None]:
    """Turn a GovtextError (or an OSError) into one line on stderr and exit code 1:
    ``govtext COMMAND: error: ...``, the command named when given. Every command wraps
    its library calls in this, so no error reaches the user as a traceback.

    An error about one parameter (``exc.param``) is shown with the option that sets it:
    ``--max-batch: must be a positive integer. Got 0 instead.``"""
    prefix = f"govtext {command}: error:" if command else "govtext: error:"
    try:
        yield
    except GovtextError as exc:
        flag = {**OPTIONS, **(options or {})}.get(exc.param or "")
        said = f"{flag}: {exc.detail}" if flag else str(exc)
        typer.echo(f"{prefix} {with_flags(said, options)}", err=True)
        raise typer.Exit(1) from None
    except BrokenPipeError:
        # the reader went away (`govtext tag ... | head`): stop quietly, as Unix tools do
        # on SIGPIPE; stdout goes to devnull so the interpreter's final flush cannot fail
        import os
        import sys

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(141) from None
    except OSError as exc:  # a disk that fills up mid-write: one line, not a traceback
        from govtext.paths import os_error_message

        typer.echo(f"{prefix} {os_error_message(exc)}", err=True)
        raise typer.Exit(1) from None


def account_for(
    corpus: Any, command: str, *, limit: int = 20, options: Mapping[str, str] | None = None
) -> None:
    """Say on stderr which input files were skipped or failed, or read with a note (rows
    skipped, records kept uncleaned), and why; exit 1 when no document was read at all.
    A reason that names a setting shows the command's option for it (``with_flags``).

    Every command that reads files calls this: a record is never dropped in silence.
    """
    from govtext.ingest.summary import unread_message
    from govtext.normalize import printable

    noted = [f for f in corpus.files if f.status != "read" or f.reason]
    for f in noted[:limit]:
        typer.echo(
            f"govtext {command}: {f.status} {printable(f.path)}: {printable(with_flags(f.reason, options))}",
            err=True,
        )
    if len(noted) > limit:
        typer.echo(
            f"govtext {command}: … and {len(noted) - limit} more file(s); govtext ingest lists them all",
            err=True,
        )
    if not corpus.documents:
        unread = [f for f in corpus.files if f.status != "read"] or list(corpus.files)
        typer.echo(f"govtext {command}: error: {with_flags(unread_message(unread), options)}", err=True)
        raise typer.Exit(1)


class InputReport:
    """The ``on_problem`` callback of ``govtext.inputs.read_inputs``: each skipped line or file said on
    stderr as it happens; ``documents`` counts what got through, ``errors`` what did not.
    A setting a message names is shown as the command's option (``with_flags``)."""

    def __init__(self, command: str, options: Mapping[str, str] | None = None) -> None:
        self.command = command
        self.options = options
        self.errors = 0
        self.documents = 0

    def __call__(self, message: str, is_error: bool) -> None:
        from govtext.normalize import printable

        self.errors += is_error
        typer.echo(
            f"govtext {self.command}: {'error' if is_error else 'note'}: {printable(with_flags(message, self.options))}",
            err=True,
        )

    def count(self, docs: Iterable[Any]) -> Iterator[Any]:
        for doc in docs:
            self.documents += 1
            yield doc

    def finish(self) -> None:
        """Exit 1 when nothing was read, or when some input could not be (after the output)."""
        if self.documents == 0:
            typer.echo(f"govtext {self.command}: error: no documents found in the given paths", err=True)
            raise typer.Exit(1)
        if self.errors:
            typer.echo(
                f"govtext {self.command}: {self.errors} input line(s) or file(s) could not be read (see above)",
                err=True,
            )
            raise typer.Exit(1)


def stage_printer(quiet: bool) -> Callable[[str], None]:
    """A progress callback: one line per stage on stderr when it is a terminal."""
    if quiet or not sys.stderr.isatty():
        return lambda _stage: None

    def show(stage: str) -> None:
        typer.echo(f"  … {stage}", err=True)

    return show


def apply_engine_options(
    cfg: Any, *, engine: str | None = None, workers: int | None = None, scheduler: str | None = None
) -> None:
    """Command-line --engine/--workers/--scheduler over the pipeline's [engine] table (checked)."""
    from govtext.engine import EngineConfig

    table = cfg.engine.to_table()
    if engine is not None:
        table["engine"] = engine
    if workers is not None:
        table["workers"] = workers
    if scheduler is not None:
        table["scheduler"] = scheduler
        if engine is None:
            table["engine"] = "dask"  # a scheduler address only means something to Dask
    cfg.engine = EngineConfig.from_table(table)  # a ConfigError naming the bad value
    note = cfg.engine.clamp_note
    if note:
        typer.echo(f"govtext: note: {note}", err=True)


def apply_compare_options(
    cfg: Any, *, where: list[str] | None = None, min_group_chars: int | None = None
) -> None:
    """Command-line --where/--min-group-chars over the pipeline's [compare] table (checked)."""
    if where:
        from govtext.config import parse_where
        from govtext.errors import ConfigError

        cfg.compare.where = [*cfg.compare.where, *where]
        try:
            parse_where(cfg.compare.where)
        except ConfigError as exc:
            raise ConfigError(f"--where: {exc}") from None
    if min_group_chars is not None:
        cfg.compare.min_group_chars = min_group_chars


def apply_input_options(
    cfg: Any, *, dictionary: Any = None, extra: list[Any] | None = None, text_column: str | None = None
) -> None:
    """--dictionary/--extra/--text-column over the pipeline's [themes] and [ingest] tables,
    the same options `tag` has."""
    if dictionary is not None:
        cfg.themes.dictionary = str(dictionary)
    if extra:
        cfg.themes.extra = [*cfg.themes.extra, *(str(e) for e in extra)]
    if text_column is not None:
        cfg.ingest.text_column = text_column


class OutputFormat(StrEnum):
    """What a command prints: a table for people, or JSON for scripts."""

    table = "table"
    json = "json"


# Options that several commands share, declared once so their names and help agree:
# ``dictionary: DictionaryOption = None``.
_DICTIONARY_HELP = "Theme dictionary TOML (default: the shipped governance dictionary)."
_EXTRA_HELP = "Extra dictionary files that extend it (repeatable)."
_TEXT_COLUMN_HELP = "Column holding the text in CSV/XLSX/JSON files."
_WHERE_HELP = "Compare only documents with field=value, e.g. genre=report (repeatable)."
_MIN_GROUP_CHARS_HELP = "Flag groups smaller than this and leave them out of trends (default 1000)."

DictionaryOption = Annotated[Path | None, typer.Option("--dictionary", "-d", help=_DICTIONARY_HELP)]
ExtraOption = Annotated[list[Path] | None, typer.Option("--extra", help=_EXTRA_HELP)]
TextColumnOption = Annotated[str | None, typer.Option("--text-column", help=_TEXT_COLUMN_HELP)]
WhereOption = Annotated[list[str] | None, typer.Option("--where", help=_WHERE_HELP)]
MinGroupCharsOption = Annotated[
    int | None, typer.Option("--min-group-chars", min=0, help=_MIN_GROUP_CHARS_HELP)
]
