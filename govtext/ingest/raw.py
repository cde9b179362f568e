"""What a reader hands to the assembler: text plus fields, before ids and provenance."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class SkipFile(Exception):
    """The file is not something to read (unsupported, empty, no text); the message says why."""


class FailFile(Exception):
    """The file should have been readable but is broken; the message says what and the fix."""


@dataclass
class RawDoc:
    """One document found in a file: cleaned text and the fields the file gave it."""

    text: str
    fields: dict[str, Any] = field(default_factory=dict)
    paragraphs: tuple[tuple[int, int], ...] = ()
    from_page: bool = False  # one of several articles split from a page (gets meta ``page``)
    n_scrubbed: int = 0  # control characters removed and lone surrogates replaced (see clean.scrub)
    kept_whole: bool = False  # a record that cleaning would have emptied, kept as given


@dataclass
class ReadResult:
    docs: list[RawDoc]
    encoding: str = ""
    notes: list[str] = field(default_factory=list)  # go into the manifest reason
