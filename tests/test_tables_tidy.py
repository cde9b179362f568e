"""Tidy tables on real runs: every table's columns and dtypes, names that Stata and R keep
as they are, missing values as NA, and to_stata / to_parquet round trips of each table.

Two small real runs: two provinces' 2026 government work reports (by province, over
years) and 45 Jiangsu CPPCC proposals of three categories (by type), plus the Tagged
tables, the kwic table and the dfm documents of those proposals."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import govtext
from govtext.compare import theme_density
from govtext.errors import InputError
from govtext.results import RunResult
from govtext.tables import check_tables, column_problems, public_tables

PROVINCES = ("2026_江苏省_政府工作报告.csv", "2026_广西壮族自治区_政府工作报告.csv")
TYPES = ("社会事业", "工业商贸", "法制建设")


@pytest.fixture(scope="module")
def provinces(shared_corpus: Path) -> RunResult:
    folder = shared_corpus / "provincial-reports-2026"
    return govtext.analyze([folder / name for name in PROVINCES], by="province", time_field="year")


@pytest.fixture(scope="module")
def proposal_frame(shared_corpus: Path) -> pd.DataFrame:
    frame = pd.read_csv(shared_corpus / "jiangsu-cppcc-2022" / "jszx2022.csv", dtype=str)
    return frame[frame["type"].isin(TYPES)].groupby("type").head(15).reset_index(drop=True)


@pytest.fixture(scope="module")
def proposals(proposal_frame: pd.DataFrame) -> RunResult:
    corpus = govtext.as_corpus(proposal_frame, text_column="content", id_column="pkid")
    return govtext.analyze(corpus=corpus, by="type", time_field="year")


@pytest.fixture(scope="module")
def tagged_tables(proposal_frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    tagged = govtext.tag(proposal_frame, text_column="content", id_column="pkid")
    tables = public_tables(tagged)
    tables["compare"] = tagged.compare("type")
    tables["kwic"] = govtext.kwic(proposal_frame.head(10), "治理", text_column="content")
    m = govtext.dfm(govtext.as_corpus(proposal_frame, text_column="content", id_column="pkid"))
    tables["dfm_docs"] = m.docs
    tables["dfm_group_docs"] = m.group("type").docs
    return tables


def _all_tables(name: str, request: pytest.FixtureRequest) -> dict[str, pd.DataFrame]:
    if name == "tagged":
        return request.getfixturevalue("tagged_tables")
    return public_tables(request.getfixturevalue(name))


S, N, F, B, Y = "str", "int64", "float64", "bool", "Int64"  # text, integer, float, bool, Int64
DENSITY = [("theme", S), ("name", S), ("n_docs", N), ("chars", N), ("hits", N), ("density_per_10k", F),
           ("ci_low", F), ("ci_high", F), ("docs_with_theme", N), ("share_docs", F), ("share_ci_low", F),
           ("share_ci_high", F), ("small_group", B)]  # fmt: skip
KEYNESS = [("rank", N), ("term", S), ("count_target", N), ("count_reference", N), ("per_10k_target", F),
           ("per_10k_reference", F), ("G2", F), ("p", F), ("p_adj", F), ("log_ratio", F), ("direction", S)]  # fmt: skip
BALANCE = [("framework", S), ("framework_name", S), ("theme", S), ("name", S), ("hits", N),
           ("framework_hits", N), ("share", F), ("ci_low", F), ("ci_high", F)]  # fmt: skip
HITS = [("doc_id", S), ("theme", S), ("name", S), ("rule", S), ("term", S), ("char_start", N), ("char_end", N),
        ("sentence_index", N), ("sentence", S), ("sentence_start", N), ("weight", F), ("paragraph_index", N)]  # fmt: skip
SCORES = [("doc_id", S), ("theme", S), ("name", S), ("hits", N), ("weighted", F), ("density_per_10k", F),
          ("present", B)]  # fmt: skip
EXPECTED = {
    "documents": [
        ("doc_id", S),
        ("title", S),
        ("source", S),
        ("date", S),
        ("year", Y),
        ("province", S),
        ("source_url", S),
        ("publish_date", S),
        ("genre", S),
        ("n_chars", N),
        ("n_paragraphs", N),
        ("path", S),
        ("format", S),
        ("encoding", S),
        ("position", N),
    ],
    "hits": HITS,
    "scores": SCORES,
    "themes": [("theme", S), ("name", S), ("name_en", S), ("framework", S), ("framework_name", S)],
    "files": [("path", S), ("status", S), ("reason", S), ("n_documents", N), ("encoding", S), ("format", S)],
    "theme_density": [("province", S), *DENSITY],
    "framework_balance": [("province", S), *BALANCE],
    "keyness": [("province", S), *KEYNESS],
    "similarity": [("province", S), ("province_other", S), ("cosine", F)],
    "topics": [
        ("topic", N),
        ("label", S),
        ("kind", S),
        ("theme", S),
        ("name", S),
        ("top_terms", S),
        ("prevalence", F),
        ("npmi", F),
        ("c_v", F),
        ("overlap", F),
        ("auc", F),
        ("seeds", S),
        ("missing_seeds", S),
    ],
    "topic_prevalence": [("province", S), ("topic", N), ("label", S), ("prevalence", F), ("n_units", N)],
    "cooccurrence": [
        ("theme_a", S),
        ("name_a", S),
        ("theme_b", S),
        ("name_b", S),
        ("n_units", N),
        ("n_a", N),
        ("n_b", N),
        ("n_both", N),
        ("jaccard", F),
        ("lift", F),
    ],
    "trend": [("year", Y), *DENSITY],
}


@pytest.mark.parametrize("table", list(EXPECTED))
def test_tables_columns_and_dtypes(provinces: RunResult, table: str) -> None:
    frame = public_tables(provinces)[table]
    assert len(frame), table
    assert [(str(c), str(d)) for c, d in frame.dtypes.items()] == EXPECTED[table]


def test_tables_every_run_table_listed(provinces: RunResult) -> None:
    assert set(public_tables(provinces)) == set(EXPECTED)


def test_tables_grouping_field_keeps_its_name_in_every_table(proposals: RunResult) -> None:
    tables = public_tables(proposals)
    grouped = ["theme_density", "framework_balance", "keyness", "similarity", "topic_prevalence"]
    for name in grouped:
        assert tables[name].columns[0] == "type", name
        assert set(tables[name]["type"]) == set(TYPES), name
    assert tables["similarity"].columns[1] == "type_other"
    # the time field too, typed as a number: all proposals are of 2022
    assert tables["trend"].columns[0] == "year" and str(tables["trend"]["year"].dtype) == "Int64"
    assert set(tables["trend"]["year"]) == {2022}
    assert not any("group" in map(str, t.columns) for t in tables.values())


def test_tables_years_typed_when_grouping_by_year(proposals: RunResult) -> None:
    by_year = theme_density(proposals.scores, proposals.documents, "year", proposals.themes)
    assert str(by_year["year"].dtype) == "Int64" and set(by_year["year"]) == {2022}
    assert str(proposals.documents["year"].dtype) == "Int64"
    # numbered ids are no numbers: 0001 keeps its zeros
    by_number = theme_density(proposals.scores, proposals.documents, "proposal_number", proposals.themes)
    assert str(by_number["proposal_number"].dtype) == "str"
    assert by_number["proposal_number"].str.fullmatch(r"\d{4}").all()


# Text that is a message or a word list, where '' is a value (nothing to say, no words),
# not a missing field.
MESSAGES = {("files", "reason"), ("topics", "seeds"), ("topics", "missing_seeds")} | {
    ("kwic", c) for c in ("reason", "themes", "rules")
}


@pytest.mark.parametrize("run", ["provinces", "proposals", "tagged"])
def test_tables_missing_values_are_na_never_empty_text(run: str, request: pytest.FixtureRequest) -> None:
    for name, frame in _all_tables(run, request).items():
        for col in frame.columns:
            if (name, col) in MESSAGES:
                continue
            if frame[col].dtype == object or str(frame[col].dtype) == "str":
                blank = frame[col].map(lambda v: isinstance(v, str) and v == "")
                assert not blank.any(), f"{name}.{col} holds '' for a missing value"
    docs = _all_tables(run, request)["documents"]
    # a core field no document has (authors) is no column, like a metadata field none has
    assert "authors" not in docs.columns


@pytest.mark.parametrize("run", ["provinces", "proposals", "tagged"])
def test_tables_names_safe_for_stata_and_r(run: str, request: pytest.FixtureRequest) -> None:
    tables = _all_tables(run, request)
    assert len(tables) >= 4
    check_tables(tables)  # raises on any name Stata or R would change


def _stata_round_trip(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Plain ``DataFrame.to_stata`` where pandas can, ``govtext.to_stata`` where it cannot
    (a text column without any value), both without renaming a column."""
    text = [c for c in frame.columns if str(frame[c].dtype) in ("str", "object")]
    # Stata 118 keeps up to 2045 bytes in a fixed string; longer text (sentences) as strL
    long = [c for c in text if frame[c].dropna().map(lambda v: len(str(v).encode())).max() > 2045]
    empty = [c for c in text if frame[c].isna().all()]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pandas warns (InvalidColumnName) when it renames a column
        if empty and len(frame):
            with pytest.raises(ValueError, match="cannot be exported"):
                frame.to_stata(path, version=118, write_index=False, convert_strl=long)
            govtext.to_stata(frame, path)
        else:
            frame.to_stata(path, version=118, write_index=False, convert_strl=long)
    return pd.read_stata(path)


@pytest.mark.parametrize("run", ["provinces", "proposals", "tagged"])
def test_tables_stata_and_parquet_round_trips(
    run: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    for name, frame in _all_tables(run, request).items():
        if not len(frame.columns) or name.startswith("dfm"):
            continue
        back = _stata_round_trip(frame, tmp_path / f"{name}.dta")
        assert list(back.columns) == list(frame.columns), name
        assert len(back) == len(frame), name
        for col in frame.columns:
            ours, theirs = frame[col], back[col]
            if pd.api.types.is_numeric_dtype(ours) or pd.api.types.is_bool_dtype(ours):
                a = ours.astype("float64").to_numpy()
                assert np.allclose(a, theirs.astype("float64").to_numpy(), equal_nan=True), (name, col)
            else:  # Stata has no missing string: NA comes back as ""
                assert ours.fillna("").astype(str).tolist() == theirs.astype(str).tolist(), (name, col)
        frame.to_parquet(tmp_path / f"{name}.parquet")
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / f"{name}.parquet"), frame, check_like=False)


def test_tables_dfm_docs_round_trip(tagged_tables: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    grouped = tagged_tables["dfm_group_docs"]
    assert list(grouped.columns) == ["type", "n_documents"] and grouped["n_documents"].sum() == 45
    for name in ("dfm_docs", "dfm_group_docs"):
        frame = tagged_tables[name]
        back = _stata_round_trip(frame, tmp_path / f"{name}.dta")
        assert list(back.columns) == list(frame.columns)
        frame.to_parquet(tmp_path / f"{name}.parquet")
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / f"{name}.parquet"), frame)


def test_tables_check_names_what_stata_and_r_refuse() -> None:
    bad = pd.DataFrame(
        [[1, 2, 3, 4, 5, 6, 7]],
        columns=["start", "end", "年份", "x" * 33, "2022", "TRUE", "str10"],
    )
    problems = column_problems(bad)
    assert problems == [
        "column 'end' is a reserved word in Stata or R",
        "column '年份' is not an ASCII name (a letter, then letters, digits or _)",
        f"column '{'x' * 33}' has 33 characters; Stata allows 32",
        "column '2022' is not an ASCII name (a letter, then letters, digits or _)",
        "column 'TRUE' is a reserved word in Stata or R",
        "column 'str10' is a reserved word in Stata or R",
    ]
    with pytest.raises(InputError, match=r"hits: column 'end' is a reserved word"):
        check_tables({"hits": bad})
    # what the check refuses, pandas' to_stata would indeed rename
    with pytest.warns(Warning, match="end"):
        bad[["end"]].to_stata(Path("/dev/null"), version=118, write_index=False)
    check_tables({"ok": pd.DataFrame(columns=["char_start", "char_end", "G2", "p_adj"])})


def test_tables_grouping_by_a_column_name_is_refused(proposals: RunResult) -> None:
    docs = proposals.documents.assign(name=proposals.documents["type"])
    with pytest.raises(InputError, match=r"cannot compare by 'name': the theme_density table already has"):
        theme_density(proposals.scores, docs, "name", proposals.themes)
