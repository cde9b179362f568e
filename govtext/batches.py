"""Batches of items for the engine, and the window of those in flight (``govtext.engine``).

A batch closes at ``batch_size`` items or ``batch_chars`` characters of text, whichever
comes first; the window bounds how many batches are submitted and not yet yielded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


def _size(item: object) -> tuple[int, int]:
    """Characters and UTF-8 bytes of an item's ``text``; (0, its ``nbytes``) for an item
    that says how many bytes it stands for (a file to read), (0, 0) for any other."""
    text = getattr(item, "text", None)
    if not isinstance(text, str):
        nbytes = getattr(item, "nbytes", 0)
        return 0, nbytes if isinstance(nbytes, int) else 0
    return len(text), len(text.encode("utf-8", "surrogatepass"))


def _item_id(item: object, index: int) -> str:
    doc_id = getattr(item, "doc_id", None)
    return repr(doc_id) if doc_id is not None else f"#{index}"


@dataclass(frozen=True)
class Batch:
    index: int
    start: int  # position of the first item in the input
    items: list[Any]
    chars: int
    nbytes: int

    @property
    def where(self) -> str:
        first = _item_id(self.items[0], self.start)
        return f"the batch starting at document {first} (input items {self.start}–{self.start + len(self.items) - 1})"


def iter_batches(items: Iterable[T], batch_size: int, batch_chars: int) -> Iterator[list[T]]:
    """Lists of at most ``batch_size`` items and (past the first item) ``batch_chars`` characters."""
    for batch in batches(items, batch_size, batch_chars):
        yield batch.items


def batches(items: Iterable[Any], batch_size: int, batch_chars: int) -> Iterator[Batch]:
    batch: list[Any] = []
    chars = nbytes = 0
    start = 0
    index = 0
    for item in items:
        n, b = _size(item)
        if batch and (len(batch) >= batch_size or chars + n > batch_chars):
            yield Batch(index, start, batch, chars, nbytes)
            index += 1
            start += len(batch)
            batch, chars, nbytes = [], 0, 0
        batch.append(item)
        chars += n
        nbytes += b
    if batch:
        yield Batch(index, start, batch, chars, nbytes)


@dataclass
class Window:
    """Batches ``govtext.engine`` may have submitted and not yielded, and those it has."""

    size: int
    buffer_bytes: int = 0  # finished batches of at most this much input do not count
    pending: dict[Any, Batch] = field(default_factory=dict)  # submitted, running
    finished: dict[int, tuple[Batch, Any]] = field(default_factory=dict)  # done, not yielded

    @property
    def busy(self) -> bool:
        return bool(self.pending or self.finished)

    @property
    def full(self) -> bool:
        """No more submissions until a result is yielded: ``size`` batches running or
        waiting their turn (those waiting count only past ``buffer_bytes``)."""
        held = len(self.finished)
        # without a budget every waiting batch counts, whatever its size (batches of
        # items with no byte size would otherwise wait free and pile up)
        if (
            held
            and self.buffer_bytes
            and sum(b.nbytes for b, _ in self.finished.values()) <= self.buffer_bytes
        ):
            held = 0
        return len(self.pending) + held >= self.size
