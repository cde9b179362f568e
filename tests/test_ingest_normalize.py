"""Property tests: every span of the normalised view maps back exactly to the original."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from govtext.normalize import normalize

# Simplified and traditional CJK, full-width and half-width ASCII, CJK punctuation and the
# whitespace ingest leaves inside paragraphs (space, newline, tab, ideographic space).
ALPHABET = st.sampled_from(
    list("接诉即办自治法治德治共建共享基层社区")
    + list("國語體學會發展經濟關係們這時辦訴")
    + list("ＡＢｃ１２３：，（）")
    + list("abcXYZ019:,.()")
    + list("。，、；：“”《》—…")
    + [" ", "\n", "\t", "\u3000", "  ", " \n "]
)
TEXTS = st.lists(ALPHABET, max_size=60).map("".join)
FLAGS = st.fixed_dictionaries({"fold_width": st.booleans(), "join_cjk_breaks": st.booleans()})


@settings(max_examples=300, deadline=None)
@given(TEXTS, FLAGS, st.booleans())
def test_ingest_normalize_origin_is_increasing_and_drops_only_whitespace(
    text: str, flags: dict, simplify: bool
) -> None:
    view = normalize(text, simplify=simplify, **flags)
    assert len(view.text) == len(view.origin) and view.original_length == len(text)
    assert all(a < b for a, b in zip(view.origin, view.origin[1:], strict=False))
    assert all(0 <= i < len(text) for i in view.origin)
    kept = set(view.origin)
    assert all(text[i].isspace() for i in range(len(text)) if i not in kept)


@settings(max_examples=300, deadline=None)
@given(TEXTS, FLAGS)
def test_ingest_normalize_each_character_comes_from_its_origin(text: str, flags: dict) -> None:
    view = normalize(text, simplify=False, **flags)
    for ch, i in zip(view.text, view.origin, strict=True):
        assert normalize(text[i], simplify=False, **flags).text == ch


@settings(max_examples=300, deadline=None)
@given(TEXTS, FLAGS, st.booleans(), st.data())
def test_ingest_normalize_span_maps_back_exactly(
    text: str, flags: dict, simplify: bool, data: st.DataObject
) -> None:
    view = normalize(text, simplify=simplify, **flags)
    assume(view.text)
    a = data.draw(st.integers(0, len(view.text) - 1))
    b = data.draw(st.integers(a + 1, len(view.text)))
    start, end = view.to_original(a, b)
    assert 0 <= start < end <= len(text)
    # the original slice starts and ends on the characters the view span starts and ends on
    assert start == view.origin[a] and end == view.origin[b - 1] + 1
    assert normalize(text[start:end], simplify=simplify, **flags).text == view.text[a:b]


@settings(max_examples=200, deadline=None)
@given(TEXTS, st.data())
def test_ingest_normalize_empty_spans_map_to_a_position(text: str, data: st.DataObject) -> None:
    view = normalize(text)
    i = data.draw(st.integers(0, len(view.text)))
    start, end = view.to_original(i, i)
    assert start == end
    assert start == (view.origin[i] if i < len(view.text) else len(text))


@settings(max_examples=200, deadline=None)
@given(TEXTS, TEXTS)
def test_ingest_normalize_found_needle_quotes_the_original(prefix: str, suffix: str) -> None:
    # A theme term broken over a line in traditional script is found in the view and the
    # evidence quotes the original characters, line break included.
    original = prefix + "接訴\n即辦" + suffix
    view = normalize(original)
    at = view.text.find("接诉即办")
    assert at >= 0
    start, end = view.to_original(at, at + 4)
    assert normalize(original[start:end]).text == "接诉即办"
    assert len("".join(original[start:end].split())) == 4  # the four characters, whatever lies between
