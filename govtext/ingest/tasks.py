"""Reading one file as an engine task: its checks, its reader under a deadline, and
the parts of a large table file; every error becomes a skipped or failed outcome."""

from __future__ import annotations

import codecs
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govtext.documents import FileStatus
from govtext.errors import setting
from govtext.ingest.dedup import Fingerprint, fingerprint
from govtext.ingest.options import IngestOptions
from govtext.ingest.parts import PART_FORMATS, Part, Plan, plan_parts, read_part
from govtext.ingest.raw import FailFile, ReadResult, SkipFile
from govtext.ingest.readers import READERS, ReadOptions
from govtext.ingest.walk import InputPath


def _load(item: InputPath, options: IngestOptions) -> tuple[str, bytes]:
    """The file's suffix (its reader) and bytes, after the checks that need no reader."""
    if item.path is None:
        # One byte past the limit is enough to know it is over, without holding it all.
        data = sys.stdin.buffer.read(options.max_file_size + 1)
        if len(data) > options.max_file_size:
            raise SkipFile(
                f"standard input is over the {human_size(options.max_file_size)} limit; "
                f"save it to a file and split it, or raise {setting('max_file_size')}"
            )
        if not data.strip():
            raise SkipFile("standard input was empty")
        return ".txt", data
    path = item.path
    suffix = path.suffix.lower()
    if suffix not in READERS:
        kinds = " ".join(sorted(READERS))
        what = f"unsupported file type {suffix!r}" if suffix else "no file extension"
        raise SkipFile(f"{what}; readable types: {kinds}")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FailFile(f"cannot read the file: {exc.strerror or exc}") from exc
    # Root reads files whatever their mode, so os.access is what a normal user would meet;
    # the check makes an unreadable file a manifest line before any reader touches it.
    if not os.access(path, os.R_OK):
        raise FailFile("cannot read the file: permission denied; fix its permissions (chmod +r)")
    if size == 0:
        raise SkipFile("empty file (0 bytes)")
    if size > options.max_file_size:
        raise SkipFile(
            f"file is {human_size(size)}, over the {human_size(options.max_file_size)} limit; "
            f"split it or raise {setting('max_file_size')}"
        )
    try:
        return suffix, path.read_bytes()
    except OSError as exc:
        raise FailFile(f"cannot read the file: {exc.strerror or exc}") from exc


def fmt_of(item: InputPath) -> str:
    """The format a manifest line names before the file is read ('' when unsupported)."""
    return READERS.get(item.path.suffix.lower(), ("", None))[0] if item.path is not None else "txt"


@dataclass(frozen=True)
class ReadTask:
    """One file to read, as an engine worker receives it: the path, or (``data``) its
    bytes when the worker may not see the file (a Dask worker on another machine)."""

    item: InputPath
    options: IngestOptions
    data: bytes | None = None
    suffix: str = ""
    part: Part | None = None  # one part of a file read in parts, with its file's plan
    plan: Plan | None = None

    @property
    def nbytes(self) -> int:
        """The bytes this task reads (the engine bounds what it buffers by them)."""
        if self.part is not None:
            return self.part.end - self.part.start
        if self.data is not None:
            return len(self.data)
        try:
            return self.item.path.stat().st_size if self.item.path is not None else 0
        except OSError:  # the reader will say what is wrong with the file
            return 0


@dataclass
class ReadOutcome:
    """What reading one file gave: the reader's result and one duplicate fingerprint per
    document, or the status and reason of a file that was skipped or failed."""

    status: FileStatus
    fmt: str
    result: ReadResult | None = None
    reason: str = ""
    fingerprints: list[Fingerprint] | None = None


def read_files(tasks: Sequence[ReadTask | ReadOutcome]) -> list[ReadOutcome]:
    """Read files (an engine batch function: ``Engine.map(read_files, tasks)``); an
    outcome decided before reading passes through."""
    return [t if isinstance(t, ReadOutcome) else read_file(t) for t in tasks]


def read_file(task: ReadTask) -> ReadOutcome:
    """Read one file to documents, turning every error into a skipped or failed outcome:
    a file that breaks its reader never stops the others."""
    item, options = task.item, task.options
    fmt = fmt_of(item)
    part, plan = task.part, task.plan
    try:
        if part is not None:
            assert plan is not None and item.path is not None
            suffix = item.path.suffix.lower()
            data = task.data if task.data is not None else _part_bytes(item.path, plan, part)
        elif task.data is None:
            suffix, data = _load(item, options)
        else:
            suffix, data = task.suffix, task.data
        fmt, reader = READERS[suffix]
        encoding = plan.encoding if plan is not None else options.encoding
        if part is not None and part.start > 0 and fmt == "jsonl" and encoding is not None:
            # a BOM marks the file's start only: at a later part's start it is the first
            # character of a line, which a whole read does not strip either
            if codecs.lookup(encoding).name == "utf-8-sig":
                encoding = "utf-8"
        read_options = ReadOptions(
            text_column=plan.text_column if plan is not None else options.text_column,
            encoding=encoding,
            max_file_size=options.max_file_size,
            max_doc_chars=options.max_doc_chars,
            first_line=part.first_line if part is not None else 1,
            part=part is not None,
        )
        result = run_with_deadline(lambda: reader(data, read_options), options.extract_timeout)
        if plan is not None:
            result.encoding = plan.encoding  # the file's, whatever one part was decoded as
    except SkipFile as exc:
        return ReadOutcome("skipped", fmt, reason=str(exc))
    except FailFile as exc:
        return ReadOutcome("failed", fmt, reason=str(exc))
    except Exception as exc:  # a reader bug or a library choking on a broken file: report, go on
        return ReadOutcome(
            "failed", fmt, reason=f"unexpected error while reading: {type(exc).__name__}: {exc}"
        )
    # Duplicate fingerprints are computed here, beside the reader, because they depend on
    # one text only; comparing them (and so the flags) stays with the corpus order.
    prints = [
        fingerprint(raw.text, options.near_duplicate_threshold)
        for raw in result.docs
        if len(raw.text) <= options.max_doc_chars
    ]
    return ReadOutcome("read", fmt, result, fingerprints=prints)


def _part_bytes(path: Path, plan: Plan, part: Part) -> bytes:
    """A part's bytes, after the file's header record (CSV/TSV) for a part past the first."""
    try:
        data = read_part(path, part)
    except OSError as exc:
        raise FailFile(f"cannot read the file: {exc.strerror or exc}") from exc
    return data if part.start == 0 else plan.header + data


def plan_reading(item: InputPath, options: IngestOptions) -> Plan | None:
    """How to read a large table file in parts (parts.plan_parts), or None: read it
    whole (any other file; one that cannot be cut or decoded throughout; one whose
    size, access or content the whole-file path will report on)."""
    if not may_have_parts(item, options):
        return None
    assert item.path is not None
    try:
        return plan_parts(
            item.path,
            item.path.suffix.lower(),
            part_bytes=options.part_bytes,
            encoding=options.encoding,
            text_column=options.text_column,
            max_part=options.max_file_size,
        )
    except Exception:  # whatever it is, the whole-file path meets it again and reports it
        return None


def may_have_parts(item: InputPath, options: IngestOptions) -> bool:
    path = item.path
    if path is None or path.suffix.lower() not in PART_FORMATS:
        return False
    try:
        return path.stat().st_size > options.part_bytes and os.access(path, os.R_OK)
    except OSError:
        return False


def file_tasks(
    item: InputPath, options: IngestOptions, plan: Plan | None, ship_bytes: bool
) -> Iterator[ReadTask | ReadOutcome]:
    """What reading ``item`` takes: one task, or one per part (made as they are asked
    for, so shipped bytes are read a part at a time)."""
    if plan is None:
        yield _shipped(item, options) if ship_bytes else ReadTask(item, options)
    else:
        assert item.path is not None
        for part in plan.parts:
            try:
                data = _part_bytes(item.path, plan, part) if ship_bytes else None
            except FailFile as exc:
                yield ReadOutcome("failed", fmt_of(item), reason=str(exc))
                continue
            yield ReadTask(item, options, data, part=part, plan=plan)


def _shipped(item: InputPath, options: IngestOptions) -> ReadTask | ReadOutcome:
    """A task carrying the file's bytes (for workers that may not see the file), or the
    outcome when the file is refused before any reader runs."""
    try:
        suffix, data = _load(item, options)
    except SkipFile as exc:
        return ReadOutcome("skipped", fmt_of(item), reason=str(exc))
    except FailFile as exc:
        return ReadOutcome("failed", fmt_of(item), reason=str(exc))
    return ReadTask(item, options, data, suffix)


class _Deadline(BaseException):
    """Raised inside a reader when its time is up. A BaseException, so that the readers'
    own ``except Exception`` (there to report broken files) cannot swallow it."""


def run_with_deadline(fn: Callable[[], ReadResult], seconds: float) -> ReadResult:
    """``fn()``, or FailFile when it takes longer than ``seconds``.

    In the main thread a SIGALRM timer interrupts the reader wherever it is (pure-Python
    readers such as pypdf stop at once; C code at its next return to Python). Elsewhere
    (worker threads of an engine) the reader runs in a daemon thread that is abandoned
    at the deadline: the file is reported and the run goes on.
    """
    if seconds <= 0 or seconds == float("inf"):
        return fn()
    message = (
        f"extraction took longer than {seconds:g} s; raise {setting('extract_timeout')} or convert the file"
    )
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):

        def _alarm(signum: int, frame: Any) -> None:
            raise _Deadline

        previous = signal.signal(signal.SIGALRM, _alarm)
        # Someone else's timer (a test runner's, a notebook's) is put back afterwards.
        outer, outer_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
        started = time.monotonic()
        try:
            return fn()
        except _Deadline:
            raise FailFile(message) from None
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            if outer > 0:
                left = max(outer - (time.monotonic() - started), 0.001)
                signal.setitimer(signal.ITIMER_REAL, left, outer_interval)
    box: list[Any] = []

    def _target() -> None:
        try:
            box.append(fn())
        except BaseException as exc:  # handed to the caller's thread below
            box.append(exc)

    worker = threading.Thread(target=_target, daemon=True, name="govtext-extract")
    worker.start()
    worker.join(seconds)
    if worker.is_alive() or not box:
        raise FailFile(message)
    if isinstance(box[0], BaseException):
        raise box[0]
    return box[0]


def human_size(n: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"
