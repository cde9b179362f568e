"""Paragraphs of ../shared/corpus and of corpus/, read by reference (never copied).

A paragraph reference names a ``file`` under the shared corpus (or ``corpus/NAME.md``
for the project's own articles), a ``row`` (0 for one-document files; the line of a
JSON Lines file; the data row of a CSV or workbook, 0-based), a ``field`` (the column
that holds the text), a ``paragraph`` index and the ``sha1`` of the paragraph's text,
so a changed corpus fails loudly instead of silently scoring other text.

Paragraphs are the source's own: a provincial report's ``full_text`` split on
newlines; a national or party congress report's ``content`` split on blank lines; a
citizen message or reply split on newlines; the seed page split on newlines; a
project article split on blank lines. A CPPCC proposal's ``content`` has no line
breaks, so it is cut where its own section labels (调研情况：, 问题分析：, 对策建议：)
and numbered points (一、 （一） 1.) begin, the places a coder would see as
paragraph starts. Every paragraph is stripped of surrounding white space.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Where a CPPCC proposal's own structure starts a new paragraph.
_CPPCC_BREAK = re.compile(
    r"(?=(?:调研情况|问题分析|存在问题|主要问题|对策建议|具体建议|意见建议|建议)[：:])"
    r"|(?<=[。；;！？])(?=[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d{1,2}[\.．、](?!\d))"
)


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def split_cppcc(content: str) -> list[str]:
    return [p.strip() for p in _CPPCC_BREAK.split(content)]


@lru_cache(maxsize=8)
def _workbook_rows(path: Path) -> tuple[dict[str, str], ...]:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = [str(h) for h in next(rows)]
    out = []
    for row in rows:
        if row[0] is None:  # the sheets declare ~65,000 rows; data stops at the first empty one
            break
        out.append({h: ("" if v is None else str(v)) for h, v in zip(header, row, strict=False)})
    wb.close()
    return tuple(out)


@lru_cache(maxsize=8)
def _csv_rows(path: Path) -> tuple[dict[str, str], ...]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return tuple(csv.DictReader(fh))


@lru_cache(maxsize=8)
def _jsonl_rows(path: Path) -> tuple[dict, ...]:
    return tuple(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())


def _project_article(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    if text.startswith("---"):
        end = text.find("\n---", 3)
        text = text[end + 4 :] if end >= 0 else text
    return [p.strip() for p in re.split(r"\n\s*\n", text) if not p.strip().startswith("#")]


@lru_cache(maxsize=4096)
def paragraphs(shared: Path, file: str, row: int = 0, field: str = "") -> tuple[str, ...]:
    """Every paragraph of one record, in order (empty ones kept so indexes are stable)."""
    if file.startswith("corpus/"):
        return tuple(_project_article(ROOT / file))
    path = shared / file
    if path.suffix == ".xlsx":
        return tuple(p.strip() for p in _workbook_rows(path)[row][field].split("\n"))
    if path.suffix == ".csv":
        rec = _csv_rows(path)[row]
        if field == "content":  # the CPPCC proposals
            return tuple(split_cppcc(rec[field]))
        return tuple(p.strip() for p in rec[field or "full_text"].split("\n"))
    if path.suffix == ".jsonl":
        content = _jsonl_rows(path)[row]["content"]
        return tuple(p.strip() for p in re.split(r"\n\s*\n", content))
    return tuple(p.strip() for p in path.read_text(encoding="utf-8").split("\n"))


def paragraph(shared: Path, ref: dict) -> str:
    """The paragraph a reference names; raises if the corpus changed under it."""
    text = paragraphs(shared, ref["file"], ref.get("row", 0), ref.get("field", ""))[ref["paragraph"]]
    if sha1(text) != ref["sha1"]:
        raise AssertionError(
            f"devset reference changed: {ref['file']} row {ref.get('row', 0)} paragraph {ref['paragraph']}"
        )
    return text
