"""docs/report.md: its examples run, and it names every format and table the code has."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from report_fixtures import make_doc_term_counts, make_result

from govtext.compare import compare_all
from govtext.report import FORMATS

DOC = Path(__file__).resolve().parents[1] / "docs" / "report.md"
EXAMPLES = re.findall(r"```python\n(# example:.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_report_docs_have_examples() -> None:
    assert EXAMPLES


@pytest.mark.parametrize("code", EXAMPLES, ids=lambda c: c.splitlines()[0][11:40])
def test_report_docs_example_runs(code: str) -> None:
    exec(compile(code, str(DOC), "exec"), {})


def test_report_docs_name_every_format_and_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    for fmt in FORMATS:
        assert f"`{fmt}" in text or f" {fmt}," in text, fmt
    result = make_result()
    for name in compare_all(result, make_doc_term_counts(result.corpus.documents)):
        assert f"`{name}`" in text, name
