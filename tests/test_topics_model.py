"""TopicModel: the three methods, seeds, coherence and K, labels, determinism, save/load."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_topics_units import POOLS, planted_documents, tokens_for

from govtext.documents import Document
from govtext.errors import ConfigError, NotFittedError
from govtext.segment import Segmenter
from govtext.topics import TopicModel, TopicQuality, TopicWarning, build_units, choose_k

FAST = {"passes": 5, "iterations": 50}


@pytest.fixture(scope="module")
def docs() -> list[Document]:
    return planted_documents()


@pytest.fixture(scope="module")
def units(docs):
    return build_units(docs, tokens_for(docs), min_df=2, max_df=0.5)


def _pool_of(term: str) -> str:
    return next(name for name, words in POOLS.items() if term in words)


@pytest.mark.parametrize("method", ["lda", "nmf"])
def test_topics_model_recovers_planted_pools(units, method):
    tm = TopicModel(method=method, k=4, **FAST).fit(units)
    terms = tm.topic_terms(n=5)
    assert list(terms.columns) == ["topic", "label", "rank", "term", "weight"]
    majority = (
        terms.assign(pool=terms["term"].map(_pool_of))
        .groupby("topic")["pool"]
        .agg(lambda s: s.value_counts().idxmax())
    )
    assert sorted(majority) == sorted(POOLS), "each planted pool should lead one topic"
    shares = tm.doc_topics_
    assert list(shares.columns) == ["unit_id", "doc_id", "topic", "share"]
    assert len(shares) == len(units) * 4
    np.testing.assert_allclose(shares.groupby("unit_id")["share"].sum(), 1.0, atol=1e-6)
    wide = tm.doc_topics(wide=True)
    assert wide.shape == (len(units), 5) and wide.index.name == "unit_id"


def test_topics_model_summary_and_curve(units):
    tm = TopicModel(method="lda", k=4, **FAST).fit(units)
    summary = tm.summary()
    assert list(summary.columns[:7]) == ["topic", "label", "kind", "theme", "name", "top_terms", "prevalence"]
    assert summary["prevalence"].sum() == pytest.approx(1.0)
    assert set(summary["kind"]) == {"free"}
    assert summary["label"].is_unique
    assert tm.k_curve_[["k", "chosen"]].values.tolist() == [[4, True]]
    assert -1 <= tm.quality_.npmi <= 1 and 0 < tm.quality_.diversity <= 1


def test_topics_model_labels_free_topics_by_theme_overlap(units):
    seeds = {"rule_of_law": ["法治", "依法", "执法", "普法"], "nothing_here": ["航天", "卫星"]}
    tm = TopicModel(method="nmf", k=4, seeds=seeds, theme_names={"rule_of_law": "法治"}).fit(units)
    summary = tm.summary()
    law = summary[summary["theme"] == "rule_of_law"]
    assert set(law["name"]) == {"法治"}  # the theme id beside its name
    assert summary.loc[summary["theme"].isna(), "name"].isna().all()  # no theme: NA, not ''
    assert len(law) == 1 and law["label"].iloc[0] == "法治"
    assert law["overlap"].iloc[0] >= tm.label_threshold
    assert not (summary["theme"] == "nothing_here").any()


def test_topics_model_seeded_topics_follow_their_seeds(units):
    seeds = {
        "hotline": ["热线", "诉求", "回访"],
        "law": ["法治", "普法"],
        "both": ["法治", "热线"],  # a word may seed several topics
    }
    tm = TopicModel(method="seeded", k=5, seeds=seeds, **FAST).fit(units)
    assert tm.k_ == 5 and tm.n_seeded_ == 3 and tm.n_free_ == 2
    summary = tm.summary()
    assert summary["kind"].tolist() == ["seeded"] * 3 + ["free"] * 2
    assert summary["theme"].tolist()[:3] == ["hotline", "law", "both"]
    top = tm.topic_terms(n=10)
    for t, pool in ((0, "hotline"), (1, "law")):
        words = top[top["topic"] == t]["term"]
        assert (words.map(_pool_of) == pool).sum() >= 6
    assert tm.missing_seeds_ == {}


def test_topics_model_absent_seeds_reported_and_topic_dropped(units):
    seeds = {"law": ["法治", "航天"], "space": ["卫星", "火箭"]}
    with pytest.warns(TopicWarning) as record:
        tm = TopicModel(method="seeded", k=4, seeds=seeds, **FAST).fit(units)
    messages = " ".join(str(w.message) for w in record)
    assert "space" in messages and "航天" in messages
    assert tm.missing_seeds_ == {"law": ("航天",), "space": ("卫星", "火箭")}
    assert tm.dropped_topics_ == ("space",)
    assert tm.seed_topics_ == ("law",) and tm.k_ == 3  # 4 declared − 1 dropped
    settings = json.loads(json.dumps(tm.settings()))
    assert settings["dropped_topics"] == ["space"] and settings["seeds_used"] == {"law": ["法治"]}
    assert settings["k_chosen"] == 3 and settings["units"]["n_units"] == len(units)


def test_topics_model_no_topic_left_is_a_config_error(units):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TopicWarning)
        with pytest.raises(ConfigError, match="n_free"):
            TopicModel(method="seeded", k=1, seeds={"space": ["卫星"]}, **FAST).fit(units)


@pytest.mark.parametrize("method", ["lda", "nmf", "seeded"])
def test_topics_model_two_fits_are_identical(units, method):
    params = {"method": method, "k": 4, "seeds": {"law": ["法治", "普法"]}, **FAST}
    a = TopicModel(**params).fit(units)
    b = TopicModel(**params).fit(units)
    np.testing.assert_array_equal(a.topic_term_, b.topic_term_)
    np.testing.assert_array_equal(a.doc_topic_, b.doc_topic_)
    pd.testing.assert_frame_equal(a.summary(), b.summary())
    pd.testing.assert_frame_equal(a.k_curve_, b.k_curve_)
    c = TopicModel(**{**params, "random_state": 1}).fit(units)
    if method != "nmf":  # nndsvda initialisation does not use the random state
        assert not np.array_equal(a.topic_term_, c.topic_term_)


def test_topics_model_auto_k_keeps_the_curve(units):
    tm = TopicModel(method="nmf", k="auto", k_range=(2, 7, 2)).fit(units)
    curve = tm.k_curve_
    assert curve["k"].tolist() == [2, 4, 6]
    assert list(curve.columns) == ["k", "npmi", "c_v", "diversity", "quality", "chosen"]
    assert curve["chosen"].sum() == 1 and int(curve.loc[curve["chosen"], "k"].iloc[0]) == tm.k_
    best = (
        curve.loc[curve["quality"].idxmax(), "k"]
        if (curve["npmi"] > 0).any()
        else curve.loc[curve["npmi"].idxmax(), "k"]
    )
    assert tm.k_ == best and tm.doc_topic_.shape[1] == tm.k_


def test_topics_model_auto_k_seeded_ranges_over_free_topics(units):
    seeds = {"law": ["法治"], "hot": ["热线"]}
    tm = TopicModel(method="seeded", k="auto", k_range=(1, 5, 2), seeds=seeds, **FAST).fit(units)
    assert tm.k_curve_["k"].tolist() == [3, 5]  # 2 seeded + 1 or 3 free
    assert tm.n_seeded_ == 2 and tm.n_free_ == tm.k_ - 2


def _q(npmi: float, diversity: float, c_v: float = 0.5) -> TopicQuality:
    return TopicQuality(npmi=npmi, c_v=c_v, diversity=diversity, npmi_per_topic=(), c_v_per_topic=())


def test_topics_model_choose_k_rules():
    curve = [(4, _q(0.10, 0.5, 0.7)), (6, _q(0.08, 0.9, 0.4)), (8, _q(0.10, 0.5, 0.7))]
    assert choose_k(curve, "quality") == 6
    assert choose_k(curve, "npmi") == 4  # tie goes to the smaller K
    assert choose_k(curve, "c_v") == 4
    negative = [(4, _q(-0.2, 1.0)), (6, _q(-0.1, 0.2))]
    assert choose_k(negative, "quality") == 6  # no positive NPMI: falls back to NPMI
    with pytest.raises(ConfigError, match="k_rule"):
        choose_k(curve, "perplexity")


@pytest.mark.parametrize("method", ["lda", "nmf", "seeded"])
def test_topics_model_save_load_round_trip(units, tmp_path: Path, method):
    tm = TopicModel(method=method, k=4, seeds={"law": ["法治", "普法"]}, **FAST).fit(units)
    tm.save(tmp_path / "m")
    back = TopicModel.load(tmp_path / "m")
    np.testing.assert_array_equal(back.topic_term_, tm.topic_term_)
    pd.testing.assert_frame_equal(back.summary(), tm.summary())
    pd.testing.assert_frame_equal(back.topic_terms(), tm.topic_terms())
    pd.testing.assert_frame_equal(back.k_curve_, tm.k_curve_)
    assert back.settings() == tm.settings()
    np.testing.assert_allclose(back.transform(units), tm.transform(units), atol=1e-6)


def test_topics_model_transform_matches_fit_and_is_repeatable(units):
    tm = TopicModel(method="lda", k=4, **FAST).fit(units)
    first = tm.transform(units)
    np.testing.assert_array_equal(first, tm.transform(units))
    np.testing.assert_allclose(first, tm.doc_topic_, atol=1e-6)


def test_topics_model_prevalence_by_metadata(docs, units):
    from govtext.documents import Corpus

    tm = TopicModel(method="nmf", k=4).fit(units)
    frame = Corpus.from_documents(docs).to_frame()
    prev = tm.prevalence_by(frame, "group")
    assert list(prev.columns) == ["group", "topic", "label", "prevalence", "n_units"]
    assert set(prev["group"]) == {"odd", "even"}
    np.testing.assert_allclose(prev.groupby("group")["prevalence"].sum(), 1.0, atol=1e-6)
    with pytest.raises(Exception, match="province"):
        tm.prevalence_by(frame, "province")


def test_topics_model_errors_before_fit_and_on_bad_parameters(units):
    with pytest.raises(NotFittedError):
        TopicModel().summary()
    with pytest.raises(ConfigError, match="'method' parameter"):
        TopicModel(method="hdp").fit(units)
    with pytest.raises(ConfigError, match="'k' parameter"):
        TopicModel(k=0).fit(units)
    with pytest.raises(ConfigError, match="'k_range' parameter"):
        TopicModel(k="auto", k_range=(5, 2)).fit(units)
    with pytest.raises(ConfigError, match="must be a list"):
        TopicModel(method="seeded", seeds={"law": "法治"}).fit(units)


def test_topics_model_seed_page_fits_with_seeds_that_never_occur(seed_page: Path):
    doc = Document(doc_id="seed", text=seed_page.read_text(encoding="utf-8"))
    units = build_units([doc], [Segmenter(pos=True).tokens(doc)], min_df=2, max_df=0.5)
    seeds = {"grassroots": ["基层", "社区", "街道"], "never": ["潜艇", "航母"]}
    with pytest.warns(TopicWarning, match="never"):
        tm = TopicModel(method="seeded", k=4, seeds=seeds, **FAST).fit(units)
    assert tm.seed_topics_ == ("grassroots",) and tm.dropped_topics_ == ("never",)
    assert tm.doc_topic_.shape == (len(units), 3)
    assert tm.summary()["npmi"].notna().all()


def test_topics_model_fit_topics_and_tables(docs, tmp_path: Path):
    from govtext.documents import Corpus
    from govtext.topics import fit_topics, topic_tables, write_topic_tables

    seeds = {"law": ["法治", "普法", "依法执法"], "hotline": ["热线", "诉求"]}
    tm = fit_topics(docs, tokens_for(docs), method="seeded", k=4, seeds=seeds, **FAST)
    assert tm.seed_topics_ == ("law", "hotline") and tm.missing_seeds_ == {"law": ("依法执法",)}
    tables = topic_tables(tm, Corpus.from_documents(docs).to_frame(), "group")
    assert list(tables) == [
        "topic_summary",
        "topic_terms",
        "topic_k_curve",
        "doc_topics",
        "topic_prevalence_by_group",
    ]
    paths = write_topic_tables(tables, tmp_path)
    back = pd.read_csv(paths["topic_summary"], encoding="utf-8-sig", keep_default_na=False)
    assert back["label"].tolist() == tables["topic_summary"]["label"].tolist()


def test_topics_model_seeded_topic_with_too_rare_seeds_is_dropped(units):
    n_law = sum(toks.count("法治") for toks in units.token_lists)
    seeds = {"law": ["法治"], "hotline": ["热线", "诉求"]}
    with pytest.warns(TopicWarning, match=f"only {n_law} time"):
        tm = TopicModel(method="seeded", k=3, seeds=seeds, min_seed_count=n_law + 1, **FAST).fit(units)
    assert tm.dropped_topics_ == ("law",) and tm.seed_topics_ == ("hotline",)
    assert tm.k_ == 2  # 3 declared − 1 dropped


def test_topics_model_seeded_without_free_topics_warns(units):
    with pytest.warns(TopicWarning, match="no free topics"):
        tm = TopicModel(method="seeded", k=2, seeds={"law": ["法治"], "hot": ["热线"]}, **FAST).fit(units)
    assert tm.n_free_ == 0 and tm.k_ == 2


@pytest.mark.parametrize("method", ["lda", "nmf", "seeded"])
def test_topics_model_fits_on_a_capped_sample_and_infers_every_unit(units, method):
    cap = len(units) // 2
    params = {"method": method, "k": 4, "seeds": {"law": ["法治", "普法"]}, "sample_size": cap, **FAST}
    tm = TopicModel(**params).fit(units)
    assert tm.n_sample_ == cap and tm.settings()["n_sample"] == cap
    assert tm.doc_topic_.shape == (len(units), tm.k_)  # every unit, not only the sample
    np.testing.assert_allclose(tm.doc_topic_.sum(axis=1), 1.0, atol=1e-9)
    # the shares are the chosen model's inference, the same for a unit in or out of the sample
    np.testing.assert_allclose(tm.transform(units), tm.doc_topic_, atol=1e-12)
    again = TopicModel(**params).fit(units)
    np.testing.assert_array_equal(tm.doc_topic_, again.doc_topic_)
    whole = TopicModel(**{**params, "sample_size": 0}).fit(units)
    assert whole.n_sample_ == len(units)
    if method != "nmf":  # another sample, another fit
        assert not np.array_equal(tm.topic_term_, whole.topic_term_)


def test_topics_model_block_inference_is_gensims_and_independent_of_blocks_and_threads(units):
    from govtext.topics.inference import count_matrix, lda_infer

    tm = TopicModel(method="lda", k=4, sample_size=0, **FAST).fit(units)
    lda = tm.model_
    counts = count_matrix(units.token_lists, {w: i for i, w in enumerate(tm.vocabulary_)})
    beta = np.asarray(lda.expElogbeta, dtype=float)
    alpha = np.asarray(lda.alpha, dtype=float)
    one = lda_infer(counts, beta, alpha, random_state=3, iterations=100)
    for chunk_units, threads in ((7, 1), (7, 2), (5, 2)):
        other = lda_infer(
            counts, beta, alpha, random_state=3, iterations=100, chunk_units=chunk_units, threads=threads
        )
        np.testing.assert_array_equal(one, other)
    # gensim's own E-step from the same start gives the same shares (float32 products)
    lda.random_state = np.random.RandomState(3)
    gamma, _ = lda.inference([tm.dictionary_.doc2bow(list(t)) for t in units.token_lists])
    gamma = np.asarray(gamma, dtype=float)
    np.testing.assert_allclose(one, gamma / gamma.sum(axis=1, keepdims=True), atol=2e-3)


def _estep_by_sparse_indexing(counts, beta, alpha, gamma, iterations, threshold):
    """The block E-step as first written (scipy's row indexing, fancy-indexed gathers):
    the yardstick the faster one must equal bit for bit."""
    from scipy.sparse import csr_matrix
    from scipy.special import psi

    beta_t = np.ascontiguousarray(beta.T, dtype=np.float32)

    def exp_elog(g):
        return np.exp(psi(g) - psi(g.sum(axis=1))[:, None])

    def ratios(block, th):
        rows = np.repeat(np.arange(block.shape[0]), np.diff(block.indptr))
        phinorm = np.einsum("ij,ij->i", th[rows], beta_t[block.indices]) + 1e-100
        return csr_matrix(
            ((block.data / phinorm).astype(np.float32), block.indices, block.indptr), shape=block.shape
        )

    theta = exp_elog(gamma).astype(np.float32)
    active = np.arange(counts.shape[0])
    for _ in range(iterations):
        th = theta[active]
        new = alpha + th * (ratios(counts[active], th) @ beta_t)
        change = np.abs(new - gamma[active]).mean(axis=1)
        gamma[active] = new
        theta[active] = exp_elog(new)
        active = active[change >= threshold]
        if not len(active):
            break
    return np.asarray((ratios(counts, theta).T @ theta).T, dtype=float)


def test_topics_model_block_estep_equals_the_sparse_indexing_one_bit_for_bit(units):
    from govtext.topics.inference import block_estep

    tm = TopicModel(method="lda", k=4, sample_size=0, **FAST).fit(units)
    counts = units.counts()
    beta = np.asarray(tm.model_.expElogbeta, dtype=float)
    alpha = np.asarray(tm.model_.alpha, dtype=float)
    start = np.random.RandomState(5).gamma(100.0, 1.0 / 100.0, (counts.shape[0], 4))
    ours, theirs = start.copy(), start.copy()
    sstats = block_estep(
        counts, beta, alpha, ours, iterations=100, gamma_threshold=0.001, collect_sstats=True
    )
    expected = _estep_by_sparse_indexing(counts, beta, alpha, theirs, 100, 0.001)
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(sstats, expected)


def test_topics_model_quiet_mstep_is_gensims(units):
    """The M-step without gensim's log gives the very model gensim's does (its random
    state included: printing topics draws from it)."""
    from gensim.models import LdaModel

    from govtext.topics import fitting

    real = fitting.quiet_mstep
    quiet = TopicModel(method="lda", k=7, sample_size=0, **FAST).fit(units)
    try:
        fitting.quiet_mstep = lambda lda, rho, other, extra_pass=False: LdaModel.do_mstep(
            lda, rho, other, extra_pass
        )
        loud = TopicModel(method="lda", k=7, sample_size=0, **FAST).fit(units)
    finally:
        fitting.quiet_mstep = real
    np.testing.assert_array_equal(quiet.topic_term_, loud.topic_term_)
    np.testing.assert_array_equal(quiet.doc_topic_, loud.doc_topic_)


def test_topics_model_reuse_keyed_by_inputs_skips_building_units(docs, tmp_path: Path, monkeypatch):
    import dataclasses

    from govtext.store import Store
    from govtext.topics import fit_topics, workflow

    seeds = {"law": ["法治", "普法"], "hotline": ["热线", "诉求"]}
    tokens = tokens_for(docs)
    with Store(tmp_path / "s.duckdb") as store:
        first = fit_topics(docs, tokens, method="seeded", k=4, seeds=seeds, cache=store, **FAST)
        assert first.reused_ is False

        def no_units(*args, **kwargs):
            raise AssertionError("build_units called although the model is in the store")

        monkeypatch.setattr(workflow, "build_units", no_units)
        again = fit_topics(
            docs, list(reversed(tokens)), method="seeded", k=4, seeds=seeds, cache=store, **FAST
        )
        assert again.reused_ is True
        np.testing.assert_array_equal(again.doc_topic_, first.doc_topic_)
        pd.testing.assert_frame_equal(again.summary(), first.summary())
        monkeypatch.undo()
        # one text changed: another key, a new fit
        changed = [dataclasses.replace(docs[0], text=docs[0].text + "。"), *docs[1:]]
        other = fit_topics(
            changed, tokens_for(changed), method="seeded", k=4, seeds=seeds, cache=store, **FAST
        )
        assert other.reused_ is False


def test_topics_model_seeded_start_weighs_seeds_over_every_unit(units, monkeypatch):
    """Fitted on a sample, the seeded topics start from their seeds' counts in every unit:
    the random start (about 1 per topic and word) does not shrink with the sample, so the
    sample's counts alone let it swamp the seeds (on ../shared/corpus no seeded topic kept
    its theme's name; with every unit's counts 德治 and 增效 keep theirs, as before the sample)."""
    from gensim.models import LdaModel

    starts: list[np.ndarray] = []
    original = LdaModel.update

    def update(self, *args, **kwargs):
        starts.append(np.array(self.state.sstats))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(LdaModel, "update", update)
    cap = len(units) // 3
    tm = TopicModel(
        method="seeded", k=3, seeds={"law": ["法治"]}, sample_size=cap, seed_noise=0.0, **FAST
    ).fit(units)
    assert tm.n_sample_ == cap
    everywhere = sum(toks.count("法治") for toks in units.token_lists)
    in_sample = sum(units.token_lists[i].count("法治") for i in tm._sample(len(units)))
    assert in_sample < everywhere
    law = starts[0][0]
    assert law[tm.vocabulary_.index("法治")] == pytest.approx(everywhere)
    assert law.sum() == pytest.approx(everywhere)  # seed_noise 0: the seeds alone


def test_topics_model_from_the_store_imports_gensim_only_when_used(units, tmp_path: Path):
    """A model loaded for its tables (a re-run) does not unpickle its gensim model: that
    import alone took a second of the re-run; transform still gives the same shares."""
    import pickle
    import subprocess
    import sys

    tm = TopicModel(method="seeded", k=3, seeds={"law": ["法治"]}, **FAST).fit(units)
    blob = tmp_path / "model.pkl"
    blob.write_bytes(pickle.dumps(tm))
    code = (
        "import pickle, sys\n"
        f"m = pickle.loads(open({str(blob)!r}, 'rb').read())\n"
        "m.summary(); m.settings(); m.doc_topics_\n"
        "assert 'gensim' not in sys.modules, 'gensim imported for the tables'\n"
        "m.model_\n"
        "assert 'gensim' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    again = pickle.loads(blob.read_bytes())
    np.testing.assert_array_equal(again.transform(units), tm.transform(units))
    pd.testing.assert_frame_equal(again.summary(), tm.summary())
