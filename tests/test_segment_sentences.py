"""Sentence splitting: spans partition the non-blank text."""

from __future__ import annotations

import csv
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from govtext.segment import Segmenter
from govtext.sentences import split_sentences

ALPHABET = st.sampled_from(list("。！？!?；;”’」』）)】》\"'…\n \t\r\u3000ab中文治理"))


def _check_partition(text: str, spans: list[tuple[int, int]]) -> None:
    covered: list[int] = []
    last_end = 0
    for a, b in spans:
        assert last_end <= a < b <= len(text)
        assert not text[a].isspace() and not text[b - 1].isspace()
        covered.extend(i for i in range(a, b) if not text[i].isspace())
        last_end = b
    assert covered == [i for i, ch in enumerate(text) if not ch.isspace()]


@settings(max_examples=500, deadline=None)
@given(st.text(ALPHABET, max_size=60))
def test_segment_sentences_partition_the_non_blank_text(text):
    _check_partition(text, split_sentences(text))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_segment_sentences_partition_any_unicode(text):
    _check_partition(text, split_sentences(text))


@settings(max_examples=300, deadline=None)
@given(st.text(ALPHABET, max_size=60))
def test_segment_sentences_never_cross_a_line_break(text):
    for a, b in split_sentences(text):
        assert "\n" not in text[a:b]


def test_segment_sentences_keep_closing_quotes_and_end_marks():
    text = "一是推进“接诉即办”。二是深化改革！”\n  三是坚持自治；四是……  "
    got = [text[a:b] for a, b in split_sentences(text)]
    assert got == ["一是推进“接诉即办”。", "二是深化改革！”", "三是坚持自治；", "四是……"]


def test_segment_sentences_on_real_reports(provincial_dir: Path):
    for path in sorted(provincial_dir.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as f:
            text = next(csv.DictReader(f))["full_text"]
        spans = split_sentences(text)
        _check_partition(text, spans)
        assert len(spans) > 100, path.name


def test_segment_tokens_carry_sentences_of_the_original_text():
    text = "推进接诉即办。\n坚持党建引领！"
    tok = Segmenter().tokens_of_text(text, "x")
    assert [text[a:b] for a, b in tok.sentences] == ["推进接诉即办。", "坚持党建引领！"]
