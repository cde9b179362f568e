"""Shared fixtures. Real corpora are read from ../shared/corpus beside the project, never copied."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_CORPUS = Path(os.environ.get("GOVTEXT_SHARED_CORPUS", ROOT.parent / "shared" / "corpus"))
SAMPLE_CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def shared_corpus() -> Path:
    """The real corpora (seed page, provincial and national reports) beside the project."""
    if not (SHARED_CORPUS / "seed").is_dir():
        pytest.fail(f"the real corpora are missing: expected {SHARED_CORPUS} (set GOVTEXT_SHARED_CORPUS)")
    return SHARED_CORPUS


@pytest.fixture(scope="session")
def seed_page(shared_corpus: Path) -> Path:
    return next((shared_corpus / "seed").glob("*.txt"))


@pytest.fixture(scope="session")
def provincial_dir(shared_corpus: Path) -> Path:
    return shared_corpus / "provincial-reports-2026"


@pytest.fixture(scope="session")
def national_file(shared_corpus: Path) -> Path:
    return shared_corpus / "national-reports" / "government_work_reports.jsonl"


@pytest.fixture(scope="session")
def sample_corpus() -> Path:
    """The project's own sample articles (written by the project)."""
    return SAMPLE_CORPUS
