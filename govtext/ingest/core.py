"""The assembler: walk the inputs, read each file, give documents ids, keep the manifest.

Every input path ends up as exactly one :class:`FileRecord` (read, skipped or failed,
with a reason); a file that breaks its reader never stops the others.
"""

from __future__ import annotations

import codecs
import itertools
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govtext.documents import Document, FileRecord, FileStatus, Provenance
from govtext.ingest.clean import scrub, scrub_fields
from govtext.ingest.dedup import Deduplicator, Fingerprint, fingerprint
from govtext.ingest.metadata import (
    SIDECAR_NAME,
    compile_path_pattern,
    fields_from_path,
    parse_date,
    read_sidecar,
    split_fields,
)
from govtext.ingest.parts import (
    DEFAULT_PART_BYTES,
    PART_FORMATS,
    Part,
    Plan,
    merge_notes,
    plan_parts,
    read_part,
)
from govtext.ingest.raw import FailFile, RawDoc, ReadResult, SkipFile
from govtext.ingest.readers import READERS, ReadOptions
from govtext.ingest.tables import no_text_reason

DEFAULT_MAX_FILE_SIZE = 200 * 1024 * 1024
# About forty times a long provincial work report; beyond this one "document" is almost
# always a whole dump in one line or cell, and segmenting it would take minutes.
DEFAULT_MAX_DOC_CHARS = 2_000_000
# Seconds one file may take to extract (a PDF with a pathological content stream, a
# workbook with millions of styled cells); the run goes on without it.
DEFAULT_EXTRACT_TIMEOUT = 120.0
# Real archives nest a few levels (province/city/year); 64 is far past them and far short
# of the folders a copy loop or a bad unzip makes.
DEFAULT_MAX_DEPTH = 64
STDIN = "-"


@dataclass(frozen=True)
class IngestOptions:
    text_column: str | None = None
    path_pattern: str | None = None
    encoding: str | None = None
    recursive: bool = True
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    near_duplicate_threshold: float = 0.8
    max_doc_chars: int = DEFAULT_MAX_DOC_CHARS
    extract_timeout: float = DEFAULT_EXTRACT_TIMEOUT
    part_bytes: int = DEFAULT_PART_BYTES  # JSON Lines/CSV/TSV files over this are read in parts
    max_depth: int = DEFAULT_MAX_DEPTH  # folders below a named folder read this deep, no deeper


@dataclass(frozen=True)
class _Input:
    path: Path | None  # None for stdin
    shown: str  # the path as the manifest shows it
    root: Path | None  # the folder the user named, for path patterns and sidecars
    hidden: bool = False
    missing: bool = False
    docfile: bool = False  # a README/LICENSE met while walking a folder
    linked_dir: bool = False  # a symbolic link to a folder, met while walking
    unlisted: str = ""  # a folder that could not be listed: the reason
    name_note: str = ""  # the file name is not UTF-8: how it is shown


# Files that describe a folder rather than belong to the corpus; read only when named explicitly.
_DOC_FILES = re.compile(r"(?i)(readme|license|licence|changelog|contributing|copying)(\.[a-z]+)?")


def _walk(
    paths: Sequence[str | Path], recursive: bool, max_depth: int = DEFAULT_MAX_DEPTH
) -> Iterator[_Input]:
    for given in paths:
        if str(given) == STDIN:
            yield _Input(None, STDIN, None)
            continue
        p = Path(given)
        shown, note = display_path(p)
        if p.is_dir():
            yield from _walk_dir(p, recursive, max_depth)
        elif p.exists():
            yield _Input(p, shown, p.parent, name_note=note)
        else:
            yield _Input(p, shown, None, missing=True, name_note=note)


# Bump when ingest would read an unchanged file differently (part of input_signature,
# together with a hash of the ingest package's own source files).
INGEST_VERSION = "ingest-1"


def _ingest_code_digest() -> str:
    """A hash of the source of govtext.ingest: a changed reader or cleaning rule makes
    stored corpora stale even when nobody remembered to bump INGEST_VERSION."""
    import hashlib

    digest = hashlib.blake2b(digest_size=8)
    for path in sorted(Path(__file__).parent.glob("*.py")):
        try:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        except OSError:
            digest.update(path.name.encode() + b"\0?")
    return digest.hexdigest()


def input_signature(paths: Sequence[str | Path], options: IngestOptions) -> str | None:
    """A hash of what ingest would read: every file the walk meets (name, size,
    modification time in nanoseconds, inode, readability), the metadata sidecars that
    apply to them (a walk meets those inside the folders it lists; a file named on its
    own takes the one beside it), the options, and the readers' version and source.
    None when standard input is among the paths (it cannot be seen without reading
    it). Only stat calls: no file is opened.
    """
    import hashlib
    import json

    def stamp(path: Path) -> list[Any]:
        try:
            st = path.stat()
            return [st.st_size, st.st_mtime_ns, st.st_ino, os.access(path, os.R_OK)]
        except OSError:
            return [-1, -1, -1, False]

    rows: list[Any] = [INGEST_VERSION, _ingest_code_digest(), [str(p) for p in paths], repr(options)]
    folders: set[Path] = set()
    for item in _walk(paths, options.recursive, options.max_depth):
        if item.path is None:
            return None
        flags = [item.hidden, item.missing, item.docfile, item.linked_dir, item.unlisted, item.name_note]
        rows.append([item.shown, str(item.root), *flags, *stamp(item.path)])
        if item.root is not None:
            # the folders _Sidecars.fields_for looks in: the file's own, up to the root
            folder, stop = item.path.parent, item.root
            while True:
                folders.add(folder)
                if folder == stop or folder.parent == folder or stop not in folder.parents:
                    break
                folder = folder.parent
    for folder in sorted(folders):
        rows.append([str(folder / SIDECAR_NAME), *stamp(folder / SIDECAR_NAME)])
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode("utf-8", "surrogatepass")).hexdigest()[
        :32
    ]


def display_path(path: Path) -> tuple[str, str]:
    """The path as text that can be printed and written as UTF-8, and a note when the name's
    bytes were not UTF-8 (a GBK name from a Windows zip shows decoded as GB18030)."""
    text = str(path)
    note = ""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raw = os.fsencode(text)  # the original bytes, through the surrogateescape round trip
        try:
            text, note = raw.decode("gb18030"), "file name is not UTF-8; shown decoded as GB18030"
        except UnicodeDecodeError:
            text = raw.decode("utf-8", errors="backslashreplace")
            note = "file name is not UTF-8; undecodable bytes shown as \\x escapes"
    if _NAME_CONTROL.search(text):
        # A name is shown in terminals, HTML and spreadsheets: its control characters
        # (newlines, escape sequences, bidi overrides) are shown as escapes, not obeyed.
        text = _NAME_CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
        note = "; ".join(filter(None, [note, "file name holds control characters; shown as \\ escapes"]))
    return text, note


_NAME_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _walk_dir(root: Path, recursive: bool, max_depth: int = DEFAULT_MAX_DEPTH) -> Iterator[_Input]:
    """Every entry under ``root``, folder by folder in sorted order (ids and the order of
    documents must not depend on the file system), depth first like ``os.walk``.

    Iterative with an explicit stack: a folder nested a thousand deep (a bad unzip) is
    read down to ``max_depth`` and the rest reported, never a RecursionError. Links to
    folders are not followed (loops), folders that cannot be listed are reported.
    """
    stack: list[tuple[Path, int]] = [(root, 0)]
    while stack:
        here, depth = stack.pop()
        try:
            with os.scandir(here) as it:
                entries = list(it)
        except OSError as exc:
            yield _unlisted(exc, root)
            continue
        dirs: list[str] = []
        files: list[str] = []
        for e in entries:
            try:
                is_dir = e.is_dir()  # follows links, as os.walk sorts them
            except OSError:
                is_dir = False
            (dirs if is_dir else files).append(e.name)
        hidden_dirs = sorted(d for d in dirs if d.startswith((".", "__")))
        linked = sorted(d for d in dirs if d not in hidden_dirs and (here / d).is_symlink())
        subdirs = sorted(d for d in dirs if d not in hidden_dirs and d not in linked) if recursive else []
        for d in hidden_dirs:
            yield _Input(here / d, str(here / d), root, hidden=True)
        for d in linked:  # not followed (loops); said rather than left silent
            yield _Input(here / d, str(here / d), root, linked_dir=True)
        for name in sorted(files):
            shown, note = display_path(here / name)
            yield _Input(
                here / name,
                shown,
                root,
                hidden=name.startswith("."),
                docfile=bool(_DOC_FILES.fullmatch(name)),
                name_note=note,
            )
        if depth >= max_depth and subdirs:
            for d in subdirs:
                reason = (
                    f"{_TOO_DEEP} the limit of {max_depth} levels; its files were not read "
                    "(raise max_depth: ingest --max-depth, or [ingest] max_depth)"
                )
                yield _Input(here / d, display_path(here / d)[0], root, unlisted=reason)
            continue
        stack.extend((here / d, depth + 1) for d in reversed(subdirs))


_TOO_DEEP = "folder nested deeper than"


def _unlisted(exc: OSError, root: Path) -> _Input:
    where = Path(exc.filename) if exc.filename else root
    reason = f"cannot list the folder: {exc.strerror or exc}; its files were not read"
    return _Input(where, display_path(where)[0], root, unlisted=reason)


class _Sidecars:
    """metadata.csv files, loaded once per folder."""

    def __init__(self) -> None:
        self._cache: dict[Path, dict[str, dict[str, str]]] = {}
        self.errors: dict[Path, str] = {}

    def fields_for(self, path: Path, root: Path | None) -> dict[str, str]:
        # The nearest sidecar wins: the file's own folder, then parents up to the root.
        folder = path.parent
        stop = root.resolve() if root else folder.resolve()
        while True:
            table = self._load(folder)
            if table:
                rel = path.relative_to(folder).as_posix()
                if rel in table:
                    return table[rel]
                if path.name in table:
                    return table[path.name]
            if folder.resolve() == stop or folder.parent == folder:
                return {}
            folder = folder.parent

    def table(self, folder: Path) -> dict[str, dict[str, str]]:
        """The sidecar of ``folder`` (file name → fields), empty if none or unusable."""
        return self._load(folder)

    def _load(self, folder: Path) -> dict[str, dict[str, str]]:
        if folder not in self._cache:
            table: dict[str, dict[str, str]] = {}
            sidecar = folder / SIDECAR_NAME
            if sidecar.is_file():
                from govtext.ingest.decode import decode_bytes

                try:
                    table = read_sidecar(sidecar, decode_bytes(sidecar.read_bytes()).text)
                except (ValueError, OSError) as exc:
                    self.errors[sidecar] = str(exc)
            self._cache[folder] = table
        return self._cache[folder]


def _load(item: _Input, options: IngestOptions) -> tuple[str, bytes]:
    """The file's suffix (its reader) and bytes, after the checks that need no reader."""
    if item.path is None:
        # One byte past the limit is enough to know it is over, without holding it all.
        data = sys.stdin.buffer.read(options.max_file_size + 1)
        if len(data) > options.max_file_size:
            raise SkipFile(
                f"standard input is over the {_human(options.max_file_size)} limit; "
                "save it to a file and split it, or raise the limit (max_file_size)"
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
            f"file is {_human(size)}, over the {_human(options.max_file_size)} limit; "
            "split it or raise the limit (max_file_size)"
        )
    try:
        return suffix, path.read_bytes()
    except OSError as exc:
        raise FailFile(f"cannot read the file: {exc.strerror or exc}") from exc


def _fmt_of(item: _Input) -> str:
    """The format a manifest line names before the file is read ('' when unsupported)."""
    return READERS.get(item.path.suffix.lower(), ("", None))[0] if item.path is not None else "txt"


@dataclass(frozen=True)
class ReadTask:
    """One file to read, as an engine worker receives it: the path, or (``data``) its
    bytes when the worker may not see the file (a Dask worker on another machine)."""

    item: _Input
    options: IngestOptions
    data: bytes | None = None
    suffix: str = ""
    part: Part | None = None  # one part of a file read in parts, with its file's plan
    plan: Plan | None = None


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
    fmt = _fmt_of(item)
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


def _plan(item: _Input, options: IngestOptions) -> Plan | None:
    """How to read a large table file in parts (parts.plan_parts), or None: read it
    whole (any other file; one that cannot be cut or decoded throughout; one whose
    size, access or content the whole-file path will report on)."""
    if not _may_have_parts(item, options):
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


def _may_have_parts(item: _Input, options: IngestOptions) -> bool:
    path = item.path
    if path is None or path.suffix.lower() not in PART_FORMATS:
        return False
    try:
        return path.stat().st_size > options.part_bytes and os.access(path, os.R_OK)
    except OSError:
        return False


def _tasks(
    item: _Input, options: IngestOptions, plan: Plan | None, ship_bytes: bool
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
                yield ReadOutcome("failed", _fmt_of(item), reason=str(exc))
                continue
            yield ReadTask(item, options, data, part=part, plan=plan)


def _shipped(item: _Input, options: IngestOptions) -> ReadTask | ReadOutcome:
    """A task carrying the file's bytes (for workers that may not see the file), or the
    outcome when the file is refused before any reader runs."""
    try:
        suffix, data = _load(item, options)
    except SkipFile as exc:
        return ReadOutcome("skipped", _fmt_of(item), reason=str(exc))
    except FailFile as exc:
        return ReadOutcome("failed", _fmt_of(item), reason=str(exc))
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
    message = f"extraction took longer than {seconds:g} s; raise extract_timeout or convert the file"
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


def _human(n: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


_ID_UNSAFE = re.compile(r"[\s#\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]+")
_BASE_MARK = "\x00"


def _file_id(item: _Input, used: set[str]) -> str:
    """The readable base of a file's ids: its stem, else its name, else its path from the root
    (a.txt and a.html in one folder become ``a`` and ``a.html``)."""
    if item.path is None:
        return "stdin"
    shown = Path(item.shown)  # the printable form of the name (ids end up in every output)
    candidates = [shown.stem, shown.name]
    if item.root is not None:
        try:
            candidates.append(display_path(item.path.relative_to(item.root))[0].replace(os.sep, "/"))
        except ValueError:
            pass
    cleaned = [_ID_UNSAFE.sub("_", c) or "doc" for c in candidates]
    base = next((c for c in cleaned if _BASE_MARK + c not in used), cleaned[0])
    used.add(_BASE_MARK + base)  # ids never contain NUL, so markers cannot clash with ids
    return base


def _document(raw: RawDoc, doc_id: str, extra: dict[str, Any], prov: Provenance) -> Document:
    fields = dict(raw.fields)
    fields.update(scrub_fields(extra))  # path fields of a non-UTF-8 name carry surrogates
    core, meta = split_fields(fields)
    date = core.get("date", "")
    if "year" in meta:
        meta["year"] = parse_date(meta["year"])[:4] or meta["year"]
    elif date[:4].isdigit():
        meta["year"] = date[:4]
    return Document(
        doc_id=doc_id,
        text=raw.text,
        title=core.get("title", ""),
        authors=core.get("authors", ()),
        source=core.get("source", ""),
        date=date,
        meta=meta,
        paragraphs=raw.paragraphs,
        provenance=prov,
    )


# Maps a batch function over tasks, results in order: ``Engine.map`` with one file per
# batch, so files are read in the engine's workers while earlier documents are processed.
ReadMap = Callable[
    [Callable[[Sequence[ReadTask | ReadOutcome]], list[ReadOutcome]], Iterator[ReadTask | ReadOutcome]],
    Iterator[ReadOutcome],
]


def iter_documents(
    paths: Sequence[str | Path],
    options: IngestOptions,
    manifest: list[FileRecord],
    *,
    progress: bool = False,
    read_map: ReadMap | None = None,
    ship_bytes: bool = False,
) -> Iterator[Document]:
    """Stream documents file by file, appending one FileRecord per input file to ``manifest``.

    ``read_map`` reads the files elsewhere (see ``ReadMap``; the default reads them here);
    with ``ship_bytes`` the tasks carry the files' bytes, read here, for workers that
    cannot open the paths. Ids and duplicate flags are given here, in corpus order, so
    documents are the same wherever their files were read.
    """
    pattern = compile_path_pattern(options.path_pattern) if options.path_pattern else None
    sidecars = _Sidecars()
    dedup = Deduplicator(options.near_duplicate_threshold)
    used: set[str] = set()
    items = list(_walk(paths, options.recursive, options.max_depth))
    # Standard input is read here whatever the engine (a worker has no stdin).
    # Worth the engine when there is more than one file, or one file to read in parts.
    on_disk = [i for i in items if _to_read(i) and i.path is not None]
    elsewhere = read_map is not None and (
        len(on_disk) > 1 or any(_may_have_parts(i, options) for i in on_disk)
    )
    files = [i for i in items if _to_read(i) and (i.path is not None or not elsewhere)]
    # Files are planned (parts.py) as their tasks are made, ahead of their outcomes.
    plans: dict[int, Plan | None] = {}

    def tasks() -> Iterator[ReadTask | ReadOutcome]:
        for k, item in enumerate(files):
            plans[k] = _plan(item, options)
            yield from _tasks(item, options, plans[k], ship_bytes and elsewhere)

    if elsewhere:
        assert read_map is not None
        outcomes = read_map(read_files, tasks())
    else:
        outcomes = (read_files([t])[0] for t in tasks())
    bar = _progress(len(items)) if progress else None
    k = 0
    try:
        for item in items:
            if bar is not None:
                bar.advance()
            if not _to_read(item):
                yield from _ingest_item(item, None, (), options, pattern, sidecars, dedup, used, manifest)
                continue
            if item.path is None and elsewhere:
                here = iter([read_file(ReadTask(item, options))])
                yield from _ingest_item(item, here, (), options, pattern, sidecars, dedup, used, manifest)
                continue
            first = next(outcomes)  # the file is planned by now
            plan = plans.pop(k)
            k += 1
            parts = plan.parts if plan is not None else ()
            mine = itertools.chain([first], itertools.islice(outcomes, max(len(parts) - 1, 0)))
            yield from _ingest_item(item, mine, parts, options, pattern, sidecars, dedup, used, manifest)
    finally:
        if bar is not None:
            bar.close()


def _to_read(item: _Input) -> bool:
    """Whether the item is a file for a reader (not a manifest line decided by the walk)."""
    if item.missing or item.unlisted or item.linked_dir or item.docfile or item.hidden:
        return False
    return item.path is None or item.path.name != SIDECAR_NAME


def _ingest_item(
    item: _Input,
    outcomes: Iterator[ReadOutcome] | None,
    parts: tuple[Part, ...],
    options: IngestOptions,
    pattern: re.Pattern[str] | None,
    sidecars: _Sidecars,
    dedup: Deduplicator,
    used: set[str],
    manifest: list[FileRecord],
) -> Iterator[Document]:
    shown = item.shown
    if item.missing:
        manifest.append(FileRecord(shown, "failed", "no such file or directory"))
        return
    if item.unlisted:
        # a folder past the depth limit is left out by choice; one that cannot be listed failed
        walk_status: FileStatus = "skipped" if item.unlisted.startswith(_TOO_DEEP) else "failed"
        manifest.append(FileRecord(shown, walk_status, item.unlisted))
        return
    if item.linked_dir:
        reason = "symbolic link to a folder, not followed; name the folder itself to read it"
        manifest.append(FileRecord(shown, "skipped", reason))
        return
    if item.docfile:
        manifest.append(
            FileRecord(
                shown,
                "skipped",
                "a folder's documentation file (README, LICENSE …); name it explicitly to read it",
            )
        )
        return
    if item.hidden:
        kind = "folder" if item.path is not None and item.path.is_dir() else "file"
        manifest.append(FileRecord(shown, "skipped", f"hidden {kind} (name starts with '.' or '__')"))
        return
    if item.path is not None and item.path.name == SIDECAR_NAME:
        sidecars.fields_for(item.path, item.root)  # loads it, recording any error
        err = sidecars.errors.get(item.path)
        if err:
            manifest.append(FileRecord(shown, "failed", f"metadata sidecar unusable: {err}", format="csv"))
        else:
            n = len(sidecars.table(item.path.parent))
            manifest.append(FileRecord(shown, "read", f"metadata sidecar for {n} file(s)", 0, format="csv"))
        return
    assert outcomes is not None
    extra: dict[str, Any] = {}
    if item.path is not None:
        if pattern is not None and item.root is not None:
            try:
                rel = item.path.relative_to(item.root).as_posix()
            except ValueError:
                rel = item.path.as_posix()
            extra.update(fields_from_path(pattern, rel))
        extra.update(sidecars.fields_for(item.path, item.root))
    # A file read in parts (parts.py) is one manifest line like a file read whole: its
    # counts and notes add up, records are numbered across the parts, and a part that
    # could not be read is named in the reason (see the status below).
    fmt, encoding = _fmt_of(item), ""
    notes: list[str] = []
    unread: list[tuple[Part | None, ReadOutcome]] = []
    n_raw = n_docs = n_too_long = longest = scrubbed = n_dups = 0
    base = ""
    # Ids are numbered (name#n) when the file holds more than one record. A file read
    # in parts learns that only as its parts come in, so a first record is held back
    # until a second one appears or the file ends.
    multi = False
    held: list[tuple[int, RawDoc, Fingerprint, str]] = []

    def make(pos: int, raw: RawDoc, fp: Fingerprint, enc: str) -> Document:
        nonlocal base, scrubbed, n_dups
        if not base:
            base = _file_id(item, used)
        scrubbed += raw.n_scrubbed
        own = record_id(raw.fields)
        doc_id = _unique(own or (f"{base}#{pos + 1}" if multi else base), used)
        prov = Provenance(shown, fmt, enc, pos)
        page = {"page": item.path.stem if item.path is not None else base} if raw.from_page else {}
        flags = {"cleaning": "kept_whole"} if raw.kept_whole else {}
        doc = _document(raw, doc_id, {**page, **extra, **flags}, prov)
        dup = dedup.check(doc, fp)
        if dup is not None:
            n_dups += 1
            doc = _with_meta(doc, dup)
        return doc

    whole: list[Document] = []
    for k, outcome in enumerate(outcomes):
        part = parts[k] if parts else None
        fmt = outcome.fmt
        if outcome.status != "read":
            unread.append((part, outcome))
            continue
        result = outcome.result
        assert result is not None and outcome.fingerprints is not None
        encoding = encoding or result.encoding
        notes.extend(result.notes)
        multi = multi or n_raw + len(result.docs) > 1
        prints = iter(outcome.fingerprints)  # one per document within the limit
        kept: list[Document] = []
        if multi and held:  # a second record has come: the first gets its number too
            kept, held = [make(*h) for h in held], []
        for pos, raw in enumerate(result.docs, n_raw):
            if len(raw.text) > options.max_doc_chars:
                # positions (and so ids) of the others stay as if it were there
                n_too_long += 1
                longest = max(longest, len(raw.text))
                continue
            if parts and not multi:
                held.append((pos, raw, next(prints), result.encoding))
                continue
            kept.append(make(pos, raw, next(prints), result.encoding))
        n_raw += len(result.docs)
        n_docs += len(kept)
        if parts:
            yield from kept  # a part at a time; the manifest line follows the last
        else:
            whole = kept  # after the manifest line, as a whole file always was
    if held:  # the file's one record
        n_docs += len(held)
        yield from [make(*h) for h in held]
    if len(unread) == len(parts or [None]):  # nothing was read
        first = next((o for _, o in unread if o.status == "failed"), unread[0][1])
        more = f"; and {len(unread) - 1} other part(s) of the file" if len(unread) > 1 else ""
        manifest.append(FileRecord(shown, first.status, first.reason + more, format=first.fmt))
        return
    if parts:
        notes = merge_notes(notes)
    if not n_raw:
        # the reason a whole read gives (its SkipFile), where the parts' notes tell it
        said = no_text_reason(notes) if parts else None
        if said is not None:
            manifest.append(FileRecord(shown, "skipped", said, format=fmt))
        else:
            manifest.append(FileRecord(shown, "skipped", "no documents found", encoding=encoding, format=fmt))
        return
    if item.name_note:
        notes.append(item.name_note)
    if n_too_long:
        too_long = (
            f"{n_too_long} document(s) over the {options.max_doc_chars:,}-character "
            f"limit left out (longest {longest:,}); split them or raise max_doc_chars"
        )
        if not n_docs:
            manifest.append(FileRecord(shown, "skipped", too_long, encoding=encoding, format=fmt))
            return
        notes.append(too_long)
    if scrubbed:
        notes.append(f"{scrubbed} control character(s) or lone surrogate(s) removed or replaced with U+FFFD")
    if n_dups:
        notes.append(f"{n_dups} duplicate(s) of earlier documents flagged (meta duplicate_of)")
    if parts:
        notes.append(f"read in {len(parts)} parts of about {_human(options.part_bytes)}")
    for part, outcome in unread:
        assert part is not None
        notes.append(f"the part from line {part.first_line} was not read ({outcome.reason})")
    # A part that failed (a time-out, an I/O error) leaves the file failed, though its
    # other parts' documents are kept: a failed file is read again on the next run
    # rather than remembered without the part.
    status: FileStatus = "failed" if any(o.status == "failed" for _, o in unread) else "read"
    manifest.append(FileRecord(shown, status, "; ".join(notes), n_docs, encoding, fmt))
    yield from whole


def _with_meta(doc: Document, extra: dict[str, str]) -> Document:
    from dataclasses import replace

    meta = dict(doc.meta)
    meta.update(extra)
    return replace(doc, meta=meta)


# The columns a record names itself by. A record is the user's unit: its own id is its
# document id in every command (tag, segment, tables, the store), not file#row.
_ID_COLUMNS = ("id", "doc_id", "docid")


def record_id(fields: dict[str, Any]) -> str:
    """The id a record gives itself in an ``id``/``doc_id`` column ('' when it has none).

    >>> record_id({"ID": 17, "text": "…"}), record_id({"title": "x"})
    ('17', '')
    """
    for key, value in fields.items():
        if isinstance(key, str) and key.strip().lower() in _ID_COLUMNS and value not in (None, ""):
            if isinstance(value, float) and value.is_integer():
                value = int(value)  # a spreadsheet's 17 arrives as 17.0
            return scrub(str(value).strip())[0]
    return ""


def _unique(doc_id: str, used: set[str]) -> str:
    candidate, n = doc_id, 1
    while candidate in used:
        n += 1
        candidate = f"{doc_id}~{n}"
    used.add(candidate)
    return candidate


class _Bar:
    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import Progress

        # stderr, so a progress bar never mixes with a table or JSON on stdout
        self._progress = Progress(transient=True, console=Console(stderr=True))
        self._task = self._progress.add_task("ingest", total=total)
        self._progress.start()

    def advance(self) -> None:
        self._progress.advance(self._task)

    def close(self) -> None:
        self._progress.stop()


def _progress(total: int) -> _Bar:
    return _Bar(total)
