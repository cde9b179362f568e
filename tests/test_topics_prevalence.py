"""``prevalence_by`` grouped on integer codes gives the numbers the long table of ids gave
(the same rows in the same order, so pandas' means are bit for bit the same). Real input:
the 21 provincial reports and the national reports of ../shared/corpus."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from govtext.compare import MISSING_GROUP, group_labels, group_order, name_group

pytestmark = pytest.mark.filterwarnings("ignore::govtext.topics.TopicWarning")


def _from_the_long_table(model, documents: pd.DataFrame, field: str) -> pd.DataFrame:
    """The way it was computed before: over ``doc_topics_``, one row per unit and topic."""
    long = model.doc_topics_
    groups = group_labels(documents.drop_duplicates("doc_id"), field)
    long["group"] = long["doc_id"].map(groups).fillna(MISSING_GROUP)
    out = (
        long.groupby(["group", "topic"], sort=False)
        .agg(prevalence=("share", "mean"), n_units=("unit_id", "nunique"))
        .reset_index()
    )
    rank = {g: i for i, g in enumerate(group_order(out["group"]))}
    out = out.sort_values(["group", "topic"], key=lambda c: c.map(rank) if c.name == "group" else c)
    out.insert(2, "label", [model.topic_labels_[t] for t in out["topic"]])
    return name_group(out.reset_index(drop=True), field, "topic_prevalence")


@pytest.fixture(scope="module")
def fitted(provincial_dir: Path, national_file: Path):
    from govtext.ingest import read_corpus
    from govtext.topics import fit_topics

    corpus = read_corpus([provincial_dir, national_file])
    from govtext.segment import Segmenter

    segmenter = Segmenter(pos=True)
    model = fit_topics(corpus.documents, [segmenter.tokens(d) for d in corpus], k=13, random_state=1)
    return model, corpus.to_frame()


@pytest.mark.parametrize("field", ["source", "year", "title"])
def test_prevalence_by_gives_the_long_tables_numbers(fitted, field: str) -> None:
    model, documents = fitted
    if field not in documents.columns:
        pytest.skip(f"no {field} field")
    got = model.prevalence_by(documents, field)
    want = _from_the_long_table(model, documents, field)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert len(got) == documents[field].nunique(dropna=False) * model.k_ or field == "title"


def test_prevalence_by_puts_units_without_a_value_in_the_missing_group(fitted) -> None:
    model, documents = fitted
    some = documents.copy()
    some.loc[some.index[::3], "year"] = None  # a third of the documents without a year
    got = model.prevalence_by(some, "year")
    pd.testing.assert_frame_equal(got, _from_the_long_table(model, some, "year"), check_exact=True)
    assert got["year"].isna().any()


def test_topic_assignments_written_in_blocks_are_the_models_shares(
    fitted, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store writes the unit × topic shares a block of units at a time, from the
    model's arrays: every row of ``doc_topics_``, with its label, and no other."""
    from govtext.store import Store
    from govtext.store import runs as runs_module

    model, _ = fitted
    monkeypatch.setattr(runs_module, "ASSIGNMENT_BLOCK", 37)  # many blocks, the last one short
    with Store(tmp_path / "s.duckdb") as store:
        assert store.put_topic_assignments("r1", model) == len(model.unit_ids_) * model.k_
        store.put_topic_assignments("r1", model)  # again: replaced, not added
        got = store.con.execute(
            "SELECT unit_id, doc_id, topic, label, share FROM topic_assignments WHERE run_id = 'r1'"
        ).df()
    want = model.doc_topics_
    want["label"] = [model.topic_labels_[t] for t in want["topic"]]
    got = got.sort_values(["unit_id", "topic"]).reset_index(drop=True)
    want = want.sort_values(["unit_id", "topic"]).reset_index(drop=True)[list(got.columns)]
    assert len(got) == len(want) and len(model.unit_ids_) > 37 * 10
    for column in ("unit_id", "doc_id", "label"):
        assert got[column].astype(str).tolist() == want[column].astype(str).tolist()
    assert got["topic"].tolist() == want["topic"].tolist()
    assert (got["share"].to_numpy() == want["share"].to_numpy()).all()


def test_a_model_with_an_inputs_key_is_written_once_and_pointed_at_by_later_runs(
    fitted, tmp_path: Path
) -> None:
    """The shares of a model fitted from given inputs are stored once: a second run with
    the same model (as a re-run that loads it) adds one pointer, not every row again, and
    each run still reads the whole set through ``topic_assignments``. A run whose model
    changes points at the new set; a model with no key is kept under its run's own key."""
    import copy

    from govtext.store import Store

    model, _ = fitted
    n = len(model.unit_ids_) * model.k_
    keyed = copy.copy(model)
    keyed.inputs_key_ = "k-one"
    with Store(tmp_path / "s.duckdb") as store:
        assert store.put_topic_assignments("r1", keyed) == n
        assert store.put_topic_assignments("r2", keyed) == n
        count = store.con.execute
        assert count("SELECT count(*) FROM topic_shares").fetchone()[0] == n  # stored once
        per_run = dict(count("SELECT run_id, count(*) FROM topic_assignments GROUP BY 1").fetchall())
        assert per_run == {"r1": n, "r2": n}
        first = count(
            "SELECT unit_id, topic, label, share FROM topic_assignments WHERE run_id = 'r1' ORDER BY 1, 2"
        )
        rows_r1 = first.fetchall()
        rows_r2 = count(
            "SELECT unit_id, topic, label, share FROM topic_assignments WHERE run_id = 'r2' ORDER BY 1, 2"
        ).fetchall()
        assert rows_r1 == rows_r2
        unkeyed = copy.copy(model)
        unkeyed.inputs_key_ = None  # fitted by hand, not by the workflow
        store.put_topic_assignments("r3", unkeyed)  # kept under the run
        other = copy.copy(model)
        other.inputs_key_ = "k-two"
        store.put_topic_assignments("r2", other)  # r2 refitted: it now points at the new set
        assert dict(count("SELECT run_id, model_key FROM run_topics").fetchall()) == {
            "r1": "k-one",
            "r2": "k-two",
            "r3": "run:r3",
        }
        assert count("SELECT count(*) FROM topic_shares").fetchone()[0] == 3 * n


def test_topic_assignments_of_an_older_store_are_carried_over(fitted, tmp_path: Path) -> None:
    """A store written before the shares were kept per model keeps every run's rows: the
    migration moves them under a key of their run and ``topic_assignments`` (now a view)
    gives the same rows back."""
    import duckdb

    from govtext.store import MIGRATIONS, Store

    model, _ = fitted
    path = tmp_path / "old.duckdb"
    # the last schema with topic_assignments a table of its own
    before = next(i for i, m in enumerate(MIGRATIONS) if any("topic_shares (" in stmt for stmt in m))
    con = duckdb.connect(str(path))
    for statements in MIGRATIONS[:before]:
        for stmt in statements:
            con.execute(stmt)
    con.execute("INSERT OR REPLACE INTO govtext_meta VALUES ('schema_version', ?)", [str(before)])
    shares = model.doc_topics_
    con.execute(
        "INSERT INTO topic_assignments SELECT 'old-run', unit_id, doc_id, topic, 'lab' || topic, share FROM shares"
    )
    con.close()
    with Store(path) as store:
        assert store.schema_version() == len(MIGRATIONS)
        got = store.con.execute(
            "SELECT unit_id, doc_id, topic, label, share FROM topic_assignments WHERE run_id = 'old-run'"
        ).df()
    assert (got["label"] == "lab" + got["topic"].astype(str)).all()
    got = got.sort_values(["unit_id", "topic"]).reset_index(drop=True)
    want = shares.sort_values(["unit_id", "topic"]).reset_index(drop=True)
    assert len(got) == len(want) > 0
    assert got["unit_id"].astype(str).tolist() == want["unit_id"].astype(str).tolist()
    assert (got["share"].to_numpy() == want["share"].to_numpy()).all()
