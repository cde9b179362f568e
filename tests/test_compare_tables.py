"""The comparison tables on a hand-made run: densities, balance, similarity, co-occurrence, trend."""

from __future__ import annotations

import pandas as pd
import pytest
from report_fixtures import make_doc_term_counts, make_result

from govtext.compare import (
    MISSING_GROUP,
    compare_all,
    framework_balance,
    group_similarity,
    keyness_by_group,
    paragraph_presence,
    similarity_matrix,
    term_counts,
    theme_cooccurrence,
    theme_density,
    trend,
)
from govtext.errors import InputError
from govtext.results import RunResult
from govtext.tokens import Tokens


@pytest.fixture(scope="module")
def result() -> RunResult:
    return make_result()


def test_compare_theme_density_pools_hits_and_characters(result: RunResult) -> None:
    d = theme_density(result.scores, result.documents, "province", result.themes)
    assert len(d) == 3 * len(result.themes)
    docs = result.documents
    for (group, theme), row in d.set_index(["province", "theme"]).iterrows():
        ids = set(docs.loc[docs["province"] == group, "doc_id"])
        hits = result.hits[(result.hits["theme"] == theme) & result.hits["doc_id"].isin(ids)]
        chars = docs.loc[docs["doc_id"].isin(ids), "n_chars"].sum()
        assert row["hits"] == len(hits)
        assert row["chars"] == chars and row["n_docs"] == len(ids)
        assert row["density_per_10k"] == pytest.approx(len(hits) / chars * 10_000)
        assert row["docs_with_theme"] == hits["doc_id"].nunique()
        assert row["ci_low"] <= row["density_per_10k"] <= row["ci_high"]
        assert row["share_ci_low"] <= row["share_docs"] <= row["share_ci_high"]
    assert set(d["name"]) >= {"自治", "吹哨报到", "接诉即办"}


def test_compare_theme_density_sparse_and_full_scores_agree(result: RunResult) -> None:
    sparse = theme_density(result.scores, result.documents, "province", result.themes)
    grid = pd.MultiIndex.from_product(
        [result.documents["doc_id"], result.themes["theme"]], names=["doc_id", "theme"]
    )
    full = result.scores.set_index(["doc_id", "theme"]).reindex(grid).reset_index()
    full["hits"] = full["hits"].fillna(0).astype(int)
    full["present"] = full["hits"] > 0
    pd.testing.assert_frame_equal(sparse, theme_density(full, result.documents, "province", result.themes))


def test_compare_theme_density_unknown_field_names_the_fields(result: RunResult) -> None:
    with pytest.raises(InputError, match=r"'provinc'.*province"):
        theme_density(result.scores, result.documents, "provinc", result.themes)


def test_compare_missing_group_value_is_its_own_group(result: RunResult) -> None:
    docs = result.documents.copy()
    docs.loc[0, "province"] = ""
    d = theme_density(result.scores, docs, "province", result.themes)
    # a document without the field is its own group, NA in the table (tidy data: missing is missing)
    assert pd.isna(d["province"].iloc[-1]) and d["province"].isna().sum() == len(result.themes)
    assert MISSING_GROUP not in set(d["province"].dropna())
    assert d.groupby("theme")["hits"].sum().sum() == len(result.hits)


def test_compare_framework_balance_shares_sum_to_one(result: RunResult) -> None:
    fb = framework_balance(result.scores, result.documents, result.themes, "province")
    sums = fb[fb["framework_hits"] > 0].groupby(["province", "framework"])["share"].sum()
    assert sums.to_numpy() == pytest.approx(1.0)
    zj = fb[(fb["province"] == "浙江") & (fb["framework_name"] == "三治融合")].set_index("name")
    assert zj["hits"].sum() == zj["framework_hits"].iloc[0] > 0
    assert zj.loc["法治", "share"] == pytest.approx(zj.loc["法治", "hits"] / zj["hits"].sum())


def test_compare_trend_orders_years_numerically_and_drops_missing(result: RunResult) -> None:
    docs = result.documents.copy()
    docs["year"] = ["2024", "2024", "2025", "2024", "2024", "999", "2025", ""]
    t = trend(result.scores, docs, "year", result.themes)
    # the time field keeps its name and, all values being whole numbers, is an integer column
    assert str(t["year"].dtype) == "Int64"
    assert list(dict.fromkeys(t["year"])) == [999, 2024, 2025]
    assert not t["year"].isna().any()


def test_compare_similarity_is_symmetric_with_unit_diagonal(result: RunResult) -> None:
    dtc = make_doc_term_counts(result.corpus.documents)
    sim = group_similarity(dtc, result.documents, "province")
    # long: one row per ordered pair, both columns named after the field
    assert list(sim.columns) == ["province", "province_other", "cosine"]
    assert len(sim) == sim["province"].nunique() ** 2
    m = similarity_matrix(sim)
    assert list(m.index) == list(m.columns)
    assert m.to_numpy() == pytest.approx(m.to_numpy().T)
    for g in m.index:
        assert m.loc[g, g] == pytest.approx(1.0)
    # A group compared with an exact copy of itself is identical.
    docs = result.documents.copy()
    copy = dtc[dtc["doc_id"].isin(docs.loc[docs["province"] == "北京", "doc_id"])].assign(
        doc_id=lambda f: f["doc_id"] + "x"
    )
    extra = docs[docs["province"] == "北京"].assign(doc_id=lambda f: f["doc_id"] + "x", province="北京副本")
    sim2 = similarity_matrix(group_similarity(pd.concat([dtc, copy]), pd.concat([docs, extra]), "province"))
    assert sim2.loc["北京", "北京副本"] == pytest.approx(1.0)
    assert sim2.loc["北京", "四川"] < 0.5


def test_compare_keyness_by_group_finds_planted_term() -> None:
    docs = pd.DataFrame({"doc_id": ["a1", "a2", "b1", "b2"], "g": ["A", "A", "B", "B"], "n_chars": 100})
    rows = [("a1", "吹哨报到", 40), ("a2", "吹哨报到", 35), ("b1", "吹哨报到", 2), ("b2", "吹哨报到", 1)]
    rows += [(d, "治理", 200) for d in ("a1", "a2", "b1", "b2")]
    rows += [("b1", "乡村", 30), ("b2", "乡村", 30), ("a1", "乡村", 1)]
    k = keyness_by_group(pd.DataFrame(rows, columns=["doc_id", "term", "count"]), docs, "g")
    assert list(k.columns[:2]) == ["g", "rank"]
    a = k[k["g"] == "A"]
    b = k[k["g"] == "B"]
    assert a.iloc[0]["term"] == "吹哨报到" and a.iloc[0]["rank"] == 1
    assert b.iloc[0]["term"] == "乡村"
    assert "治理" not in set(k["term"])  # used at the same rate everywhere
    assert (k["p_adj"] < 0.05).all() and (k["log_ratio"] > 0).all()


def test_compare_cooccurrence_counts_by_hand() -> None:
    presence = pd.DataFrame(
        {"unit_id": ["p1", "p1", "p2", "p3", "p3", "p3"], "theme": ["a", "b", "a", "a", "b", "c"]}
    )
    themes = pd.DataFrame({"theme": ["a", "b", "c"], "name": ["自治", "法治", "德治"]})
    co = theme_cooccurrence(presence, themes, unit="unit_id", n_units=4).set_index(["theme_a", "theme_b"])
    ab = co.loc[("a", "b")]
    assert (ab["n_a"], ab["n_b"], ab["n_both"]) == (3, 2, 2)
    assert ab["jaccard"] == pytest.approx(2 / 3)
    assert ab["lift"] == pytest.approx((2 / 4) / ((3 / 4) * (2 / 4)))
    assert co.loc[("b", "c"), "name_a"] == "法治"
    assert len(co) == 3


def test_compare_paragraph_presence_uses_paragraph_spans(result: RunResult) -> None:
    paragraphs = {d.doc_id: d.paragraphs for d in result.corpus}
    pres = paragraph_presence(result.hits, paragraphs)
    for row in pres.itertuples(index=False):
        a, b = paragraphs[row.doc_id][row.paragraph]
        starts = result.hits[(result.hits["doc_id"] == row.doc_id) & (result.hits["theme"] == row.theme)][
            "char_start"
        ]
        assert ((starts >= a) & (starts < b)).any()


def test_compare_term_counts_from_tokens() -> None:
    tok = Tokens(
        doc_id="d1",
        words=("吹哨报到", "，", "2024", "吹哨报到", "的", "治理", "AI"),
        starts=(0, 4, 5, 9, 13, 14, 16),
        ends=(4, 5, 9, 13, 14, 16, 18),
        pos=None,
        sentences=((0, 18),),
        settings_hash="x",
    )
    tc = term_counts([tok], stopwords=["治理"])
    assert tc.to_dict("records") == [
        {"doc_id": "d1", "term": "AI", "count": 1},
        {"doc_id": "d1", "term": "吹哨报到", "count": 2},
    ]


def test_compare_all_names_tables_in_report_order(result: RunResult) -> None:
    tables = compare_all(result, make_doc_term_counts(result.corpus.documents))
    assert list(tables) == [
        "theme_density",
        "framework_balance",
        "keyness",
        "similarity",
        "cooccurrence",
        "trend",
    ]
    assert tables["cooccurrence"]["n_units"].iloc[0] == sum(len(d.paragraphs) for d in result.corpus)
    no_time = make_result(time_field=None)
    assert "trend" not in compare_all(no_time)


@pytest.mark.parametrize("chunk", [1, 7, 1_000_000])
def test_compare_term_counts_equal_a_counter_whatever_the_chunks(chunk: int, monkeypatch) -> None:
    from collections import Counter

    from govtext.compare import terms

    monkeypatch.setattr(terms, "_TERM_CHUNK", chunk)
    texts = ["基层 治理 基层 ， 法治 2024 a ab", "治理 治理 ！ 自治", "", "ab 基层 治理 ab 德治 德"]
    tokens = [
        Tokens(
            doc_id=f"d{i}",
            words=tuple(t.split()),
            starts=(),
            ends=(),
            pos=None,
            sentences=(),
            settings_hash="x",
        )
        for i, t in enumerate(texts)
    ]
    got = term_counts(tokens, stopwords={"自治"})
    want = [
        (t.doc_id, w, n)
        for t in tokens
        for w, n in sorted(
            Counter(w for w in t.words if len(w) >= 2 and w not in {"自治"} and w != "2024").items()
        )
    ]
    assert list(got.itertuples(index=False, name=None)) == want
