"""kwic: occurrences with aligned context and the rule verdict for each."""

from __future__ import annotations

import csv
import io

import pytest

from govtext.concordance import kwic, kwic_csv, kwic_frame
from govtext.documents import Document
from govtext.errors import InputError
from govtext.themes import Matcher


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher().fit()


DOCS = [
    Document("d1", "新疆维吾尔自治区某社区推进居民自治。村里推行自治、法治、德治相结合。"),
    Document("d2", "企业参与共建“一带一路”。这里推动社区共建。"),
]


def test_kwic_term_status_and_context(matcher: Matcher) -> None:
    lines = list(kwic(DOCS, "自治", matcher, width=4))
    assert [(k.doc_id, k.status) for k in lines] == [("d1", "vetoed"), ("d1", "counted"), ("d1", "counted")]
    first = lines[0]
    assert first.left == "维吾尔" or first.left.endswith("维吾尔")
    assert len(first.left) <= 4 and first.right.startswith("区")
    assert DOCS[0].text[first.start : first.end] == "自治"
    assert lines[2].sentence_index == 1 and set(lines[2].themes) == {
        "self_governance",
        "rule_of_law",
        "rule_of_virtue",
    }


def test_kwic_theme_lists_every_candidate(matcher: Matcher) -> None:
    lines = list(kwic(DOCS, "co_construction", matcher))
    verdicts = [(k.match, k.status, k.reason.split("(")[0]) for k in lines]
    # The bare 共建 inside 社区共建 is listed too, as covered by the longer counted match.
    assert verdicts == [
        ("共建", "vetoed", "exclude_near:belt_and_road"),
        ("社区共建", "counted", ""),
        ("共建", "subsumed", "subsumed_by:terms"),
    ]
    named = list(kwic(DOCS, "theme:共建", matcher))
    assert [k.match for k in named] == [k.match for k in lines]
    with pytest.raises(InputError, match="unknown theme"):
        list(kwic(DOCS, "theme:不存在", matcher))


def test_kwic_term_without_rule(matcher: Matcher) -> None:
    lines = list(kwic(DOCS, "企业", matcher))
    assert [k.status for k in lines] == ["no rule"]


def test_kwic_csv_and_frame(matcher: Matcher) -> None:
    lines = list(kwic(DOCS, "自治", matcher))
    text = kwic_csv(lines)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 3 and rows[0]["reason"] == "exclude_overlap:自治区"
    frame = kwic_frame(lines)
    assert list(frame["status"]) == ["vetoed", "counted", "counted"]


def test_kwic_real_autonomous_region_report(matcher: Matcher, provincial_dir) -> None:
    path = next(provincial_dir.glob("*新疆*.csv"))
    with path.open(encoding="utf-8-sig") as fh:
        doc = Document("xj", next(csv.DictReader(fh))["full_text"])
    lines = list(kwic([doc], "自治", matcher))
    assert len(lines) > 20
    # 自治 inside 自治区…条例 may count for rule_of_law (a regulation), never for self-governance.
    admin = [k for k in lines if k.right.startswith(("区", "州", "县", "旗"))]
    assert admin and all("self_governance" not in k.themes for k in admin if k.status == "counted")
    assert sum(k.reason.startswith("exclude_overlap:自治区") for k in lines) > 20
