"""The matcher's contract: spans in the original text, sentences, overlaps, estimator rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from govtext.documents import Document
from govtext.errors import NotFittedError
from govtext.themes import Matcher, ThemeHit, hits_frame, load_dictionary, score_documents, score_paragraphs


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(dictionary=load_dictionary()).fit()


def themes_of(matcher: Matcher, text: str) -> set[str]:
    return {h.theme for h in matcher.transform(Document("t", text))}


def test_themes_transform_before_fit_raises() -> None:
    with pytest.raises(NotFittedError, match="fit"):
        Matcher().transform(Document("t", "村民自治"))


def test_themes_hit_span_indexes_original_text(matcher: Matcher) -> None:
    # Full-width spaces, a line break inside the term and traditional characters all
    # normalise away; the span must still quote the original.
    text = "第一段。\n\n推進村民\n自治，完善議事協商。"
    hits = matcher.transform(Document("t", text))
    by_theme = {h.theme: h for h in hits}
    sg = by_theme["self_governance"]
    assert text[sg.start : sg.end] == "村民\n自治"
    assert sg.sentence == text[sg.sentence_start : sg.sentence_start + len(sg.sentence)]
    assert sg.sentence_index == 1
    assert isinstance(sg, ThemeHit)
    cg = by_theme["co_governance"]
    assert text[cg.start : cg.end] == "議事協商"


def test_themes_hit_is_frozen(matcher: Matcher) -> None:
    hit = matcher.transform(Document("t", "推进村民自治。"))[0]
    with pytest.raises(AttributeError):
        hit.theme = "x"  # type: ignore[misc]


def test_themes_slogan_counts_each_part_once(matcher: Matcher) -> None:
    hits = matcher.transform(Document("t", "街道探索共建共治共享的小区治理办法。"))
    themes = sorted(h.theme for h in hits)
    assert themes == ["co_construction", "co_governance", "shared_benefits"]


def test_themes_three_governance_slogan(matcher: Matcher) -> None:
    assert themes_of(matcher, "村里推行自治、法治、德治三者结合的做法。") >= {
        "self_governance",
        "rule_of_law",
        "rule_of_virtue",
    }


def test_themes_same_passage_admin_name_and_real_self_governance(matcher: Matcher) -> None:
    hits = matcher.transform(Document("t", "新疆维吾尔自治区人民政府。社区推行居民自治。"))
    sg = [h for h in hits if h.theme == "self_governance"]
    assert len(sg) == 1 and sg[0].term == "居民自治" and sg[0].sentence_index == 1


def test_themes_explain_reports_veto_reason(matcher: Matcher) -> None:
    cands = matcher.explain(Document("t", "该市企业参与共建“一带一路”项目。"))
    co = [c for c in cands if c.theme == "co_construction"]
    assert co and all(not c.counted for c in co)
    assert any("belt_and_road" in c.reason for c in co)


def test_themes_theme_filter(matcher: Matcher) -> None:
    only = Matcher(dictionary=load_dictionary(), themes=["rule_of_law"]).fit()
    hits = only.transform(Document("t", "推进村民自治，建设法治政府。"))
    assert {h.theme for h in hits} == {"rule_of_law"}


def test_themes_scores_density_and_presence(matcher: Matcher) -> None:
    docs = [Document("a", "建设法治政府。\n推进村民自治。"), Document("b", "今天天气很好。")]
    hits = [h for d in docs for h in matcher.transform(d)]
    scores = score_documents(hits, docs, themes=load_dictionary())
    assert len(scores) == 2 * 12
    row = scores[(scores.doc_id == "a") & (scores.theme == "rule_of_law")].iloc[0]
    assert row.hits == 1 and row.present
    assert row.density_per_10k == pytest.approx(10_000 / docs[0].n_chars)
    assert not scores[scores.doc_id == "b"].present.any()
    par = score_paragraphs(hits, docs)
    present = par[par.present]
    assert set(zip(present.paragraph_index, present.theme, strict=True)) == {
        (0, "rule_of_law"),
        (1, "self_governance"),
    }
    frame = hits_frame(hits)
    assert list(frame.columns)[:4] == ["doc_id", "theme", "rule", "term"] and len(frame) == 2


def test_themes_no_self_governance_from_autonomous_region_reports(matcher: Matcher, provincial_dir) -> None:
    import csv

    admin = ("自治区", "自治州", "自治县", "自治旗")
    checked = 0
    for path in sorted(provincial_dir.glob("*自治区*.csv")):
        with path.open(encoding="utf-8-sig") as fh:
            row = next(csv.DictReader(fh))
        doc = Document(path.stem, row["full_text"])
        for hit in matcher.transform(doc):
            if hit.theme != "self_governance":
                continue
            window = doc.text[max(0, hit.start - 6) : hit.end + 6]
            assert not any(a in doc.text[hit.start : hit.end + 2] for a in admin), (path.name, window)
        checked += sum(doc.text.count(a) for a in admin)
    assert checked > 50  # the three reports do say 自治区 dozens of times


def test_themes_every_hit_on_real_reports_quotes_its_span(
    matcher: Matcher, provincial_dir, seed_page
) -> None:
    import csv

    from govtext.normalize import normalize

    docs = [Document("seed", seed_page.read_text(encoding="utf-8"))]
    for path in sorted(provincial_dir.glob("*.csv")):
        with path.open(encoding="utf-8-sig") as fh:
            docs.append(Document(path.stem, next(csv.DictReader(fh))["full_text"]))
    n = 0
    for doc, hits in zip(docs, matcher.transform_many(docs), strict=True):
        for h in hits:
            original = doc.text[h.start : h.end]
            assert normalize(original).text == h.term, (doc.doc_id, original, h.term)
            assert h.sentence[h.start - h.sentence_start : h.end - h.sentence_start] == original
            a, b = doc.paragraphs[h.paragraph_index]
            assert a <= h.start < b
            n += 1
    assert n > 500


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("坚持为基层减负赋能。", "empowerment"),  # 为基层减负 / 减负赋能 / 赋能 chain into one mention
        ("请拨打12345政务服务便民热线。", "complaint_response"),  # adjacent pieces of one name
    ],
)
def test_themes_one_mention_is_one_hit(matcher: Matcher, text: str, theme: str) -> None:
    hits = [h for h in matcher.transform(Document("d", text)) if h.theme == theme]
    assert len(hits) == 1, hits


def test_themes_explain_marks_short_match_inside_slogan_as_subsumed(matcher: Matcher) -> None:
    doc = Document("d", "坚持共建共治共享。")  # bare 共建 alone lacks its governance context
    inside = [c for c in matcher.explain(doc) if c.theme == "co_construction" and c.term == "共建"]
    assert inside and all(c.status == "subsumed" for c in inside), inside


# -- regex gates: the Aho-Corasick pass decides which regexes need to run --------------


def test_required_literals_are_necessary() -> None:
    import re

    from govtext.themes.patterns import required_literals

    assert required_literals(re.compile("赋权[、,和与及]{0,2}下沉")) == [("赋权",), ("下沉",)]
    assert required_literals(re.compile("(?:街道|乡镇)(?:权责|职权)+")) == [
        ("街道", "乡镇"),
        ("权责", "职权"),
    ]
    # optional parts and branches at the top are not required
    assert required_literals(re.compile("(?:居民)?议事|协商")) == []
    assert required_literals(re.compile("(?i)abc")) == []


def test_gated_regexes_find_what_ungated_ones_find(provincial_dir, national_file) -> None:  # type: ignore[no-untyped-def]
    """Skipping a regex whose required strings are absent changes no candidate."""
    import csv
    import json

    from govtext.documents import Document
    from govtext.themes import Matcher

    docs = []
    for path in sorted(provincial_dir.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as f:
            for k, row in enumerate(csv.DictReader(f)):
                docs.append(Document(f"{path.stem}-{k}", row["full_text"]))
    with national_file.open(encoding="utf-8") as f:
        for k, line in enumerate(f):
            docs.append(Document(f"national-{k}", json.loads(line)["content"]))
    gated = Matcher().fit()
    assert gated.gates_, "the default dictionary's regexes should have gates"
    ungated = Matcher().fit()
    # every regex looked at, and searched in the whole text
    ungated.regexes_ = tuple(r._replace(groups=(), others=()) for r in ungated.regexes_)
    ungated.gates_, ungated.always_ = {}, tuple(range(len(ungated.regexes_)))
    n = 0
    for doc in docs:
        got = gated.explain(doc)
        assert got == ungated.explain(doc), doc.doc_id
        n += sum(c.status == "counted" for c in got)
    assert n > 1000


def test_matching_one_theme_gives_that_themes_hits_of_a_full_match(provincial_dir) -> None:  # type: ignore[no-untyped-def]
    """Hits are cached per theme: a Matcher restricted to a theme must find exactly the
    hits the full Matcher finds for it (exclusions and overlaps stay within a theme)."""
    import csv

    from govtext.documents import Document
    from govtext.themes import Matcher

    docs = []
    for path in sorted(provincial_dir.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as f:
            for k, row in enumerate(csv.DictReader(f)):
                docs.append(Document(f"{path.stem}-{k}", row["full_text"]))
    full = Matcher().fit()
    per_theme = {t: Matcher(themes=[t]).fit() for t in full.dictionary_.themes}
    seen = set()
    for doc in docs:
        hits = full.transform(doc)
        for theme, m in per_theme.items():
            assert m.transform(doc) == [h for h in hits if h.theme == theme], (doc.doc_id, theme)
        seen.update(h.theme for h in hits)
    assert len(seen) >= 10


def test_required_literals_respect_case_insensitive_groups() -> None:
    import re

    from govtext.themes.patterns import required_literals

    assert required_literals(re.compile("(?i:abc)def")) == [("def",)]


def test_matcher_scope_ends_regex_scan_equals_numpy_lookup() -> None:
    """Clause and sentence ends found by the regex scan (a one-shot `govtext tag` does not
    import numpy for them) are those of numpy's table lookup, astral and lone surrogates included."""
    import numpy  # noqa: F401  (the lookup is used once numpy is loaded)

    from govtext.themes.conditions import _MARKS, _scope_ends

    corpus = Path(__file__).resolve().parents[1] / "corpus"
    texts = [p.read_text(encoding="utf-8") for p in sorted(corpus.glob("0*.md"))]
    texts += ["", "无标点的长句" * 50, "𠀀治理；社区。\n居民：议事！\ud800自治?好,是;", "。。\n\n"]
    for text in texts:
        scanned = {name: [m.start() for m in mark.finditer(text)] for name, mark in _MARKS.items()}
        assert _scope_ends(text) == scanned


def test_hits_and_candidates_made_without_init_equal_the_constructed() -> None:
    """The matcher fills a hit's fields at once (``_hit``, ``_candidate``): the same object
    as the dataclass constructor gives, with every field."""
    import dataclasses
    import pickle

    from govtext.themes.matcher import Candidate, ThemeHit, _candidate, _hit

    hit_values = ("d", "t", "r", "自治", 2, 4, 0, "推进自治。", 0, 0.5, 1)
    cand_values = (*hit_values, "vetoed", "exclude_near:x(y)")
    for made, cls, values in (
        (_hit(*hit_values), ThemeHit, hit_values),
        (_candidate(*cand_values), Candidate, cand_values),
    ):
        built = cls(*values)
        assert made == built and hash(made) == hash(built) and repr(made) == repr(built)
        assert dataclasses.astuple(made) == values
        assert vars(made) == vars(built)  # every field, none more
        assert pickle.loads(pickle.dumps(made)) == built
        with __import__("pytest").raises(dataclasses.FrozenInstanceError):
            made.start = 0  # type: ignore[misc]


def test_score_documents_gives_what_a_row_per_document_and_theme_gives() -> None:
    # built by column (memory, issue 20): the same values, bit for bit, and dtypes
    import random
    from types import SimpleNamespace as NS

    import pandas as pd

    from govtext.themes.scores import DOC_COLUMNS

    def by_rows(hits: list, docs: list, theme_ids: list) -> pd.DataFrame:
        counts: dict = {}
        for h in hits:
            c = counts.setdefault((h.doc_id, h.theme), [0, 0.0])
            c[0] += 1
            c[1] += h.weight
        rows = []
        for doc in docs:
            n = doc.n_chars
            for t in theme_ids:
                k, w = counts.get((doc.doc_id, t), (0, 0.0))
                rows.append((doc.doc_id, t, int(k), float(w), (w * 10_000 / n) if n else 0.0, k > 0))
        return pd.DataFrame(rows, columns=DOC_COLUMNS)

    rnd = random.Random(0)
    for _ in range(100):
        n_docs = rnd.randint(0, 12)
        themes = [f"t{i}" for i in range(rnd.randint(0, 4))]
        # repeated doc ids, empty documents, hits of unknown documents and themes
        docs = [NS(doc_id=f"d{rnd.randint(0, 8)}", n_chars=rnd.choice([0, 7, 1234])) for _ in range(n_docs)]
        hits = [
            NS(
                doc_id=f"d{rnd.randint(0, 10)}",
                theme=f"t{rnd.randint(0, 5)}",
                weight=rnd.choice([1.0, 1 / 3]),
            )
            for _ in range(rnd.randint(0, 40))
        ]
        got = score_documents(hits, docs, themes=themes)
        want = by_rows(hits, docs, themes)
        assert list(got.dtypes) == list(want.dtypes)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
