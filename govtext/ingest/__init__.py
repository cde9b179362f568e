"""Ingest: files of every common format and encoding to Documents, with a manifest.

>>> from govtext.ingest import read_corpus
>>> corpus = read_corpus(["corpus/"])          # doctest: +SKIP
>>> corpus.manifest()                           # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from govtext.documents import Corpus, Document, FileRecord
from govtext.errors import InputError
from govtext.ingest.core import (
    DEFAULT_EXTRACT_TIMEOUT,
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_DOC_CHARS,
    DEFAULT_MAX_FILE_SIZE,
    IngestOptions,
    ReadMap,
    iter_documents,
)
from govtext.ingest.metadata import compile_path_pattern
from govtext.ingest.parts import DEFAULT_PART_BYTES
from govtext.ingest.readers import READERS
from govtext.ingest.summary import corpus_json, problems, write_manifest

SUPPORTED_SUFFIXES = tuple(sorted(READERS))


def iter_corpus(
    paths: Sequence[str | Path],
    *,
    text_column: str | None = None,
    path_pattern: str | None = None,
    encoding: str | None = None,
    recursive: bool = True,
    progress: bool = False,
    manifest: list[FileRecord],
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    near_duplicate_threshold: float = 0.8,
    max_doc_chars: int = DEFAULT_MAX_DOC_CHARS,
    extract_timeout: float = DEFAULT_EXTRACT_TIMEOUT,
    read_map: ReadMap | None = None,
    ship_bytes: bool = False,
    part_bytes: int = DEFAULT_PART_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Iterator[Document]:
    """Stream the documents of ``paths`` file by file; one FileRecord per input file is
    appended to ``manifest`` as each file is done (so it is complete once the iterator is).

    ``paths`` are files, folders (read recursively unless ``recursive=False``) or ``-`` for
    standard input. Options are those of :func:`read_corpus`. ``read_map`` reads the
    files in parallel, e.g. ``functools.partial(engine.map, batch_size=1)`` of a started
    ``govtext.engine.Engine``; ``ship_bytes`` sends the workers the files' bytes rather
    than their paths (workers on other machines). Documents are the same either way.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    _check_options(path_pattern, encoding, max_file_size, near_duplicate_threshold)
    _check_limits(max_doc_chars, extract_timeout, part_bytes)
    if not isinstance(max_depth, int) or max_depth < 0:
        raise InputError(
            f"must be a number of folder levels (0 or more). Got {max_depth!r} instead.", param="max_depth"
        )
    options = IngestOptions(
        text_column=text_column,
        path_pattern=path_pattern,
        encoding=encoding,
        recursive=recursive,
        max_file_size=max_file_size,
        near_duplicate_threshold=near_duplicate_threshold,
        max_doc_chars=max_doc_chars,
        extract_timeout=extract_timeout,
        part_bytes=part_bytes,
        max_depth=max_depth,
    )
    return iter_documents(
        paths, options, manifest, progress=progress, read_map=read_map, ship_bytes=ship_bytes
    )


def _check_options(
    path_pattern: str | None, encoding: str | None, max_file_size: int, threshold: float
) -> None:
    """Option errors are the caller's to fix, so they raise before any file is read."""
    import codecs

    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(
                f"must be a Python codec name such as gb18030 or utf-8. Got {encoding!r} instead.",
                param="encoding",
            ) from None
    if path_pattern is not None:
        try:
            compile_path_pattern(path_pattern)
        except ValueError as exc:
            raise InputError(str(exc), param="path_pattern") from None
    if max_file_size <= 0:
        raise InputError(
            f"must be a positive number of bytes. Got {max_file_size!r} instead.", param="max_file_size"
        )
    if not 0 < threshold <= 1.01:
        raise InputError(f"must be in (0, 1]. Got {threshold!r} instead.", param="near_duplicate_threshold")


def _check_limits(max_doc_chars: int, extract_timeout: float, part_bytes: int) -> None:
    if not isinstance(part_bytes, int) or part_bytes <= 0:
        raise InputError(
            f"must be a positive number of bytes. Got {part_bytes!r} instead.", param="part_bytes"
        )
    if not isinstance(max_doc_chars, int) or max_doc_chars <= 0:
        raise InputError(
            f"must be a positive number of characters. Got {max_doc_chars!r} instead.", param="max_doc_chars"
        )
    if not extract_timeout > 0:
        raise InputError(
            f"must be a positive number of seconds. Got {extract_timeout!r} instead.", param="extract_timeout"
        )


def read_corpus(
    paths: Sequence[str | Path],
    *,
    text_column: str | None = None,
    path_pattern: str | None = None,
    encoding: str | None = None,
    recursive: bool = True,
    progress: bool = False,
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    near_duplicate_threshold: float = 0.8,
    max_doc_chars: int = DEFAULT_MAX_DOC_CHARS,
    extract_timeout: float = DEFAULT_EXTRACT_TIMEOUT,
    part_bytes: int = DEFAULT_PART_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Corpus:
    """Read files and folders into a :class:`Corpus` whose ``files`` account for every input.

    - ``text_column``: the column holding the text in CSV/TSV/XLSX/JSON(L) (else detected).
    - ``path_pattern``: metadata from paths, e.g. ``'{province}/{year}.txt'``.
    - ``encoding``: force a code page for text files (else detected per file).
    - ``part_bytes``: JSON Lines, CSV and TSV files larger than this (default 16 MB)
      are read in parts of about this size, a part at a time (or one per engine worker), with the
      encoding and text column decided from the file's first megabyte (the whole file
      must decode in that encoding, else it is read whole); they have no size limit.
    - ``max_file_size``: bytes (default 200 MB); larger files (other than those read in
      parts) are skipped with a reason, and a
      .docx/.xlsx that would unpack to more is refused (zip bombs).
    - ``max_doc_chars``: characters of one document (default 2,000,000); longer documents
      are left out with a reason in the manifest.
    - ``extract_timeout``: seconds one file may take to extract (default 120); a slower
      file is reported failed and the run goes on.
    - ``max_depth``: folder levels read below a named folder (default 64); deeper folders
      are reported skipped, never a crash (a bad unzip can nest thousands deep).
    - ``near_duplicate_threshold``: Jaccard similarity of character shingles above which a
      document is flagged ``duplicate_of`` an earlier one (never dropped).
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    manifest: list[FileRecord] = []
    docs = list(
        iter_corpus(
            paths,
            text_column=text_column,
            path_pattern=path_pattern,
            encoding=encoding,
            recursive=recursive,
            progress=progress,
            manifest=manifest,
            max_file_size=max_file_size,
            near_duplicate_threshold=near_duplicate_threshold,
            max_doc_chars=max_doc_chars,
            extract_timeout=extract_timeout,
            part_bytes=part_bytes,
            max_depth=max_depth,
        )
    )
    return Corpus(documents=docs, files=manifest)


__all__ = [
    "DEFAULT_EXTRACT_TIMEOUT",
    "DEFAULT_MAX_DOC_CHARS",
    "DEFAULT_MAX_FILE_SIZE",
    "SUPPORTED_SUFFIXES",
    "IngestOptions",
    "corpus_json",
    "iter_corpus",
    "problems",
    "read_corpus",
    "write_manifest",
]
