"""Every public table of a run, and a check that each exports to Stata and R unchanged.

Tables follow tidy-data conventions: one row per observation, the grouping field under
its own name (``province``, ``year``, ``type``), theme id (``theme``) beside its Chinese
name (``name``), counts as integers, shares as floats, years as ``Int64``, a missing
value as NA. Their column names are what Stata and R accept as they are: an ASCII
letter then letters, digits or underscores, at most 32 characters, no reserved word
(``end`` is one in Stata, whose ``to_stata`` would rename it ``_end``).

>>> import pandas as pd
>>> column_problems(pd.DataFrame({"start": [1], "end": [2], "年份": [2022]}))
["column 'end' is a reserved word in Stata or R", "column '年份' is not an ASCII name (a letter, then letters, digits or _)"]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govtext.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MAX_NAME", "RESERVED", "check_tables", "column_problems", "public_tables", "to_stata"]

MAX_NAME = 32  # Stata's limit on a variable name
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")

# Stata's reserved names ([U] 11.3) and Mata's reserved words (those pandas' to_stata
# renames), and R's reserved words (?Reserved, plus `in`, which the parser refuses).
_STATA = {"_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long", "_n",
          "_N", "_pi", "_pred", "_rc", "_skip", "strL", "using", "with"}  # fmt: skip
_MATA = {"aggregate", "array", "boolean", "break", "byte", "case", "catch", "class", "colvector",
         "complex", "const", "continue", "default", "delegate", "delete", "do", "double", "else",
         "eltypedef", "end", "enum", "explicit", "export", "external", "float", "for", "friend",
         "function", "global", "goto", "if", "inline", "int", "local", "long", "NULL", "pragma",
         "protected", "quad", "rowvector", "short", "typedef", "typename", "virtual", "_all", "_N",
         "_skip", "_b", "_pi", "in", "_pred", "strL", "_coef", "_cons", "_se", "with", "_n"}  # fmt: skip
_R = {"if", "else", "repeat", "while", "function", "for", "next", "break", "TRUE", "FALSE", "NULL",
      "Inf", "NaN", "NA", "NA_integer_", "NA_real_", "NA_character_", "NA_complex_", "in"}  # fmt: skip
RESERVED = frozenset(_STATA | _MATA | _R)
_STR_TYPE = re.compile(r"str[0-9]+")  # Stata's str1 … str2045 are type names


def column_problems(frame: pd.DataFrame) -> list[str]:
    """What keeps ``frame``'s column names from going to Stata and R unchanged: one
    message per bad column (not text, not an ASCII identifier, too long, reserved,
    repeated), or an empty list."""
    problems: list[str] = []
    seen: set[str] = set()
    for col in frame.columns:
        if not isinstance(col, str):
            problems.append(f"column {col!r} is a {type(col).__name__}, not a name")
            continue
        if not _NAME.fullmatch(col):
            problems.append(f"column {col!r} is not an ASCII name (a letter, then letters, digits or _)")
        elif len(col) > MAX_NAME:
            problems.append(f"column {col!r} has {len(col)} characters; Stata allows {MAX_NAME}")
        elif col in RESERVED or _STR_TYPE.fullmatch(col):
            problems.append(f"column {col!r} is a reserved word in Stata or R")
        if col in seen:
            problems.append(f"column {col!r} appears twice")
        seen.add(col)
    return problems


def check_tables(tables: Mapping[str, pd.DataFrame]) -> None:
    """Raise InputError naming every table column that Stata or R would not keep as it is.

    The names come from govtext, and from your data for the grouping field and the
    documents' metadata: rename those (``documents.rename(columns=...)``) if this fails.
    """
    found = [f"{name}: {p}" for name, frame in tables.items() for p in column_problems(frame)]
    if found:
        raise InputError(
            f"{len(found)} column name(s) would not survive export to Stata or R: {'; '.join(found)}; "
            f"use ASCII names of at most {MAX_NAME} characters that are no reserved word"
        )


STATA_STR_BYTES = 2045  # the longest fixed-width string of a version 118 .dta file


def to_stata(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as a Stata 118 (Unicode) file, every column under its own name.

    ``frame.to_stata(path, version=118, write_index=False)`` does the same for most
    tables; this also writes text longer than 2,045 bytes (evidence sentences) as
    ``strL``, and a text column with no value at all (the theme of topics none of which is
    named) as empty strings, Stata's missing string, where pandas refuses it. A column
    name Stata would not keep raises InputError instead of being renamed.
    """
    from pandas.api.types import is_object_dtype, is_string_dtype

    check_tables({Path(path).stem: frame})
    out = frame.copy()
    long = []
    for col in out.columns:
        if not (is_object_dtype(out[col]) or is_string_dtype(out[col])):
            continue
        present = out[col].dropna()
        if not len(present):
            out[col] = [""] * len(out)
        elif present.map(lambda v: len(str(v).encode("utf-8"))).max() > STATA_STR_BYTES:
            long.append(col)
    out.to_stata(path, version=118, write_index=False, convert_strl=long)
    return Path(path)


def public_tables(data: Any) -> dict[str, pd.DataFrame]:
    """Every table a run (``RunResult``) or a ``Tagged`` offers, by name.

    A run gives ``documents``, ``hits``, ``scores``, ``themes``, ``files`` (the manifest)
    and its comparison tables (``theme_density``, ``keyness``, ...); a ``Tagged``
    gives ``documents``, ``scores``, ``hits`` and ``paragraphs``.
    """
    import pandas as pd

    out: dict[str, pd.DataFrame] = {}
    for name in ("documents", "hits", "scores", "themes", "paragraphs"):
        frame = getattr(data, name, None)
        if isinstance(frame, pd.DataFrame):
            out[name] = frame
    corpus = getattr(data, "corpus", None)
    if corpus is not None and getattr(corpus, "files", None):
        out["files"] = corpus.manifest()
    for name, frame in (getattr(data, "tables", None) or {}).items():
        if not any(frame is seen for seen in out.values()):  # the run's hits and scores again
            out[name] = frame
    return out
