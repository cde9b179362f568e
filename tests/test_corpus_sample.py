"""The project's own sample corpus (corpus/): shape, front matter and answer key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

REQUIRED_FIELDS = ("title", "author", "source", "date")


def _articles(sample_corpus: Path) -> list[Path]:
    return sorted(p for p in sample_corpus.glob("*.md") if p.name != "README.md")


def _split(path: Path) -> tuple[dict[str, Any], str]:
    """Front matter and body of one article; fails naming the file when the layout is wrong."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        pytest.fail(f"{path}: line 1 must be '---' opening the front matter, got {lines[:1]!r}")
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---")
    except StopIteration:
        pytest.fail(f"{path}: front matter opened on line 1 is never closed by a '---' line")
    try:
        meta = yaml.safe_load("\n".join(lines[1:end]))
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: PyYAML rejects dates like 2022-13-10
        pytest.fail(f"{path}: front matter (lines 2–{end}) is not valid YAML: {exc}")
    if not isinstance(meta, dict):
        pytest.fail(f"{path}: front matter must be a YAML mapping, got {type(meta).__name__}")
    return meta, "\n".join(lines[end + 1 :]).strip()


@pytest.fixture(scope="module")
def parsed(sample_corpus: Path) -> dict[str, tuple[dict[str, Any], str]]:
    return {p.name: _split(p) for p in _articles(sample_corpus)}


def test_corpus_sample_has_eight_to_twelve_articles(sample_corpus: Path) -> None:
    names = [p.name for p in _articles(sample_corpus)]
    assert 8 <= len(names) <= 12, f"expected 8–12 articles in {sample_corpus}, found {len(names)}: {names}"


def test_corpus_sample_front_matter_fields_are_filled(parsed: dict[str, tuple[dict[str, Any], str]]) -> None:
    for name, (meta, _) in parsed.items():
        for field in REQUIRED_FIELDS:
            value = meta.get(field)
            assert value is not None and str(value).strip(), f"{name}: front matter field {field!r} is empty"


def test_corpus_sample_dates_are_iso(parsed: dict[str, tuple[dict[str, Any], str]]) -> None:
    for name, (meta, _) in parsed.items():
        value = meta["date"]
        # PyYAML already turns an unquoted ISO date into a date; a quoted one must still parse.
        if not isinstance(value, dt.date):
            try:
                value = dt.date.fromisoformat(str(value))
            except ValueError:
                pytest.fail(f"{name}: date {meta['date']!r} is not ISO (YYYY-MM-DD)")
        assert 1949 <= value.year <= dt.date.today().year, f"{name}: implausible date {value}"


def test_corpus_sample_spans_sources_and_years(parsed: dict[str, tuple[dict[str, Any], str]]) -> None:
    sources = {str(meta["source"]).strip() for meta, _ in parsed.values()}
    years = {str(meta["date"])[:4] for meta, _ in parsed.values()}
    assert len(sources) >= 2, f"a comparison by source needs at least 2 sources, found {sources}"
    assert len(years) >= 2, f"a comparison by year needs at least 2 years, found {years}"


def test_corpus_sample_bodies_are_long_enough(parsed: dict[str, tuple[dict[str, Any], str]]) -> None:
    for name, (_, body) in parsed.items():
        assert len(body) >= 500, f"{name}: body has {len(body)} characters, expected at least 500"
        paragraphs = [p for p in body.split("\n\n") if p.strip()]
        assert len(paragraphs) >= 4, f"{name}: body has {len(paragraphs)} paragraphs, expected at least 4"


def test_corpus_sample_answer_key_names_every_file(sample_corpus: Path) -> None:
    readme = (sample_corpus / "README.md").read_text(encoding="utf-8")
    missing = [p.name for p in _articles(sample_corpus) if p.name not in readme]
    assert not missing, f"corpus/README.md answer key does not name {missing}"
