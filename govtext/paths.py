"""Output paths checked before the work starts, and OS errors said in one line.

A report written after minutes of analysis should not fail on a path that was never
usable (``--out afile/sub``, a read-only folder, a full disk); commands call
``check_output_dir`` or ``check_output_file`` first, and map an ``OSError`` met
while writing through ``os_error_message``.

>>> os_error_message(OSError(28, "No space left on device"), "out/report.html")
"cannot write 'out/report.html': the file system is full (ENOSPC); free some space or write elsewhere"
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from govtext.errors import InputError

_REASONS = {
    errno.ENOSPC: "the file system is full (ENOSPC); free some space or write elsewhere",
    errno.EDQUOT: "the disk quota is used up (EDQUOT); free some space or write elsewhere",
    errno.EROFS: "the file system is read-only (EROFS); write elsewhere",
    errno.EACCES: "permission denied; choose a folder you may write to",
    errno.EPERM: "operation not permitted; choose a folder you may write to",
    errno.EISDIR: "it is a folder; give a file name",
    errno.ENOTDIR: "a part of the path is a file, not a folder; choose another path",
    errno.EEXIST: "it already exists; remove it or choose another path",
    errno.ENAMETOOLONG: "the name is too long; choose a shorter path",
    errno.ENOENT: "a folder on the path does not exist; create it first",
}


def os_error_message(exc: OSError, path: str | Path | None = None) -> str:
    """One line: the path and what the OS said, in words, with what to do."""
    where = path if path is not None else exc.filename
    reason = _REASONS.get(exc.errno or 0) or (exc.strerror or str(exc))
    return f"cannot write {str(where)!r}: {reason}" if where is not None else f"cannot write: {reason}"


def _existing_ancestor(path: Path) -> Path:
    """The nearest part of ``path`` that exists; a file on the way is an error."""
    for part in [path, *path.parents]:
        if part.exists() or part.is_symlink():
            return part
    return Path(".")


def _probe(folder: Path, shown: Path) -> None:
    """Create and remove a file in ``folder``: the one test that catches read-only mounts,
    permissions and full disks alike (``os.access`` says yes to root on a read-only
    folder)."""
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".govtext-probe-"):
            pass
    except OSError as exc:
        raise InputError(os_error_message(exc, shown)) from None


def check_output_dir(path: str | Path, *, what: str = "the output folder") -> Path:
    """``path`` as a folder to write into: it is one, or can be made; InputError if not.

    Nothing is created: a failed run leaves no empty folder behind.
    """
    path = Path(path)
    base = _existing_ancestor(path)
    if not base.is_dir():
        if base == path:
            raise InputError(
                f"{what} {str(path)!r} is a file, not a folder; choose a folder path", param="out"
            )
        raise InputError(
            f"{what} {str(path)!r}: {str(base)!r} is a file, not a folder; choose a path under a folder",
            param="out",
        )
    _probe(base, path)
    return path


def check_output_file(path: str | Path, *, what: str = "the output file") -> Path:
    """``path`` as a file to create or replace; InputError for a folder or an unwritable place."""
    path = Path(path)
    if path.is_dir():
        raise InputError(
            f"{what} {str(path)!r} is a folder; give a file name (e.g. {str(path / 'out.txt')!r})",
            param="out",
        )
    parent = path.parent
    base = _existing_ancestor(parent)
    if not base.is_dir():
        raise InputError(
            f"{what} {str(path)!r}: {str(base)!r} is a file, not a folder; choose another path", param="out"
        )
    if base != parent:
        raise InputError(
            f"{what} {str(path)!r}: the folder {str(parent)!r} does not exist; create it first", param="out"
        )
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError(f"{what} {str(path)!r} is read-only; choose another file", param="out")
    _probe(parent, path)
    return path
