"""Dictionary loading, extension/override and validation with file, line and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from govtext.documents import Document
from govtext.errors import DictionaryError
from govtext.segment import Segmenter
from govtext.themes import Matcher, build_dictionary, load_dictionary
from govtext.themes.validate import validate_dictionary

BASE = """version = 1

[[framework]]
id = "fw"
name = "测试框架"
themes = ["alpha"]

[[theme]]
id = "alpha"
name = "甲"
terms = ["居民议事"]
"""


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    return Segmenter()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_themes_dictionary_default_has_four_frameworks_and_twelve_themes() -> None:
    d = load_dictionary()
    assert [f.id for f in d.frameworks] == [
        "three_governance",
        "co_governance",
        "street_reform",
        "capital_mechanisms",
    ]
    assert len(d.themes) == 12 and all(len(f.themes) == 3 for f in d.frameworks)
    assert (
        d.themes["self_governance"].name == "自治"
        and d.themes["self_governance"].framework == "three_governance"
    )
    assert len(d.hash) == 16 and d.source_paths[0].name == "default.toml"
    assert validate_dictionary(d.source_paths[0], check_tokens=False) == []


def test_themes_dictionary_hash_changes_with_content(tmp_path: Path) -> None:
    a = load_dictionary(write(tmp_path, "a.toml", BASE))
    b = load_dictionary(write(tmp_path, "b.toml", BASE.replace("居民议事", "村民议事")))
    assert a.hash != b.hash
    assert a.hash == load_dictionary(write(tmp_path, "c.toml", BASE)).hash


def test_themes_dictionary_extra_file_extends_and_overrides(tmp_path: Path) -> None:
    extra = write(
        tmp_path,
        "mine.toml",
        """
[[theme]]
id = "self_governance"
name = "居民自治"

  [[theme.rule]]
  id = "bare"
  disabled = true

  [[theme.rule]]
  id = "lift"
  terms = ["加装电梯议事会"]
  weight = 2.0

[[theme]]
id = "grid"
framework = "capital_mechanisms"
name = "网格化"
terms = ["网格员"]
""",
    )
    d = load_dictionary(extra=[extra])
    assert d.themes["self_governance"].name == "居民自治"
    assert "bare" not in {r.id for r in d.themes["self_governance"].rules}
    assert "grid" in next(f for f in d.frameworks if f.id == "capital_mechanisms").themes
    m = Matcher(dictionary=d).fit()
    hits = m.transform(Document("t", "小区召开加装电梯议事会，网格员到场。"))
    assert {(h.theme, h.weight) for h in hits} >= {("self_governance", 2.0), ("grid", 1.0)}
    assert d.source_paths[-1] == extra


def test_themes_dictionary_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.toml", 'version = 1\n\n[[theme]\nid = "x"\n')
    with pytest.raises(DictionaryError) as info:
        load_dictionary(bad)
    assert info.value.line == 3 and str(bad) in str(info.value)
    issues = validate_dictionary(bad, check_tokens=False)
    assert [(i.level, i.line) for i in issues] == [("error", 3)]


def test_themes_dictionary_bad_regex_duplicate_id_unknown_key_empty_theme(tmp_path: Path) -> None:
    text = (
        BASE.replace('themes = ["alpha"]', 'themes = ["alpha", "beta"]')
        + """
  [[theme.rule]]
  id = "r"
  regex = ["自治[区州"]

  [[theme.rule]]
  id = "r"
  terms = ["共治"]
  colour = "red"

[[theme]]
id = "alpha"
name = "重复"
terms = ["x"]

[[theme]]
id = "beta"
name = "空"
"""
    )
    path = write(tmp_path, "many.toml", text)
    issues = validate_dictionary(path, check_tokens=False)
    found = {(i.line, i.message.split(" ")[0] + " " + i.message.split(" ")[1]) for i in issues}
    lines = text.splitlines()
    assert all(i.level == "error" and i.path == str(path) and i.fix for i in issues)

    def line_of(s: str, nth: int = 0) -> int:
        return [n for n, line in enumerate(lines, start=1) if s in line][nth]

    assert (line_of("自治[区州"), "bad regular") in found
    assert (line_of('id = "r"', 1), "duplicate rule") in found
    assert (line_of("colour"), "unknown key") in found
    assert (line_of('id = "alpha"', 1), "duplicate theme") in found
    assert any(i.message.startswith("theme 'beta' is empty") for i in issues)
    with pytest.raises(DictionaryError, match=r"many\.toml:\d+: "):
        load_dictionary(path)


def test_themes_dictionary_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "typo.toml",
        BASE + '\n  [[theme.rule]]\n  id = "z"\n  terms = ["协商"]\n  exclude_overlop = ["协商会"]\n',
    )
    issues = validate_dictionary(path, check_tokens=False)
    assert len(issues) == 1 and "exclude_overlap" in issues[0].fix and issues[0].line == 16


def test_themes_dictionary_warns_when_jieba_splits_a_term(tmp_path: Path, segmenter: Segmenter) -> None:
    path = write(
        tmp_path, "tok.toml", BASE.replace('terms = ["居民议事"]', 'terms = ["接诉即办", "楼门院长议事"]')
    )
    issues = validate_dictionary(path, segmenter=segmenter)
    split = [i for i in issues if "jieba splits" in i.message]
    assert [i.message.split("'")[1] for i in split] == ["楼门院长议事"]
    assert split[0].level == "warning" and split[0].line == 11 and "楼门院长议事 100 nz" in split[0].fix


def test_themes_dictionary_token_boundary_rule_with_split_term_is_an_error(
    tmp_path: Path, segmenter: Segmenter
) -> None:
    path = write(
        tmp_path,
        "tb.toml",
        BASE + '\n  [[theme.rule]]\n  id = "tok"\n  boundary = "token"\n  terms = ["楼门院长议事"]\n',
    )
    issues = validate_dictionary(path, segmenter=segmenter)
    assert [(i.level, i.line) for i in issues if "楼门院长议事" in i.message] == [("error", 16)]


def test_themes_dictionary_term_vetoed_by_its_own_exclusion_warns(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "self.toml",
        BASE + '\n  [[theme.rule]]\n  id = "z"\n  terms = ["自治区"]\n  exclude_overlap = ["自治区"]\n',
    )
    issues = validate_dictionary(path, check_tokens=False)
    assert len(issues) == 1 and issues[0].level == "warning" and "can never count" in issues[0].message


def test_themes_dictionary_extension_file_is_validated_against_the_default(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "ext.toml",
        '[[theme]]\nid = "rule_of_law"\nterms = ["法治"]\n\n[[expression]]\nid = "e"\nthemes = ["nope"]\nterms = ["某某"]\n',
    )
    issues = validate_dictionary(path, check_tokens=False)
    assert [i.message for i in issues] == ["expression 'e' names unknown theme 'nope'"]
    d, _ = build_dictionary(
        None, extra=[write(tmp_path, "ok.toml", '[[theme]]\nid = "rule_of_law"\nname = "依法治理"\n')]
    )
    assert d.themes["rule_of_law"].name == "依法治理" and d.themes["rule_of_law"].rules


def test_themes_dictionary_token_boundary_rule_matches_only_whole_tokens(
    tmp_path: Path, segmenter: Segmenter
) -> None:
    path = write(
        tmp_path,
        "tb2.toml",
        BASE + '\n  [[theme.rule]]\n  id = "tok"\n  boundary = "token"\n  terms = ["服务"]\n',
    )
    m = Matcher(dictionary=load_dictionary(path), segmenter=segmenter).fit()
    # jieba keeps 服务 whole in the first sentence and cuts 服务中心 as one word in the second.
    cands = [c for c in m.explain(Document("t", "提供服务。社区服务中心开门。")) if c.rule == "tok"]
    assert [(c.status, c.reason) for c in cands] == [("counted", ""), ("vetoed", "boundary:token")]
