"""Property tests over arbitrary Unicode (the existing ones in test_ingest_normalize.py and
test_themes_spans.py use small hand-picked alphabets): the normaliser's span mapping, the
matcher's spans and exclusions, sentence splitting, and the dictionary loader."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from govtext.documents import Document
from govtext.errors import DictionaryError
from govtext.normalize import normalize
from govtext.sentences import split_sentences
from govtext.themes import Matcher, load_dictionary
from govtext.themes.validate import validate_dictionary

# Anything Python strings hold, lone surrogates and control characters included, with
# extra weight on what real inputs carry: CJK, full-width forms, marks and emoji.
ANY_CHAR = st.one_of(
    st.characters(codec=None, exclude_categories=()),
    st.sampled_from(list("接訴即辦自治区法治德治共建共治共享基層社區村民居民議事")),
    st.sampled_from(
        ["\u200f", "\u202e", "\u2066", "\u3000", "\ufeff", "\x00", "\x1b", "\r", "\u2028", "😀", "👨‍👩‍👧"]
    ),
    st.sampled_from(list("ＡＢ１２：，。！？；\n \t")),
)
ANY_TEXT = st.lists(ANY_CHAR, max_size=80).map("".join)
FLAGS = st.fixed_dictionaries({"fold_width": st.booleans(), "join_cjk_breaks": st.booleans()})


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT, FLAGS, st.data())
def test_reliability_normalize_span_mapping_is_exact_on_any_text(
    text: str, flags: dict, data: st.DataObject
) -> None:
    view = normalize(text, simplify=False, **flags)
    assert len(view.origin) == len(view.text) and view.original_length == len(text)
    assert all(a < b for a, b in zip(view.origin, view.origin[1:], strict=False))
    dropped = set(range(len(text))) - set(view.origin)
    assert all(text[i].isspace() for i in dropped)
    assume(view.text)
    a = data.draw(st.integers(0, len(view.text) - 1))
    b = data.draw(st.integers(a + 1, len(view.text)))
    start, end = view.to_original(a, b)
    assert normalize(text[start:end], simplify=False, **flags).text == view.text[a:b]


@settings(max_examples=200, deadline=None)
@given(ANY_TEXT)
def test_reliability_normalize_simplify_keeps_length_and_order(text: str) -> None:
    view = normalize(text)
    assert len(view.origin) == len(view.text)
    assert all(a < b for a, b in zip(view.origin, view.origin[1:], strict=False))
    # Simplification is one character for one: what is not whitespace maps one to one.
    assert len(view.text) == len(normalize(text, simplify=False).text)


# --------------------------------------------------------------------------- matcher
MATCHER = Matcher().fit()
TERMS = [
    "村民自治",
    "居民自治",
    "自治",
    "依法行政",
    "接訴即辦",
    "共建共治共享",
    "党建引领",
    "议事会",
    "吹哨报到",
]
REGION_NAMES = [
    "广西壮族自治区",
    "內蒙古自治區",
    "宁夏回族自治区",
    "西藏自治区",
    "新疆维吾尔自治区",
    "延边朝鲜族自治州",
    "恩施土家族苗族自治州",
    "长阳土家族自治县",
    "鄂伦春自治旗",
    "民族区域自治",
]


def _garble(word: str, cut: int) -> str:
    # Scraped pages break lines inside words; the normaliser must see through it.
    cut %= len(word)
    return word if not cut else word[:cut] + "\n  " + word[cut:]


PIECE = st.one_of(
    st.tuples(st.sampled_from(TERMS), st.integers(0, 7)).map(lambda t: _garble(*t)),
    st.tuples(st.sampled_from(REGION_NAMES), st.integers(0, 9)).map(lambda t: _garble(*t)),
    st.lists(ANY_CHAR, max_size=6).map("".join),
)
DOC_TEXT = st.lists(PIECE, min_size=1, max_size=10).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOC_TEXT)
def test_reliability_every_hit_holds_its_term(text: str) -> None:
    for hit in MATCHER.transform(Document("p", text)):
        quoted = text[hit.start : hit.end]
        assert normalize(quoted).text == hit.term, (hit, quoted)
        assert hit.sentence[hit.start - hit.sentence_start : hit.end - hit.sentence_start] == quoted


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOC_TEXT)
def test_reliability_autonomous_region_names_never_leak_into_self_governance(text: str) -> None:
    view = normalize(text)
    names = []
    for name in REGION_NAMES:
        simple = normalize(name).text
        at = view.text.find(simple)
        while at >= 0:
            names.append(view.to_original(at, at + len(simple)))
            at = view.text.find(simple, at + 1)
    assume(names)
    for hit in MATCHER.transform(Document("p", text)):
        if hit.theme != "self_governance":
            continue
        for a, b in names:
            assert not (a <= hit.start and hit.end <= b), (hit.term, text[a:b])


# --------------------------------------------------------------------------- sentences
@settings(max_examples=400, deadline=None)
@given(ANY_TEXT)
def test_reliability_sentences_partition_the_non_blank_text(text: str) -> None:
    spans = split_sentences(text)
    covered: set[int] = set()
    last_end = 0
    for a, b in spans:
        assert last_end <= a < b <= len(text)
        assert not text[a].isspace() and not text[b - 1].isspace()
        covered.update(range(a, b))
        last_end = b
    assert covered >= {i for i, ch in enumerate(text) if not ch.isspace()}
    assert all(text[i].isspace() for i in set(range(len(text))) - covered)


# --------------------------------------------------------------------------- dictionary loader
KEYS = st.sampled_from(
    ["id", "name", "name_en", "framework", "themes", "terms", "regex", "weight", "rule", "disabled",
     "exclude_overlap", "exclude_near", "require_near", "scope", "window", "side", "boundary", "version", "x"]
)  # fmt: skip
SCALAR = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["自治", "(", "[a-", "self_governance", "three_governance", "clause", "token", "*"]),
    st.integers(-3, 3),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
)
VALUE = st.recursive(
    SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3)),
    max_leaves=8,
)


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # JSON string escapes are TOML's too
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    assert isinstance(v, dict)
    return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"


TABLE = st.dictionaries(KEYS, VALUE, max_size=5)
DOC = st.tuples(
    st.one_of(st.none(), st.integers(0, 2)),
    st.lists(
        st.tuples(st.sampled_from(["framework", "theme", "expression", "theme.rule", "junk"]), TABLE),
        max_size=5,
    ),
)


def _toml(doc: tuple[int | None, list[tuple[str, dict]]]) -> str:
    version, tables = doc
    lines = [] if version is None else [f"version = {version}"]
    for header, table in tables:
        lines.append(f"[[{header}]]")
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in table.items())
    return "\n".join(lines) + "\n"


def _check_loader(text: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.toml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            load_dictionary(path)
        except DictionaryError as exc:
            assert str(path) in str(exc)
        issues = validate_dictionary(path, check_tokens=False)
        assert all(i.path and i.line >= 1 and i.message for i in issues)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOC)
def test_reliability_dictionary_loader_raises_only_dictionary_error(doc: tuple) -> None:
    _check_loader(_toml(doc))


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200)), st.data())
def test_reliability_dictionary_loader_on_garbage(text: str | bytes, data: st.DataObject) -> None:
    # Mutations of a valid file as well as plain noise.
    if data.draw(st.booleans()) and isinstance(text, str):
        base = '[[framework]]\nid = "f"\nname = "框架"\n[[theme]]\nid = "t"\nframework = "f"\nname = "主题"\nterms = ["自治"]\n'
        cut = data.draw(st.integers(0, len(base)))
        text = base[:cut] + text + base[cut:]
    _check_loader(text)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_document_n_chars_counts_every_non_whitespace_character(text: str) -> None:
    from govtext.documents import Document

    assert Document("d", text).n_chars == sum(1 for ch in text if not ch.isspace())
