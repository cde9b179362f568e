"""Reading development-set passages from ../shared/corpus by reference (never copied).

A reference names a file under the shared corpus, a row (0 for the CSV reports and
the seed page; the line number for the national JSON Lines file), a paragraph and a
sentence within it, and the sha1 of the sentence text, so a changed corpus fails
loudly instead of silently scoring other text.

Paragraphs: a CSV report's ``full_text`` split on newlines; a national report's
``content`` split on blank lines; the seed page split on newlines. Sentences:
``govtext.sentences.split_sentences`` of the paragraph.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path

from govtext.sentences import split_sentences


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=64)
def paragraphs(shared: Path, file: str, row: int) -> tuple[str, ...]:
    path = shared / file
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
        return tuple(rows[row]["full_text"].split("\n"))
    if path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as fh:
            lines = fh.read().splitlines()
        content = json.loads(lines[row])["content"]
        return tuple(re.split(r"\n\s*\n", content))
    return tuple(path.read_text(encoding="utf-8").split("\n"))


def sentences(paragraph: str) -> list[str]:
    return [paragraph[a:b] for a, b in split_sentences(paragraph)]


def unit(shared: Path, ref: dict) -> tuple[str, str, int]:
    """(paragraph text, sentence text, sentence start within the paragraph) of a reference."""
    par = paragraphs(shared, ref["file"], ref.get("row", 0))[ref["paragraph"]]
    a, b = split_sentences(par)[ref["sentence"]]
    return par, par[a:b], a
