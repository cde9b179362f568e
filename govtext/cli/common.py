"""Helpers shared by the commands: error mapping and progress lines."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

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
    except OSError as exc:  # a disk that fills up mid-write: one line, not a traceback
        from govtext.paths import os_error_message

        typer.echo(f"govtext: error: {os_error_message(exc)}", err=True)
        raise typer.Exit(1) from None


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
    if engine is not None:
        cfg.engine.engine = engine
    if workers is not None:
        cfg.engine.workers = workers
    if scheduler is not None:
        cfg.engine.scheduler = scheduler
        if engine is None:
            cfg.engine.engine = "dask"  # a scheduler address only means something to Dask
    note = cfg.engine.engine_config().clamp_note  # a ConfigError naming the bad value
    if note:
        typer.echo(f"govtext: note: {note}", err=True)
