"""Choosing and marking evidence sentences."""

from __future__ import annotations

import pandas as pd

from govtext.report.evidence import doc_anchor, excerpt, highlight, markdown_highlight, select_evidence


def _hit(doc: str, si: int, sentence: str, term: str, theme: str = "complaint_response") -> dict[str, object]:
    start = 100 * si
    pos = sentence.index(term)
    return {
        "doc_id": doc,
        "theme": theme,
        "name": "接诉即办",
        "term": term,
        "char_start": start + pos,
        "char_end": start + pos + len(term),
        "sentence_index": si,
        "sentence": sentence,
        "sentence_start": start,
    }


def test_report_evidence_prefers_distinct_terms_and_one_per_document() -> None:
    a0 = "街道把接诉即办和未诉先办结合起来，居民反映的问题当天有人回应并且跟踪到底。"
    a1 = "热线接诉即办的工作量很大，接诉即办平台每天汇总诉求，再分派给各个部门处理。"
    b0 = "社区实行接诉即办，居民反映的停车难题一周之内得到了解决，大家都很满意这次的办理。"
    hits = pd.DataFrame(
        [
            _hit("a", 0, a0, "接诉即办"),
            _hit("a", 0, a0, "未诉先办"),
            _hit("a", 1, a1, "接诉即办"),
            {
                **_hit("a", 1, a1, "接诉即办"),
                "char_start": 100 + a1.rindex("接诉即办"),
                "char_end": 104 + a1.rindex("接诉即办"),
            },
            _hit("b", 0, b0, "接诉即办"),
        ]
    )
    ev = select_evidence(hits, pd.Series({"a": "北京", "b": "北京"}), per_cell=3)
    assert list(ev["doc_id"]) == ["a", "b", "a"]  # best of a, then b, then a's second sentence
    assert list(ev["sentence_index"]) == [0, 0, 1]
    assert list(ev["rank"]) == [1, 2, 3]
    assert ev.iloc[0]["terms"] == "接诉即办、未诉先办"
    first = ev.iloc[0]
    marked = [first["excerpt"][a:b] for a, b in first["spans"]]
    assert marked == ["接诉即办", "未诉先办"]
    assert select_evidence(hits, pd.Series({"a": "北京", "b": "北京"}), per_cell=1)["doc_id"].tolist() == [
        "a"
    ]


def test_report_evidence_drops_repeated_sentences() -> None:
    s = "推行接诉即办，群众诉求件件有回音，这是一句在两篇文章里都出现的句子。"
    hits = pd.DataFrame([_hit("a", 0, s, "接诉即办"), _hit("b", 0, s, "接诉即办")])
    ev = select_evidence(hits, pd.Series({"a": "g", "b": "g"}))
    assert len(ev) == 1


def test_report_evidence_excerpt_cuts_long_sentences_around_the_match() -> None:
    sentence = "前" * 300 + "吹哨报到" + "后" * 300
    text, spans = excerpt(sentence, [(300, 304)], max_chars=100)
    assert text.startswith("…") and text.endswith("…") and len(text) == 102
    assert [text[a:b] for a, b in spans] == ["吹哨报到"]


def test_report_evidence_highlight_escapes_everything_but_mark() -> None:
    html = str(highlight('<b>"接诉即办"</b>&', [(4, 8)]))
    assert html == "&lt;b&gt;&#34;<mark>接诉即办</mark>&#34;&lt;/b&gt;&amp;"
    md = markdown_highlight("*接诉即办* | <x>", [(1, 5)])
    assert md == "\\***接诉即办**\\* \\| &lt;x&gt;"


def test_report_evidence_anchor_is_a_safe_id() -> None:
    assert doc_anchor("2026_北京 市/1") == "doc-2026_5f__5317__4eac__20__5e02__2f_1"
    assert doc_anchor("abc-1") == "doc-abc-1"
    # Distinct ids, distinct anchors (an escaped space is not a literal "_20").
    ids = ["a _20", "a_20", "a 20", "a__20", "a_20_"]
    assert len({doc_anchor(i) for i in ids}) == len(ids)
