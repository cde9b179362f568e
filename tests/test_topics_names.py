"""Honest topic names: a topic carries a theme's name only when its top terms hold the
theme's seeds and its unit shares agree with the rule hits (ROC AUC); a topic that fails
is labelled by its top terms in every table, the HTML page and the workbook."""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import pytest
from openpyxl import load_workbook

from govtext.pipeline import PipelineConfig, run_pipeline
from govtext.themes import load_dictionary


@pytest.fixture(scope="module")
def national_run(tmp_path_factory: pytest.TempPathFactory, national_file: Path) -> tuple[Path, object]:
    cfg = PipelineConfig(name="names")
    cfg.report.formats = ["html", "csv", "xlsx"]
    out = tmp_path_factory.mktemp("names") / "out"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outcome = run_pipeline(cfg, [national_file], by="year", out=out)
    return out, outcome.result


@pytest.mark.slow
def test_topics_names_checked_against_rule_hits(national_run: tuple[Path, object]) -> None:
    _, result = national_run
    model = result.topic_model  # type: ignore[attr-defined]
    checks = model.name_checks_
    assert len(checks) >= 3
    for row in checks.itertuples():
        expected = bool(row.seeds_on_top) and not math.isnan(row.auc) and row.auc >= 0.85
        assert row.named == expected
    # On seventy years of national reports most seeded themes do not hold a topic of their own
    # (the 赋权 seeds end in a topic of 经济 投资 改革 企业): those must lose the name.
    assert (~checks["named"]).sum() >= 1
    summary = model.summary()
    for row in checks.itertuples():
        label = summary.loc[row.topic, "label"]
        assert (summary.loc[row.topic, "theme"] == row.theme) == row.named
        if not row.named:
            assert "·" in label  # its top terms


@pytest.mark.slow
def test_topics_failed_names_appear_nowhere(national_run: tuple[Path, object]) -> None:
    out, result = national_run
    model = result.topic_model  # type: ignore[attr-defined]
    names = {t.id: t.name for t in load_dictionary().themes.values()}
    failed = {
        names[t]
        for t, ok in zip(model.name_checks_["theme"], model.name_checks_["named"], strict=True)
        if not ok
    }
    kept = {
        names[t] for t, ok in zip(model.name_checks_["theme"], model.name_checks_["named"], strict=True) if ok
    }
    failed -= kept
    assert failed
    labels = set(model.topic_labels_)
    assert not labels & failed
    for table in ("topics", "topic_prevalence"):
        frame = result.tables[table]  # type: ignore[attr-defined]
        assert not set(frame["label"].astype(str)) & failed, table
    html = (out / "index.html").read_text(encoding="utf-8")
    section = html.split('id="topics"')[1].split("</section>")[0]
    header_cells = re.findall(r"<th[^>]*>([^<]*)</th>", section)
    for name in failed:
        assert not any(re.fullmatch(rf"\d+ {name}", cell.strip()) for cell in header_cells), name
    wb = load_workbook(out / "report.xlsx", read_only=True)
    for sheet in ("topics", "topic_prevalence"):
        ws = wb[sheet]
        rows = list(ws.iter_rows(values_only=True))
        col = rows[0].index("label")
        assert not {str(r[col]) for r in rows[1:]} & failed, sheet


def test_topics_names_rule_of_thumb_on_a_tiny_model() -> None:
    import numpy as np

    from govtext.topics.model import TopicModel

    m = TopicModel.__new__(TopicModel)
    m.label_n = 3
    m.topic_term_ = np.array([[0.5, 0.3, 0.2, 0.0], [0.0, 0.1, 0.2, 0.7]])
    m.vocabulary_ = ("居民自治", "社区", "议事", "企业")
    m.doc_topic_ = np.array([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9], [0.2, 0.8]])
    m.unit_ids_ = ("a#p0", "a#p1", "b#p0", "b#p1")
    m.seeds_used_ = {"self_governance": ("居民自治",), "empowerment": ("赋权",)}
    m.theme_terms_ = {}
    m.k_ = 2
    m._label_rows = [
        {
            "kind": "seeded",
            "theme": "self_governance",
            "overlap": 0.5,
            "label": "自治",
            "words": "居民自治·社区·议事",
        },
        {
            "kind": "seeded",
            "theme": "empowerment",
            "overlap": 0.0,
            "label": "赋权",
            "words": "企业·议事·社区",
        },
    ]
    presence = {"a#p0": {"self_governance"}, "a#p1": {"self_governance"}, "b#p1": {"empowerment"}}
    m.check_names(presence, min_auc=0.85)
    assert m.topic_labels_ == ("自治", "企业·议事·社区")  # 赋权's seeds are not on top: unnamed
    assert list(m.name_checks_["named"]) == [True, False]
    assert m.name_checks_.loc[0, "auc"] == pytest.approx(1.0)


def test_topics_defaults_are_one_and_scaled_to_units(sample_corpus: Path) -> None:
    import inspect

    from govtext.cli import topics as cli_topics
    from govtext.pipeline import TopicsConfig
    from govtext.topics import DEFAULT_K_RANGE, DEFAULT_METHOD, TopicModel, max_topics, topics_from_paths

    params = inspect.signature(cli_topics.topics).parameters
    # the command's defaults (Annotated style: the parameter's own default value)
    assert params["method"].default == DEFAULT_METHOD == TopicsConfig().method
    assert tuple(int(x) for x in params["k_range"].default.split(",")) == DEFAULT_K_RANGE
    assert tuple(TopicsConfig().k_range) == DEFAULT_K_RANGE
    assert TopicModel().method == DEFAULT_METHOD and TopicModel().k == "auto"
    # ten articles (~80 paragraphs): LDA asked for K up to 20 tries no more than 8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, model = topics_from_paths([sample_corpus], method="lda", k="auto", k_range=(4, 21, 4))
    n_units = len(model.unit_ids_)
    assert max(model.k_curve_["k"]) <= max_topics(n_units) < 20


def test_topics_model_reused_from_the_store(tmp_path: Path, sample_corpus: Path) -> None:
    from govtext.store import Store

    cfg = PipelineConfig(name="reuse")
    cfg.report.formats = ["csv"]
    out = tmp_path / "out"
    first = run_pipeline(cfg, [sample_corpus], by="year", out=out).result
    assert first.topic_model.reused_ is False  # type: ignore[attr-defined]
    tables = {p.name: p.read_bytes() for p in sorted((out / "tables").glob("topic*.csv"))}
    second = run_pipeline(cfg, [sample_corpus], by="year", out=out).result
    assert second.topic_model.reused_ is True  # type: ignore[attr-defined]
    assert tables == {p.name: p.read_bytes() for p in sorted((out / "tables").glob("topic*.csv"))}
    cfg.topics.refit = True
    third = run_pipeline(cfg, [sample_corpus], by="year", out=out).result
    assert third.topic_model.reused_ is False  # type: ignore[attr-defined]
    cfg.topics.refit = False
    cfg.topics.random_state = 1  # another setting: another model
    fourth = run_pipeline(cfg, [sample_corpus], by="year", out=out).result
    assert fourth.topic_model.reused_ is False  # type: ignore[attr-defined]
    with Store(out / "govtext.duckdb") as st:
        assert len(st.con.execute("SELECT key FROM topic_models").fetchall()) == 2


def test_topics_names_roc_auc_is_scikit_learns_to_the_last_bit(national_run: tuple[Path, object]) -> None:
    """govtext.topics.naming.roc_auc stands in for sklearn's roc_auc_score in the topic
    child (its import cost the fit ~0.3 CPU-s): the same float on real shares and on
    random cases with ties, in float64 and float32."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    from govtext.topics.naming import roc_auc

    _, result = national_run
    model = result.topic_model  # type: ignore[attr-defined]
    shares = model.doc_topic_
    rng = np.random.default_rng(7)
    for t in range(shares.shape[1]):
        y = rng.random(shares.shape[0]) < 0.2
        assert roc_auc(list(y), shares[:, t]) == float(roc_auc_score(list(y), shares[:, t]))
    for case in range(300):
        n = int(rng.integers(2, 400))
        y = rng.random(n) < rng.uniform(0.05, 0.95)
        if y.all() or not y.any():
            continue
        score = rng.integers(0, int(rng.integers(1, 20)), n) / 7.0 if case % 2 else rng.random(n)
        for s in (score, score.astype(np.float32)):
            assert roc_auc(list(y), s) == float(roc_auc_score(list(y), s)), case
    assert roc_auc([True, False, True, False], [0.9, 0.1, 0.8, 0.2]) == 1.0
    assert roc_auc([False, True], [0.5, 0.5]) == 0.5
