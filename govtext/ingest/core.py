"""The assembler: walk the inputs, read each file, give documents ids, keep the manifest.

Every input path ends up as exactly one :class:`FileRecord` (read, skipped or failed,
with a reason); a file that breaks its reader never stops the others. The walk is in
``walk.py``, reading one file (an engine task) in ``tasks.py``; their public names
are importable from here as before.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from govtext.documents import Document, FileRecord, FileStatus, Provenance
from govtext.errors import setting
from govtext.ingest.clean import scrub, scrub_fields
from govtext.ingest.dedup import Deduplicator, Fingerprint
from govtext.ingest.metadata import (
    SIDECAR_NAME,
    compile_path_pattern,
    fields_from_path,
    parse_date,
    read_sidecar,
    split_fields,
)
from govtext.ingest.options import (
    DEFAULT_EXTRACT_TIMEOUT,
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_DOC_CHARS,
    DEFAULT_MAX_FILE_SIZE,
    IngestOptions,
)
from govtext.ingest.parts import Part, Plan, merge_notes
from govtext.ingest.raw import RawDoc
from govtext.ingest.tables import no_text_reason
from govtext.ingest.tasks import (
    ReadOutcome,
    ReadTask,
    file_tasks,
    fmt_of,
    human_size,
    may_have_parts,
    plan_reading,
    read_file,
    read_files,
    run_with_deadline,
)
from govtext.ingest.walk import STDIN, TOO_DEEP, InputPath, display_path, input_signature, to_read, walk

__all__ = [
    "DEFAULT_EXTRACT_TIMEOUT",
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_DOC_CHARS",
    "DEFAULT_MAX_FILE_SIZE",
    "STDIN",
    "IngestOptions",
    "ReadMap",
    "ReadOutcome",
    "ReadTask",
    "display_path",
    "input_signature",
    "iter_documents",
    "read_file",
    "read_files",
    "record_id",
    "run_with_deadline",
]


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


_ID_UNSAFE = re.compile(r"[\s#\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]+")
_BASE_MARK = "\x00"


def _file_id(item: InputPath, used: set[str]) -> str:
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
    items = list(walk(paths, options.recursive, options.max_depth))
    # Standard input is read here whatever the engine (a worker has no stdin).
    # Worth the engine when there is more than one file, or one file to read in parts.
    on_disk = [i for i in items if to_read(i) and i.path is not None]
    elsewhere = read_map is not None and (
        len(on_disk) > 1 or any(may_have_parts(i, options) for i in on_disk)
    )
    files = [i for i in items if to_read(i) and (i.path is not None or not elsewhere)]
    # Files are planned (parts.py) as their tasks are made, ahead of their outcomes.
    plans: dict[int, Plan | None] = {}

    def tasks() -> Iterator[ReadTask | ReadOutcome]:
        for k, item in enumerate(files):
            plans[k] = plan_reading(item, options)
            yield from file_tasks(item, options, plans[k], ship_bytes and elsewhere)

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
            if not to_read(item):
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


def _ingest_item(
    item: InputPath,
    outcomes: Iterator[ReadOutcome] | None,
    parts: tuple[Part, ...],
    options: IngestOptions,
    pattern: re.Pattern[str] | None,
    sidecars: _Sidecars,
    dedup: Deduplicator,
    used: set[str],
    manifest: list[FileRecord],
) -> Iterator[Document]:
    """The documents of one input path, its manifest line appended: before them for a
    file read whole, after them for one read in parts (a part's documents come as it
    is read)."""
    if not to_read(item):
        manifest.append(_walk_record(item, sidecars))
        return
    assert outcomes is not None
    found = _FileDocuments(item, options, _extra_fields(item, pattern, sidecars), dedup, used, parts)
    whole: list[Document] = []
    for k, outcome in enumerate(outcomes):
        kept = found.take(outcome, parts[k] if parts else None)
        if parts:
            yield from kept  # a part at a time; the manifest line follows the last
        else:
            whole = kept  # after the manifest line, as a whole file always was
    yield from found.held_back()
    manifest.append(found.record())
    yield from whole


def _walk_record(item: InputPath, sidecars: _Sidecars) -> FileRecord:
    """The manifest line of an entry the walk decided on (no reader runs for it)."""
    shown = item.shown
    if item.missing:
        return FileRecord(shown, "failed", "no such file or directory")
    if item.unlisted:
        # a folder past the depth limit is left out by choice; one that cannot be listed failed
        walk_status: FileStatus = "skipped" if item.unlisted.startswith(TOO_DEEP) else "failed"
        return FileRecord(shown, walk_status, item.unlisted)
    if item.linked_dir:
        reason = "symbolic link to a folder, not followed; name the folder itself to read it"
        return FileRecord(shown, "skipped", reason)
    if item.docfile:
        return FileRecord(
            shown,
            "skipped",
            "a folder's documentation file (README, LICENSE …); name it explicitly to read it",
        )
    if item.hidden:
        kind = "folder" if item.path is not None and item.path.is_dir() else "file"
        return FileRecord(shown, "skipped", f"hidden {kind} (name starts with '.' or '__')")
    assert item.path is not None and item.path.name == SIDECAR_NAME
    sidecars.fields_for(item.path, item.root)  # loads it, recording any error
    err = sidecars.errors.get(item.path)
    if err:
        return FileRecord(shown, "failed", f"metadata sidecar unusable: {err}", format="csv")
    n = len(sidecars.table(item.path.parent))
    return FileRecord(shown, "read", f"metadata sidecar for {n} file(s)", 0, format="csv")


def _extra_fields(item: InputPath, pattern: re.Pattern[str] | None, sidecars: _Sidecars) -> dict[str, Any]:
    """The fields a file's path (``path_pattern``) and its metadata sidecar give it."""
    extra: dict[str, Any] = {}
    if item.path is not None:
        if pattern is not None and item.root is not None:
            try:
                rel = item.path.relative_to(item.root).as_posix()
            except ValueError:
                rel = item.path.as_posix()
            extra.update(fields_from_path(pattern, rel))
        extra.update(sidecars.fields_for(item.path, item.root))
    return extra


class _FileDocuments:
    """The documents of one file as its read outcomes come in (one, or one per part),
    and the counts and notes of its manifest line.

    A file read in parts (parts.py) is one manifest line like a file read whole: its
    counts and notes add up, records are numbered across the parts, and a part that
    could not be read is named in the reason (see the status in ``record``).
    """

    def __init__(
        self,
        item: InputPath,
        options: IngestOptions,
        extra: dict[str, Any],
        dedup: Deduplicator,
        used: set[str],
        parts: tuple[Part, ...],
    ) -> None:
        self.item, self.options, self.extra, self.parts = item, options, extra, parts
        self.dedup, self.used = dedup, used
        self.fmt, self.encoding = fmt_of(item), ""
        self.notes: list[str] = []
        self.unread: list[tuple[Part | None, ReadOutcome]] = []
        self.n_raw = self.n_docs = self.n_too_long = self.longest = self.scrubbed = self.n_dups = 0
        self.base = ""
        # Ids are numbered (name#n) when the file holds more than one record. A file read
        # in parts learns that only as its parts come in, so a first record is held back
        # until a second one appears or the file ends.
        self.multi = False
        self.held: list[tuple[int, RawDoc, Fingerprint, str]] = []

    def take(self, outcome: ReadOutcome, part: Part | None) -> list[Document]:
        """The documents of one outcome (none from one that was not read)."""
        self.fmt = outcome.fmt
        if outcome.status != "read":
            self.unread.append((part, outcome))
            return []
        result = outcome.result
        assert result is not None and outcome.fingerprints is not None
        self.encoding = self.encoding or result.encoding
        self.notes.extend(result.notes)
        self.multi = self.multi or self.n_raw + len(result.docs) > 1
        prints = iter(outcome.fingerprints)  # one per document within the limit
        kept: list[Document] = []
        if self.multi and self.held:  # a second record has come: the first gets its number too
            kept, self.held = [self._make(*h) for h in self.held], []
        for pos, raw in enumerate(result.docs, self.n_raw):
            if len(raw.text) > self.options.max_doc_chars:
                # positions (and so ids) of the others stay as if it were there
                self.n_too_long += 1
                self.longest = max(self.longest, len(raw.text))
                continue
            if self.parts and not self.multi:
                self.held.append((pos, raw, next(prints), result.encoding))
                continue
            kept.append(self._make(pos, raw, next(prints), result.encoding))
        self.n_raw += len(result.docs)
        self.n_docs += len(kept)
        return kept

    def held_back(self) -> list[Document]:
        """The file's one record, when it was held back to the end (a file read in parts)."""
        held, self.held = self.held, []
        self.n_docs += len(held)
        return [self._make(*h) for h in held]

    def _make(self, pos: int, raw: RawDoc, fp: Fingerprint, enc: str) -> Document:
        item = self.item
        if not self.base:
            self.base = _file_id(item, self.used)
        self.scrubbed += raw.n_scrubbed
        own = record_id(raw.fields)
        doc_id = _unique(own or (f"{self.base}#{pos + 1}" if self.multi else self.base), self.used)
        prov = Provenance(item.shown, self.fmt, enc, pos)
        page = {"page": item.path.stem if item.path is not None else self.base} if raw.from_page else {}
        flags = {"cleaning": "kept_whole"} if raw.kept_whole else {}
        doc = _document(raw, doc_id, {**page, **self.extra, **flags}, prov)
        dup = self.dedup.check(doc, fp)
        if dup is not None:
            self.n_dups += 1
            doc = _with_meta(doc, dup)
        return doc

    def record(self) -> FileRecord:
        """The file's manifest line, once every outcome is in."""
        shown, parts, unread, fmt, encoding = (
            self.item.shown,
            self.parts,
            self.unread,
            self.fmt,
            self.encoding,
        )
        if len(unread) == len(parts or [None]):  # nothing was read
            first = next((o for _, o in unread if o.status == "failed"), unread[0][1])
            more = f"; and {len(unread) - 1} other part(s) of the file" if len(unread) > 1 else ""
            return FileRecord(shown, first.status, first.reason + more, format=first.fmt)
        notes = merge_notes(self.notes) if parts else self.notes
        if not self.n_raw:
            # the reason a whole read gives (its SkipFile), where the parts' notes tell it
            said = no_text_reason(notes) if parts else None
            if said is not None:
                return FileRecord(shown, "skipped", said, format=fmt)
            return FileRecord(shown, "skipped", "no documents found", encoding=encoding, format=fmt)
        if self.item.name_note:
            notes.append(self.item.name_note)
        if self.n_too_long:
            too_long = (
                f"{self.n_too_long} document(s) over the {self.options.max_doc_chars:,}-character "
                f"limit left out (longest {self.longest:,}); split them or raise {setting('max_doc_chars')}"
            )
            if not self.n_docs:
                return FileRecord(shown, "skipped", too_long, encoding=encoding, format=fmt)
            notes.append(too_long)
        if self.scrubbed:
            notes.append(
                f"{self.scrubbed} control character(s) or lone surrogate(s) removed or replaced with U+FFFD"
            )
        if self.n_dups:
            notes.append(f"{self.n_dups} duplicate(s) of earlier documents flagged (meta duplicate_of)")
        if parts:
            notes.append(f"read in {len(parts)} parts of about {human_size(self.options.part_bytes)}")
        for part, outcome in unread:
            assert part is not None
            notes.append(f"the part from line {part.first_line} was not read ({outcome.reason})")
        # A part that failed (a time-out, an I/O error) leaves the file failed, though its
        # other parts' documents are kept: a failed file is read again on the next run
        # rather than remembered without the part.
        status: FileStatus = "failed" if any(o.status == "failed" for _, o in unread) else "read"
        return FileRecord(shown, status, "; ".join(notes), self.n_docs, encoding, fmt)


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
