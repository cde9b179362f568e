"""The dictionary-change shortcut never skips a document that could hold a new term.

``absent.skip_absent`` records an empty hit set, without matching, for a text that has
no traditional characters and does not contain any of the missing themes' strings
once its whitespace is removed. That is sound only if every string without ASCII or
whitespace that occurs in the normalised view also occurs there: checked here on
generated texts with line breaks inside terms, full-width forms and traditional
characters.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from govtext.normalize import normalize, view_arrays
from govtext.themes import load_dictionary

_TERMS = ["网格员", "接诉即办", "吹哨报到", "共建共治", "协商议事"]
_CHARS = list("".join(_TERMS)) + list("接訴即辦網格員，。；：\n \u3000\t（）ＡＢ12３") + ["\r\n"]
_BLANK = re.compile(r"\s+")


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_CHARS), max_size=40).map("".join), st.sampled_from(_TERMS))
def test_a_term_in_the_view_is_in_the_plain_text_without_whitespace(text: str, term: str) -> None:
    plain = view_arrays(text).plain
    if term in normalize(text).text and plain:
        assert term in _BLANK.sub("", text)


def test_literals_of_cover_terms_and_regex_requirements(tmp_path) -> None:  # type: ignore[no-untyped-def]
    d = load_dictionary()
    lits = d.literals_of(["whistle_report"])
    assert lits is not None and "吹哨报到" in lits and "吹哨" in lits
    extra = tmp_path / "rx.toml"
    extra.write_text(
        '[[theme]]\nid = "free"\nframework = "capital_mechanisms"\nname = "自由"\nregex = ["(?:居民)?议事"]\n',
        encoding="utf-8",
    )
    assert load_dictionary(extra=[extra]).literals_of(["free"]) == ("议事",)
    extra.write_text(
        '[[theme]]\nid = "free"\nframework = "capital_mechanisms"\nname = "自由"\nregex = ["[^，]{2}议|事"]\n',
        encoding="utf-8",
    )
    assert (
        load_dictionary(extra=[extra]).literals_of(["free"]) is None
    )  # a top-level branch: nothing required


def test_short_texts_with_opencc_phrase_rules_are_not_plain() -> None:
    """The matcher views a short text through OpenCC with its phrase rules (反覆→反复), so
    a term can be in its view and not in the text: such a text must not be 'plain'."""
    from govtext.segment import Segmenter

    texts = ["反覆研究论证，推进接诉即办。", "推进接诉即办改革。", "反覆研究论证。" * 60]
    batch = Segmenter(pos=True).tokens_batch(texts)
    assert batch.view_plain is not None
    assert batch.view_plain[0] is False  # short, and OpenCC's phrase rule changes it
    assert batch.view_plain[1] is True
    # long texts are viewed by the vectorised path in the matcher too: plain stays true
    assert batch.view_plain[2] is True
    assert "反复" in normalize(texts[0]).text and "反复" not in texts[0]
    # what the store keeps to search instead of such a text: the matcher's own view
    assert batch.views == [normalize(texts[0]).text, None, None]
