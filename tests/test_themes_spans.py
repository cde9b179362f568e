"""Property: whatever width, script or line breaks the original uses, a hit quotes its span."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from govtext.documents import Document
from govtext.normalize import normalize
from govtext.themes import Matcher

MATCHER = Matcher().fit()
PIECES = [
    "村民自治",
    "依法行政",
    "接訴即辦",
    "共建共治共享",
    "１２３４５热线",
    "为基层减负赋能",
    "广西壮族自治区",
    "党建引领",
    "议事协商",
]
NOISE = ["，", "。", "\n", "　", " ", "今年", "的", "abc", "Ａ", "、"]


def _garble(piece: str, breaks: list[int]) -> str:
    # A line break (with indentation) inside a CJK term, as scraped pages do.
    for pos in sorted({b % len(piece) for b in breaks if b % len(piece)}, reverse=True):
        piece = piece[:pos] + "\n  " + piece[pos:]
    return piece


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(PIECES), st.sampled_from(NOISE), st.lists(st.integers(0, 8), max_size=2)),
        min_size=1,
        max_size=8,
    )
)
def test_themes_spans_quote_the_original(parts: list[tuple[str, str, list[int]]]) -> None:
    text = "".join(_garble(p, b) + n for p, n, b in parts)
    doc = Document("h", text)
    for hit in MATCHER.transform(doc):
        original = text[hit.start : hit.end]
        assert normalize(original).text == hit.term
        assert not original[:1].isspace() and not original[-1:].isspace()
        assert hit.sentence[hit.start - hit.sentence_start : hit.end - hit.sentence_start] == original
