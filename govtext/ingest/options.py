"""What ingest may be told: the options of a read and their defaults."""

from __future__ import annotations

from dataclasses import dataclass

from govtext.ingest.parts import DEFAULT_PART_BYTES

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
