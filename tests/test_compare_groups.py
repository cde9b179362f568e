"""Groups a scholar can trust: a typo is an error, co-authors count for each, small
groups are flagged and kept out of trends, genres can be kept apart, and the tables and
report say exactly what they hold."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import govtext
from govtext.compare import group_membership, group_similarity, similarity_matrix, term_counts, theme_density
from govtext.errors import InputError
from govtext.pipeline import PipelineConfig, analyze
from govtext.report.render import md_code

GOVTEXT = [sys.executable, "-m", "govtext"]


def _quiet_config() -> PipelineConfig:
    cfg = PipelineConfig()
    cfg.topics.enabled = False
    return cfg


def test_compare_unknown_field_is_an_error_listing_fields(sample_corpus: Path) -> None:
    with pytest.raises(InputError, match=r"cannot compare by 'autor'.*fields are: .*author.*province"):
        analyze([sample_corpus], by="autor", config=_quiet_config())
    with pytest.raises(InputError, match=r"cannot follow over time 'yaer'"):
        analyze([sample_corpus], by="year", time_field="yaer", config=_quiet_config())
    proc = subprocess.run(
        [*GOVTEXT, "compare", str(sample_corpus), "--by", "autor"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1 and "全部" not in proc.stdout
    assert "cannot compare by 'autor'" in proc.stderr and "Traceback" not in proc.stderr


def test_compare_coauthors_count_for_each() -> None:
    frame = pd.DataFrame(
        {"text": ["推进居民自治。", "坚持依法治理。推进居民自治。"], "author": ["孙立群、陈思远", "陈思远"]}
    )
    tagged = govtext.tag(frame)
    member = group_membership(tagged.documents, "authors")
    assert sorted(member.itertuples(index=False, name=None)) == [
        ("text1", "孙立群"),
        ("text1", "陈思远"),
        ("text2", "陈思远"),
    ]
    table = tagged.compare("authors").set_index(["authors", "theme"])
    assert "孙立群、陈思远" not in table.index.get_level_values("authors")
    assert table.loc[("陈思远", "self_governance"), "hits"] == 2
    assert table.loc[("陈思远", "self_governance"), "n_docs"] == 2
    assert table.loc[("孙立群", "self_governance"), "n_docs"] == 1


def test_compare_small_groups_flagged_and_out_of_trends(national_file: Path) -> None:
    cfg = _quiet_config()
    result = analyze([national_file], by="year", time_field="year", config=cfg)
    density = result.tables["theme_density"]
    small = set(density.loc[density["small_group"], "year"])
    assert 2020 in small  # only the 500-character NPC resolution of that year
    assert 2019 not in small
    trend = result.tables["trend"]
    assert 2020 not in set(trend["year"]) and 2019 in set(trend["year"])
    assert any("left out of the trend: " in w and "2020" in w for w in result.settings["warnings"])


def test_compare_where_keeps_genres_apart(national_file: Path) -> None:
    cfg = _quiet_config()
    cfg.compare.where = ["genre=report"]
    result = analyze([national_file], by="year", config=cfg)
    assert set(result.documents["genre"]) == {"report"}
    assert 2020 not in set(result.documents["year"])
    assert any("left out: they do not meet genre=report" in w for w in result.settings["warnings"])
    cfg.compare.where = ["genre=nosuch"]
    with pytest.raises(InputError, match="no document meets genre=nosuch"):
        analyze([national_file], by="year", config=cfg)


def test_compare_similarity_diagonal_is_exactly_one(sample_corpus: Path) -> None:
    from govtext.segment import Segmenter

    corpus = govtext.read_corpus([sample_corpus])
    seg = Segmenter()
    counts = term_counts([seg.tokens(d) for d in corpus], stopwords=seg.stopword_set())
    sim = similarity_matrix(group_similarity(counts, corpus.to_frame(), "doc_id"))
    assert np.all(np.diag(sim.to_numpy()) == 1.0)
    assert (sim.to_numpy() <= 1.0).all()


def test_compare_density_small_flag_thresholds() -> None:
    tagged = govtext.tag(pd.DataFrame({"text": ["推进居民自治。" * 400, "居民自治。"], "kind": ["长", "短"]}))
    table = theme_density(tagged.scores, tagged.documents, "kind", min_chars=1000)
    flags = table.drop_duplicates("kind").set_index("kind")["small_group"]
    assert bool(flags["短"]) and not bool(flags["长"])


def test_compare_markdown_code_spans_hold_ids_literally() -> None:
    assert md_code("01_jiesu_jiban") == "`01_jiesu_jiban`"
    assert md_code("a`b") == "``a`b``"


def test_compare_report_title_says_what_was_compared(tmp_path: Path, sample_corpus: Path) -> None:
    pipeline = tmp_path / "p.toml"
    pipeline.write_text("[topics]\nenabled = false\n[report]\nformats = ['html', 'md']\n", encoding="utf-8")
    out = tmp_path / "by-author"
    proc = subprocess.run(
        [*GOVTEXT, "run", str(pipeline), str(sample_corpus), "--by", "author", "--out", str(out), "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    md = (out / "report.md").read_text(encoding="utf-8")
    first = md.splitlines()[0]
    assert "按 author 比较" in first
    spans = re.findall(r"`([^`]+)`", md)
    assert spans and not [s for s in spans if "\\" in s]  # ids shown as they are, no escapes


def test_compare_term_matrix_on_many_groups_and_rows() -> None:
    """Keyness and similarity pool (document, term) rows by group once: finding the groups
    that hold terms used to rebuild a set of every row's group per group (25 s of the
    compare stage on ../shared/corpus, 3.4 million rows). Its speed is measured by
    bench/bench_e2e.py, not here; this checks the pooled tables on 400,000 rows."""
    from govtext.compare import keyness_by_group

    rng = np.random.default_rng(0)
    n_docs, n_groups, per_doc = 4000, 60, 100
    docs = pd.DataFrame(
        {
            "doc_id": [f"d{i}" for i in range(n_docs)],
            "province": [f"g{i % n_groups:02d}" for i in range(n_docs)],
            "n_chars": 1000,
        }
    )
    dtc = pd.DataFrame(
        {
            "doc_id": np.repeat(docs["doc_id"].to_numpy(), per_doc),
            "term": [f"t{j}" for j in rng.integers(0, 5000, n_docs * per_doc)],
            "count": 1,
        }
    )
    sim = group_similarity(dtc, docs, "province")
    key = keyness_by_group(dtc, docs, "province")
    groups = [f"g{i:02d}" for i in range(n_groups)]
    assert list(dict.fromkeys(sim["province"])) == groups
    assert len(sim) == n_groups * n_groups
    diagonal = sim[sim["province"] == sim["province_other"]]["cosine"]
    assert (diagonal == 1.0).all()
    assert set(key["province"]) <= set(groups)


def test_compare_term_counts_are_categorical_and_pool_as_text_does(sample_corpus: Path) -> None:
    """term_counts gives codes, not a Python string per (document, term) row (issue 20: that
    frame held the peak memory of a 100 MB run); the pooled groups × terms counts, keyness
    and similarity are those of the same frame as text."""
    from govtext.compare import group_term_matrix, keyness_by_group
    from govtext.segment import Segmenter

    corpus = govtext.read_corpus([sample_corpus])
    seg = Segmenter()
    counts = term_counts([seg.tokens(d) for d in corpus], stopwords=seg.stopword_set())
    assert isinstance(counts["doc_id"].dtype, pd.CategoricalDtype)
    assert isinstance(counts["term"].dtype, pd.CategoricalDtype)
    as_text = counts.astype({"doc_id": "str", "term": "str"})
    docs = corpus.to_frame()
    docs["half"] = ["a" if i % 2 else "b" for i in range(len(docs))]
    for by in ("doc_id", "half"):
        m, order, terms = group_term_matrix(counts, docs, by)
        m2, order2, terms2 = group_term_matrix(as_text, docs, by)
        assert order == order2 and list(terms) == list(terms2) and (m != m2).nnz == 0
        pd.testing.assert_frame_equal(keyness_by_group(counts, docs, by), keyness_by_group(as_text, docs, by))
        pd.testing.assert_frame_equal(group_similarity(counts, docs, by), group_similarity(as_text, docs, by))


def test_compare_doc_term_matrix_gives_the_tables_of_the_long_frame(sample_corpus: Path) -> None:
    """Counted straight into a sparse documents × terms matrix (issue 20: the long frame
    held the peak memory of a 100 MB run), the pooled counts, keyness and similarity are
    those of the long frame, byte for byte; a document given twice is one row, a
    document the frame of documents lacks counts for no group, and one in two groups
    (authors) for both."""
    from govtext.compare import DocTermMatrix, doc_term_matrix, group_term_matrix, keyness_by_group
    from govtext.segment import Segmenter

    corpus = govtext.read_corpus([sample_corpus])
    seg = Segmenter()
    tokens = [seg.tokens(d) for d in corpus]
    dtm = doc_term_matrix(tokens, stopwords=seg.stopword_set())
    long = term_counts(tokens, stopwords=seg.stopword_set())
    assert isinstance(dtm, DocTermMatrix) and len(dtm) == len(long) > 0
    assert list(dtm.terms) == sorted(dtm.terms) and dtm.counts.has_sorted_indices
    pd.testing.assert_frame_equal(dtm.to_frame(), long)
    docs = corpus.to_frame()
    docs["half"] = ["a" if i % 2 else "b" for i in range(len(docs))]
    docs["authors"] = ["甲、乙" if i % 3 == 0 else "乙" for i in range(len(docs))]
    docs = docs.iloc[1:]  # the first document counts for no group
    for by in ("doc_id", "half", "authors"):
        m, order, terms = group_term_matrix(dtm, docs, by)
        m2, order2, terms2 = group_term_matrix(long, docs, by)
        assert order == order2 and list(terms) == list(terms2) and (m != m2).nnz == 0
        assert m.has_sorted_indices and m.dtype == m2.dtype
        pd.testing.assert_frame_equal(keyness_by_group(dtm, docs, by), keyness_by_group(long, docs, by))
        pd.testing.assert_frame_equal(group_similarity(dtm, docs, by), group_similarity(long, docs, by))
    twice = doc_term_matrix([*tokens[:2], tokens[0]], stopwords=seg.stopword_set())
    once = doc_term_matrix(tokens[:2], stopwords=seg.stopword_set())
    assert twice.doc_ids == once.doc_ids
    assert (twice.counts[0] != 2 * once.counts[0]).nnz == 0 and (twice.counts[1] != once.counts[1]).nnz == 0


def test_compare_similarity_is_scikit_learns_tfidf_cosine(national_file: Path, provincial_dir: Path) -> None:
    """The TF-IDF written out in ``tfidf_rows`` (so the run need not import scikit-learn)
    gives scikit-learn's cosines, to the 12 places the table keeps, on the seventy years of
    national reports by year and the provincial reports by province, bit for bit before
    rounding; and its rows are scikit-learn's TF-IDF rows normalised as its cosine does."""
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.metrics.pairwise import cosine_similarity
    from sklearn.preprocessing import normalize

    from govtext.compare import doc_term_matrix, group_term_matrix
    from govtext.compare.similarity import tfidf_rows
    from govtext.segment import Segmenter

    corpus = govtext.read_corpus([national_file, provincial_dir])
    seg = Segmenter()
    dtm = doc_term_matrix([seg.tokens(d) for d in corpus], stopwords=seg.stopword_set())
    docs = corpus.to_frame()
    for by in ("year", "province"):
        m, order, _ = group_term_matrix(dtm, docs, by)
        assert len(order) >= 20
        theirs = TfidfTransformer(sublinear_tf=True).fit_transform(m)
        assert (tfidf_rows(m) != normalize(theirs)).nnz == 0
        raw = cosine_similarity(theirs)
        assert (tfidf_rows(m) @ tfidf_rows(m).T).toarray().tolist() == raw.tolist()
        want = np.round(np.clip(raw, 0.0, 1.0), 12)
        np.fill_diagonal(want, 1.0)
        got = group_similarity(dtm, docs, by)
        assert (got["cosine"].to_numpy() == want.reshape(-1)).all()
