"""The one exception family of the library; only the CLI turns it into exit codes."""

from __future__ import annotations

import re


class GovtextError(Exception):
    """Base class: every error the library raises on purpose.

    ``param`` names the parameter (or setting) whose value is the problem, when one is:
    the message then describes the problem alone and ``str()`` puts the name first. The
    command line shows its option for that parameter instead (``cli.common.library_errors``).

    >>> str(GovtextError("must be a positive integer. Got 0 instead.", param="max_batch"))
    'max_batch: must be a positive integer. Got 0 instead.'
    """

    def __init__(self, *args: object, param: str | None = None) -> None:
        super().__init__(*args)
        self.param = param

    @property
    def detail(self) -> str:
        """The message without the parameter's name."""
        return super().__str__()

    def __str__(self) -> str:
        return f"{self.param}: {self.detail}" if self.param else self.detail


class InputError(GovtextError):
    """A file or argument the user gave cannot be used (names the thing and the fix)."""


class DictionaryError(GovtextError):
    """A theme dictionary or user dictionary is invalid; carries the file and line."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}: " if path and line else (f"{path}: " if path else "")
        super().__init__(f"{where}{message}")


class ConfigError(GovtextError):
    """A pipeline file or an option has a value that is not allowed."""


class NotFittedError(GovtextError):
    """A component's transform was called before fit."""


def setting(name: str) -> str:
    """How a message or a manifest reason names a setting the user can change: its name
    as the pipeline TOML and the Python API spell it, in backquotes.

    The library's words then suit a notebook, a pipeline file and manifest.csv alike; the
    command line shows its option in its place (``cli.common.with_flags``).

    >>> f"pick one of them as {setting('text_column')}"
    'pick one of them as `text_column`'
    """
    return f"`{name}`"


# A setting named by ``setting()``: what the command line finds to put its option in.
SETTING = re.compile(r"`([a-z][a-z0-9_]*)`")
