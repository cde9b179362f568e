"""The default dictionary on the blind-labelled paragraphs (tests/devset/paragraphs.jsonl).

Two coders labelled every paragraph blind to each other against THEMES.md; disagreements
were adjudicated (reasons kept in the file). The rules were tuned on the ``tune`` part
only; the ``test`` part comes from documents the rules never saw (national reports
1992-2012, congress reports 14-17, half of the CPPCC proposals and of the messages), so
its figures are the ones to quote. The thresholds below guard what the rules reach today
(docs/validity.md has the figures); issue 17's target for the never-tuned part (micro
P >= 0.93, F1 >= 0.90) is not met yet, and these tests do not pretend it is.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "devset"))
import evaluate_paragraphs as ep
from paragraph_units import paragraph

from govtext.documents import Document
from govtext.themes import Matcher, load_dictionary


@pytest.fixture(scope="module")
def refs() -> list[dict]:
    return ep.labelled()


@pytest.fixture(scope="module")
def predicted(shared_corpus: Path, refs: list[dict]) -> list[set[str]]:
    return ep.predict(shared_corpus, refs)


def _part(
    refs: list[dict], pred: list[set[str]], split: str
) -> tuple[list[set[str]], list[set[str]], list[dict]]:
    ix = [i for i, r in enumerate(refs) if r["split"] == split]
    return [set(refs[i]["labels"]) for i in ix], [pred[i] for i in ix], [refs[i] for i in ix]


def test_paragraph_set_is_broad_blind_and_split_by_document(refs: list[dict]) -> None:
    assert len(refs) >= 1500
    genres = Counter(r["genre"] for r in refs)
    assert set(genres) >= {"provincial", "national", "congress", "cppcc", "messages", "seed", "commentary"}
    # every paragraph carries both coders' labels; a disagreement carries its adjudication
    assert all("coder_a" in r and "coder_b" in r for r in refs)
    assert all(r.get("adjudicated") for r in refs if r["coder_a"] != r["coder_b"])
    tune = {(r["file"], r.get("row", 0)) for r in refs if r["split"] == "tune"}
    test = {(r["file"], r.get("row", 0)) for r in refs if r["split"] == "test"}
    assert not tune & test, "a document must sit wholly in one part"
    assert sum(r["split"] == "test" for r in refs) >= 500
    # the file holds references, never the text
    assert all("text" not in r for r in refs)


def test_paragraph_reasons_quote_no_corpus_text(shared_corpus: Path, refs: list[dict]) -> None:
    """Adjudication and review reasons name key words, never a run of the paragraph's text."""
    from adjudicate import COPIED_RUN

    copied = [
        (r["uid"], run)
        for r in refs
        for key in ("adjudicated", "reviewed")
        for run in COPIED_RUN.findall(r.get(key, ""))
        if run in paragraph(shared_corpus, r)
    ]
    assert not copied


def test_paragraph_coders_agree(refs: list[dict]) -> None:
    a = [set(r["coder_a"]) for r in refs]
    b = [set(r["coder_b"]) for r in refs]
    assert ep.score(b, a, ep.THEMES, n_boot=0).f1 >= 0.85
    for t in ep.THEMES:
        assert ep.kappa([t in x for x in a], [t in x for x in b]) >= 0.80, t


def test_paragraph_tune_part(refs: list[dict], predicted: list[set[str]]) -> None:
    gold, pred, _ = _part(refs, predicted, "tune")
    s = ep.score(gold, pred, ep.THEMES, n_boot=0)
    # 0.878 / 0.871 since the third wave (p2201-p2502, 302 tune paragraphs no rule was
    # written against yet, F1 0.73 on their own) joined the part; 0.90 / 0.89 before it;
    # 0.903 / 0.893 after the fourth pass (rules-17b), guarded a little below; the fourth wave
    # (p2503-p2801, F1 0.75 on its own) took the part to 0.882 / 0.877, the fifth pass (rules-17c)
    # back to 0.901 / 0.892
    assert s.precision >= 0.89 and s.f1 >= 0.88, (s.precision, s.recall, s.f1)


def test_paragraph_never_tuned_part(shared_corpus: Path, refs: list[dict], predicted: list[set[str]]) -> None:
    gold, pred, sub = _part(refs, predicted, "test")
    s = ep.score(gold, pred, ep.THEMES, n_boot=0)
    # Floors under today's figures (P 0.77, F1 0.77; issue 17's target of P 0.93, F1 0.90
    # is not met). Since the fifth wave the part is 2003-2012, congresses 16-17 and a
    # quarter of the proposals and messages, 300 of its paragraphs new (docs/validity.md);
    # its office replies were reviewed to the set-wide 诉求办理 standard (P 0.70, F1 0.72 before).
    assert s.precision >= 0.74 and s.f1 >= 0.74, (s.precision, s.recall, s.f1)
    base = ep.score(gold, ep.naive(shared_corpus, sub), ep.THEMES, n_boot=0)
    assert s.f1 >= base.f1 + 0.4
    for genre, g in ep.table(sub, pred, lambda r: r["genre"]).items():
        assert g.f1 >= 0.69, (genre, g.f1)  # lowest today: proposals 0.72


# the look-alikes of THEMES.md: a counted hit whose sentence holds one of these is a trap sprung
TRAPS = {
    "self_governance": re.compile(r"自治区|自治州|自治县|自治旗|高度自治"),
    "co_construction": re.compile(r"一带一路"),
    "shared_benefits": re.compile(r"数据共享|信息共享|共享单车|共享经济"),
    "effectiveness": re.compile(r"企业[^，。；]{0,10}增效|降本增效"),
    "empowerment": re.compile(
        r"(?:产业|企业|经济|制造|人工智能|数字|科技)[^，。；]{0,6}赋能|赋能[^，。；]{0,6}(?:产业|企业|经济|千行百业)"
    ),
}


def test_paragraph_traps_never_sprung_on_the_whole_set(shared_corpus: Path, refs: list[dict]) -> None:
    matcher = Matcher(load_dictionary()).fit()
    sprung = []
    for r in refs:
        for h in matcher.transform(Document(r["uid"], paragraph(shared_corpus, r))):
            trap = TRAPS.get(h.theme)
            if trap and h.theme not in r["labels"] and trap.search(h.sentence):
                sprung.append((r["uid"], h.theme, h.term, h.sentence[:60]))
    assert not sprung


def test_shipped_validity_figures_are_current(
    shared_corpus: Path, refs: list[dict], predicted: list[set[str]]
) -> None:
    """default.validity.json belongs to the shipped dictionary and says what the rules
    reach now: a dictionary edit without `evaluate_paragraphs.py --write` fails here."""
    from govtext.report.page import methods_appendix
    from govtext.themes.dictionary import shipped_validity

    d = load_dictionary()
    v = shipped_validity(d.hash)
    assert v is not None, (
        "refresh: PYTHONPATH=. python tests/devset/evaluate_paragraphs.py --write ../shared/corpus"
    )
    for split in ("tune", "test"):
        gold, pred, _ = _part(refs, predicted, split)
        s = ep.score(gold, pred, ep.THEMES, n_boot=0)
        assert (v[split]["micro"]["tp"], v[split]["micro"]["fp"], v[split]["micro"]["fn"]) == (
            s.tp,
            s.fp,
            s.fn,
        )
    assert shipped_validity("0" * 16) is None

    def line(h: str) -> str:
        info = {"settings": {"dictionary": {"hash": h}}}
        rows = dict(dict(methods_appendix(info))["Theme dictionary"])
        return rows["measured validity"]

    assert f"{v['test']['micro']['precision']:.2f}" in line(d.hash) and "never tuned" in line(d.hash)
    assert "not measured" in line("0" * 16)
