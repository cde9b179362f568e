"""The governance dictionary, user dictionaries and stopwords."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from govtext.errors import DictionaryError
from govtext.segment import Segmenter
from govtext.stopwords import load_stopwords
from govtext.userdict import default_user_dict, read_user_dict

_SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
THEMES = Path(os.environ.get("GOVTEXT_SHARED_CORPUS", _SHARED)).parent / "THEMES.md"


def _it_is_terms() -> list[str]:
    """Every Chinese term in the "it is" column of THEMES.md."""
    terms: list[str] = []
    for line in THEMES.read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            terms += re.findall(r"[\u4e00-\u9fff0-9]{2,}", cells[2])
    return list(dict.fromkeys(terms))


@pytest.fixture(scope="module")
def seg() -> Segmenter:
    return Segmenter()


CARRIERS = [
    "{}",
    "推进{}。",
    "我们坚持{}，取得新进展。",
    "各社区以{}为抓手",
    "全面深化{}工作",
    "把{}落到实处",
]


def test_segment_themes_terms_are_found():
    terms = _it_is_terms()
    assert len(terms) > 50
    assert {"接诉即办", "吹哨报到", "共建共治共享", "基层群众自治"} <= set(terms)


@pytest.mark.parametrize("term", _it_is_terms())
def test_segment_every_themes_term_is_one_token(seg, term):
    for carrier in CARRIERS:
        assert term in seg.cut(carrier.format(term)), carrier.format(term)


@pytest.mark.parametrize(
    ("sentence", "token", "absent"),
    [
        ("广西壮族自治区召开会议", "广西壮族自治区", "自治"),
        ("延边朝鲜族自治州发布通知", "延边朝鲜族自治州", "自治"),
        ("设立新的自治县", "自治县", "自治"),
        ("推进政务数据共享", "数据共享", "共享"),
        ("开展降本增效行动", "降本增效", "增效"),
        ("开拓下沉市场", "下沉市场", "下沉"),
        ("坚持依法治国和以德治国相结合", "德治", "德治国"),
        ("开展普法教育", "普法", "普法教育"),
    ],
)
def test_segment_exclusions_stay_whole_and_theme_words_stay_visible(seg, sentence, token, absent):
    words = seg.cut(sentence)
    assert token in words
    assert absent not in words


def test_segment_plain_jieba_splits_slogans():
    plain = Segmenter(use_default_dict=False)
    assert "接诉即办" not in plain.cut("推动接诉即办")
    assert "吹哨报到" not in plain.cut("深化吹哨报到改革")


def test_segment_shipped_dictionary_has_frequency_and_tag_on_every_line():
    entries = read_user_dict(default_user_dict())
    assert len(entries) > 150
    assert all(e.freq is not None and e.tag for e in entries if e.freq != 0)
    assert len({e.word for e in entries}) == len(entries)


@pytest.mark.parametrize(
    ("line", "bad"),
    [("接诉即办 很多 nz", "很多"), ("接诉即办 3000 NZ", "NZ"), ("接诉 即办 3000 nz", "")],
)
def test_segment_bad_user_dict_line_names_file_and_line(tmp_path, line, bad):
    path = tmp_path / "mine.txt"
    path.write_text(f"# my terms\n小巷管家 100 nz\n{line}\n", encoding="utf-8")
    with pytest.raises(DictionaryError) as err:
        Segmenter(user_dicts=[path]).cut("小巷管家")
    assert err.value.path == str(path)
    assert err.value.line == 3
    assert f"{path}:3:" in str(err.value)
    assert bad in str(err.value)


def test_segment_missing_user_dict_is_a_dictionary_error(tmp_path):
    with pytest.raises(DictionaryError, match="cannot read"):
        Segmenter(user_dicts=[tmp_path / "nope.txt"]).settings_hash  # noqa: B018


def test_segment_user_dict_adds_and_tags_words(tmp_path):
    path = tmp_path / "mine.txt"
    path.write_text("小巷管家 500 nz\n", encoding="utf-8")
    seg = Segmenter(user_dicts=[path], pos=True)
    assert ("小巷管家", "nz") in seg.tag("“小巷管家”走街串巷")


def test_segment_stopwords_general_and_filler(seg):
    general = load_stopwords(filler=False)
    with_filler = load_stopwords()
    assert {"的", "我们", "因此"} <= general
    assert "进一步" not in general and "进一步" in with_filler
    assert not ({"接诉即办", "自治", "法治", "德治", "下沉", "赋权"} & with_filler)


def test_segment_content_words_filter(tmp_path):
    text = "我们要进一步推进接诉即办，切实提升治理效能，2026年取得新成效。"
    tok = Segmenter().tokens_of_text(text)
    assert Segmenter().content_words(tok) == ["接诉即办", "治理效能"]
    kept = Segmenter(filler_words=False).content_words(tok)
    assert "进一步" in kept and "我们" not in kept and "2026" not in kept
    extra = tmp_path / "stop.txt"
    extra.write_text("# project words\n治理效能\n", encoding="utf-8")
    assert "治理效能" not in Segmenter(stopwords=[extra]).content_words(tok)


def test_segment_user_dict_words_are_normalised_like_the_text(tmp_path):
    path = tmp_path / "trad.txt"
    path.write_text("街巷長製 500 nz\nＸＹ社區 300 nz\n", encoding="utf-8")
    seg = Segmenter(user_dicts=[path])
    assert "街巷长制" in seg.cut("推行街巷長製")
    assert "XY社区" in seg.cut("走进ＸＹ社区")
