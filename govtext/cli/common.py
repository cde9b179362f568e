"""Helpers shared by the commands: error mapping and progress lines."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer

from govtext.errors import GovtextError


@contextmanager
def library_errors() -> Iterator[None]:
    """Turn a GovtextError into one line on stderr and exit code 1."""
    try:
        yield
    except GovtextError as exc:
        typer.echo(f"govtext: error: {exc}", err=True)
        raise typer.Exit(1) from None


def stage_printer(quiet: bool) -> Callable[[str], None]:
    """A progress callback: one line per stage on stderr when it is a terminal."""
    if quiet or not sys.stderr.isatty():
        return lambda _stage: None

    def show(stage: str) -> None:
        typer.echo(f"  … {stage}", err=True)

    return show
