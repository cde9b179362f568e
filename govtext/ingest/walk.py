"""The walk: every input path the user named, and every entry of the folders among
them, in an order that does not depend on the file system; and the signature of what
a walk meets, without opening a file."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govtext.errors import setting
from govtext.ingest.metadata import SIDECAR_NAME
from govtext.ingest.options import DEFAULT_MAX_DEPTH, IngestOptions

STDIN = "-"


@dataclass(frozen=True)
class InputPath:
    """One entry the walk met: a file to read, or a manifest line it decides itself."""

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


def walk(
    paths: Sequence[str | Path], recursive: bool, max_depth: int = DEFAULT_MAX_DEPTH
) -> Iterator[InputPath]:
    for given in paths:
        if str(given) == STDIN:
            yield InputPath(None, STDIN, None)
            continue
        p = Path(given)
        shown, note = display_path(p)
        if p.is_dir():
            yield from _walk_dir(p, recursive, max_depth)
        elif p.exists():
            yield InputPath(p, shown, p.parent, name_note=note)
        else:
            yield InputPath(p, shown, None, missing=True, name_note=note)


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
    for item in walk(paths, options.recursive, options.max_depth):
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


def _walk_dir(root: Path, recursive: bool, max_depth: int = DEFAULT_MAX_DEPTH) -> Iterator[InputPath]:
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
            yield InputPath(here / d, str(here / d), root, hidden=True)
        for d in linked:  # not followed (loops); said rather than left silent
            yield InputPath(here / d, str(here / d), root, linked_dir=True)
        for name in sorted(files):
            shown, note = display_path(here / name)
            yield InputPath(
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
                    f"{TOO_DEEP} the limit of {max_depth} levels; its files were not read "
                    f"(raise {setting('max_depth')} to read them)"
                )
                yield InputPath(here / d, display_path(here / d)[0], root, unlisted=reason)
            continue
        stack.extend((here / d, depth + 1) for d in reversed(subdirs))


TOO_DEEP = "folder nested deeper than"


def _unlisted(exc: OSError, root: Path) -> InputPath:
    where = Path(exc.filename) if exc.filename else root
    reason = f"cannot list the folder: {exc.strerror or exc}; its files were not read"
    return InputPath(where, display_path(where)[0], root, unlisted=reason)


def to_read(item: InputPath) -> bool:
    """Whether the item is a file for a reader (not a manifest line decided by the walk)."""
    if item.missing or item.unlisted or item.linked_dir or item.docfile or item.hidden:
        return False
    return item.path is None or item.path.name != SIDECAR_NAME
