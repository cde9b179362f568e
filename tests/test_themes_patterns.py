"""User regexes through RE2: the same matches as Python's ``re`` wherever both run, only
govtext's own error for anything else, and matching bounded on long unpunctuated text."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govtext.documents import Document
from govtext.themes import Matcher
from govtext.themes.matcher import evidence_windows
from govtext.themes.patterns import PatternError, PythonPattern, RE2Pattern, compile_pattern, utf8_safe
from govtext.themes.rules import Framework, Rule, Theme, ThemeDictionary

ALPHABET = [*"ab居民自治，。 \n1２_\u00e9\u3000", "\ud800", "😀"]
TEXT = st.text(alphabet=st.sampled_from(ALPHABET), max_size=60)

ATOM = st.one_of(
    st.sampled_from(
        ["a", "b", "居", "民", "自治", ".", r"\d", r"\s", r"\w", r"\W", r"\S", r"\D", r"\.", "，"]
    ),
    st.sampled_from(["[ab]", "[^，。]", "[a-c居]", r"[\d_]", r"[\w，]", "[^a]"]),
)


def _regex() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, inner).map("".join),
            st.tuples(inner, inner).map(lambda t: f"(?:{t[0]}|{t[1]})"),
            st.tuples(inner, st.sampled_from(["?", "*", "+", "{0,3}", "{2}", "+?", "*?"])).map(
                lambda t: f"(?:{t[0]}){t[1]}"
            ),
            inner.map(lambda x: f"({x})"),
        )

    base = st.recursive(ATOM, extend, max_leaves=6)
    return st.tuples(
        st.sampled_from(["", "(?i)", "(?s)", "(?m)^", "(?a)"]), base, st.sampled_from(["", r"\Z", "b"])
    ).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_regex(), TEXT)
def test_themes_patterns_re2_finds_what_python_re_finds(rx: str, text: str) -> None:
    try:
        pattern = compile_pattern(rx)
    except PatternError:
        return  # refused (e.g. it can match the empty string): nothing to compare
    expected = [(m.start(), m.end()) for m in re.finditer(rx, text)]
    safe = utf8_safe(text) if isinstance(pattern, RE2Pattern) else text
    got = [(s, e) for s, e, _ in pattern.finditer(safe)]
    if "\ud800" in text:  # RE2 never sees the lone surrogate; spans must still be sane
        assert all(0 <= s < e <= len(text) for s, e in got)
        return
    assert got == expected, (rx, text, getattr(pattern, "translated", ""))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_themes_patterns_any_string_compiles_or_gives_pattern_error(rx: str) -> None:
    try:
        pattern = compile_pattern(rx)
    except PatternError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert isinstance(pattern, RE2Pattern | PythonPattern)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_regex(), st.text(max_size=200))
def test_themes_patterns_matcher_spans_inside_text_and_sentence(rx: str, text: str) -> None:
    try:
        compile_pattern(rx)
    except PatternError:
        return
    rule = Rule(id="r", themes=("t",), terms=("自治",), regex=(rx,))
    d = ThemeDictionary(
        [Framework("f", "F", themes=["t"])], {"t": Theme("t", "T", framework="f", rules=(rule,))}
    )
    for hit in Matcher(d, max_sentence_chars=100).fit().transform(Document("d", text)):
        assert 0 <= hit.start < hit.end <= len(text)
        assert hit.sentence_start <= hit.start
        assert (
            hit.sentence[hit.start - hit.sentence_start : hit.end - hit.sentence_start]
            == text[hit.start : hit.end]
        )


@given(st.text(alphabet=st.sampled_from(list("治理，、 \n。ab")), max_size=3000), st.integers(100, 400))
@settings(max_examples=100, deadline=None)
def test_themes_patterns_long_sentences_cut_into_windows(text: str, cap: int) -> None:
    from govtext.sentences import split_sentences

    spans = split_sentences(text)
    windows = evidence_windows(spans, text, cap)
    assert all(b - a <= cap for a, b in windows)
    assert all(a < b and not text[a].isspace() for a, b in windows)
    covered = {i for a, b in windows for i in range(a, b)}
    assert all(i in covered for a, b in spans for i in range(a, b) if not text[i].isspace())


def test_themes_patterns_lookaround_cut_by_time_limit_naming_the_rule(
    caplog: pytest.LogCaptureFixture,
) -> None:
    slow = Rule(id="slow", themes=("t",), regex=("(?<=x)(?:a|aa)+c",), source="my.toml", line=7)
    good = Rule(id="good", themes=("t",), terms=("居民自治",))
    d = ThemeDictionary(
        [Framework("f", "F", themes=["t"])], {"t": Theme("t", "T", framework="f", rules=(slow, good))}
    )
    doc = Document("d", "居民自治。x" + "a" * 3000 + "b")
    hits = Matcher(d, regex_time_limit=0.2).fit().transform(doc)
    assert [h.term for h in hits] == ["居民自治"]  # the good rule's hit kept
    assert "rule 'slow' of theme t (my.toml:7)" in caplog.text and "0.2 s" in caplog.text


def test_themes_patterns_long_unpunctuated_text_is_tagged_in_bounded_time() -> None:
    # 40,000 characters of hits without a full stop: quadratic scopes took minutes; the
    # real figure (under a second) is in bench/bench_long_sentence.py
    code = (
        "from govtext.themes import Matcher; from govtext.documents import Document;"
        "hits = Matcher().fit().transform(Document('d', '基层治理居民自治' * 5000));"
        "assert len(hits) >= 5000; assert max(len(h.sentence) for h in hits) <= 2000"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.parametrize("text", ["0\r", "\r0", "0\n", "\n0 "])
def test_themes_patterns_evidence_holds_a_match_beside_a_break(text: str) -> None:
    # found by the property test above: a regex that takes in the break beside a sentence
    rule = Rule(id="r", themes=("t",), terms=("自治",), regex=(r"\s?0\s?",))
    d = ThemeDictionary(
        [Framework("f", "F", themes=["t"])], {"t": Theme("t", "T", framework="f", rules=(rule,))}
    )
    (hit,) = Matcher(d).fit().transform(Document("d", text))
    offset = hit.start - hit.sentence_start
    assert offset >= 0 and hit.sentence[offset : offset + hit.end - hit.start] == text[hit.start : hit.end]
