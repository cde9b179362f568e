"""The main job re-uses its store: tokens, theme hits and documents computed once.

Runs over the sample corpus (and copies of a few of its files) with topics off, so each
run takes a second or two; what was re-used is read from the store's ``runs`` table and
from the ``record`` that ``analyze`` fills.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import SAMPLE_CORPUS

from govtext.pipeline import PipelineConfig, TopicsConfig, analyze, run_pipeline
from govtext.store import Store, StoreLockedError, query_store

EXTRA_DICT = """
[[theme]]
id = "grid"
framework = "capital_mechanisms"
name = "网格化"
terms = ["网格员", "网格化", "网格"]
"""


def _cfg(**engine: Any) -> PipelineConfig:
    from govtext.engine import EngineConfig

    return PipelineConfig(topics=TopicsConfig(enabled=False), engine=EngineConfig(**engine))


def _tables(result: Any) -> dict[str, pd.DataFrame]:
    return {name: frame.reset_index(drop=True) for name, frame in result.tables.items()}


def _assert_same_tables(a: Any, b: Any) -> None:
    ta, tb = _tables(a), _tables(b)
    assert set(ta) == set(tb)
    for name in ta:
        pd.testing.assert_frame_equal(ta[name], tb[name], check_dtype=False, obj=name)


def _runs(store: Path) -> list[dict[str, Any]]:
    frame = query_store(store, "SELECT run_id, status, reused FROM runs ORDER BY started, run_id")
    return [{**row, "reused": json.loads(row["reused"] or "{}")} for row in frame.to_dict("records")]


def test_pipeline_store_rerun_segments_and_matches_nothing(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    first: dict[str, Any] = {}
    second: dict[str, Any] = {}
    a = analyze([SAMPLE_CORPUS], config=_cfg(), store=store, record=first)
    b = analyze([SAMPLE_CORPUS], config=_cfg(), store=store, record=second)
    n = len(a.corpus)
    assert n > 1
    assert (first["segmented"], first["matched"], first["tokens_reused"]) == (n, n, 0)
    assert (second["segmented"], second["matched"]) == (0, 0)
    assert second["tokens_reused"] == second["hits_reused"] == n
    _assert_same_tables(a, b)
    pd.testing.assert_frame_equal(a.hits, b.hits, check_dtype=False)
    runs = _runs(store)
    assert [r["status"] for r in runs] == ["done", "done"]
    assert runs[1]["reused"]["segmented"] == 0 and runs[1]["reused"]["tokens_reused"] == n
    docs = query_store(store, "SELECT doc_id, text_hash FROM documents")
    assert sorted(docs["doc_id"]) == sorted(d.doc_id for d in a.corpus)
    # documents join their hits through hits_key: the same count per document as the report's
    per_doc = query_store(
        store,
        "SELECT d.doc_id, count(h.ord) AS n FROM documents d LEFT JOIN theme_hits h USING (hits_key) GROUP BY 1",
    )
    assert dict(zip(per_doc["doc_id"], per_doc["n"], strict=True)) == {
        d.doc_id: int((a.hits["doc_id"] == d.doc_id).sum()) for d in a.corpus
    }


def test_pipeline_store_dictionary_change_rematches_without_segmenting(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    analyze([SAMPLE_CORPUS], config=_cfg(), store=store)
    extra = tmp_path / "grid.toml"
    extra.write_text(EXTRA_DICT, encoding="utf-8")
    cfg = _cfg()
    cfg.themes.extra = [str(extra)]
    record: dict[str, Any] = {}
    result = analyze([SAMPLE_CORPUS], config=cfg, store=store, record=record)
    n = len(result.corpus)
    assert record["segmented"] == 0 and record["tokens_reused"] == n
    assert record["hits_reused"] == 0
    # Only the new theme is matched, and only in the texts that hold one of its terms:
    # the others get an empty set without being sent to the matcher.
    holders = [d for d in result.corpus if "网格" in d.text]
    assert 0 < len(holders) < n
    assert record["matched"] == len(holders)
    assert set(result.hits.loc[result.hits["theme"] == "grid", "doc_id"]) <= {d.doc_id for d in holders}
    assert "grid" in set(result.scores["theme"])
    # the same as matching from scratch in a fresh store
    fresh = analyze([SAMPLE_CORPUS], config=cfg)
    _assert_same_tables(result, fresh)
    pd.testing.assert_frame_equal(result.hits, fresh.hits, check_dtype=False)
    # and a third run with the same dictionary re-uses every set, empty ones included
    again: dict[str, Any] = {}
    analyze([SAMPLE_CORPUS], config=cfg, store=store, record=again)
    assert again["matched"] == 0 and again["hits_reused"] == n


def test_pipeline_store_dictionary_change_on_traditional_texts(tmp_path: Path, provincial_dir: Path) -> None:
    """Texts in traditional characters are ruled out by their stored view: after a
    theme is added only the reports whose view holds one of its terms are matched, and
    the hits are those of matching every text from scratch."""
    import opencc

    to_trad = opencc.OpenCC("s2t")
    folder = tmp_path / "trad"
    folder.mkdir()
    for f in sorted(provincial_dir.iterdir()):  # converted at test time, never committed
        (folder / f.name).write_text(to_trad.convert(f.read_text(encoding="utf-8-sig")), encoding="utf-8")
    store = tmp_path / "s.duckdb"
    analyze([folder], config=_cfg(), store=store)
    stored = query_store(store, "SELECT count(*) AS n FROM tokens WHERE view_text IS NOT NULL")
    assert int(stored["n"][0]) == len(list(folder.iterdir()))
    extra = tmp_path / "grid.toml"
    extra.write_text(EXTRA_DICT, encoding="utf-8")
    cfg = _cfg()
    cfg.themes.extra = [str(extra)]
    record: dict[str, Any] = {}
    result = analyze([folder], config=cfg, store=store, record=record)
    simplified = opencc.OpenCC("t2s")
    holders = [d for d in result.corpus if "网格" in simplified.convert(d.text)]
    assert 0 < len(holders) < len(result.corpus)
    assert record["segmented"] == 0 and record["matched"] == len(holders)
    assert result.hits["theme"].eq("grid").any()
    fresh = analyze([folder], config=cfg)
    pd.testing.assert_frame_equal(result.hits, fresh.hits, check_dtype=False)
    _assert_same_tables(result, fresh)
    # The same rule where the files are read again (a touched file: no snapshot), in
    # Python rather than SQL, for another new theme with the same terms.
    extra.write_text(
        EXTRA_DICT + EXTRA_DICT.replace('"grid"', '"grid2"').replace("网格化", "网格化治理"), encoding="utf-8"
    )
    os.utime(next(folder.iterdir()))
    cfg.themes.extra = [str(extra)]
    record = {}
    again = analyze([folder], config=cfg, store=store, record=record)
    assert record["segmented"] == 0 and record["matched"] == len(holders)
    pd.testing.assert_frame_equal(again.hits, analyze([folder], config=cfg).hits, check_dtype=False)


def test_pipeline_store_changed_theme_rematches_that_theme_only(tmp_path: Path) -> None:
    """Editing one theme's rules re-matches that theme; every other theme's hits are re-used."""
    from govtext.themes import load_dictionary

    store = tmp_path / "s.duckdb"
    before = analyze([SAMPLE_CORPUS], config=_cfg(), store=store)
    override = tmp_path / "narrower.toml"
    # 接诉即办 without its 12345 hotline rule (a user who counts the hotline apart)
    override.write_text(
        '[[theme]]\nid = "complaint_response"\n  [[theme.rule]]\n  id = "hotline_number"\n  disabled = true\n',
        encoding="utf-8",
    )
    cfg = _cfg()
    cfg.themes.extra = [str(override)]
    old = load_dictionary().theme_hashes()
    new = load_dictionary(extra=[override]).theme_hashes()
    assert {t for t in old if old[t] != new[t]} == {"complaint_response"}
    record: dict[str, Any] = {}
    after = analyze([SAMPLE_CORPUS], config=cfg, store=store, record=record)
    assert record["segmented"] == 0 and record["hits_reused"] == 0 and record["matched"] > 0
    unchanged = before.hits[before.hits["theme"] != "complaint_response"].reset_index(drop=True)
    kept = after.hits[after.hits["theme"] != "complaint_response"].reset_index(drop=True)
    pd.testing.assert_frame_equal(unchanged, kept, check_dtype=False)
    fresh = analyze([SAMPLE_CORPUS], config=cfg)
    pd.testing.assert_frame_equal(after.hits, fresh.hits, check_dtype=False)


def test_pipeline_store_new_file_is_the_only_one_segmented(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    files = sorted(SAMPLE_CORPUS.glob("0*.md"))
    for f in files[:3]:
        shutil.copy(f, folder / f.name)
    store = tmp_path / "s.duckdb"
    analyze([folder], config=_cfg(), store=store)
    shutil.copy(files[3], folder / files[3].name)
    record: dict[str, Any] = {}
    result = analyze([folder], config=_cfg(), store=store, record=record)
    new_docs = [d for d in result.corpus if d.provenance and Path(d.provenance.path).name == files[3].name]
    assert len(new_docs) >= 1
    assert record["segmented"] == len(new_docs) and record["matched"] == len(new_docs)
    assert record["tokens_reused"] == len(result.corpus) - len(new_docs)


def test_pipeline_store_topic_change_refits_from_cached_tokens(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    cfg = PipelineConfig(topics=TopicsConfig(method="nmf", k=2))
    analyze([SAMPLE_CORPUS], config=cfg, store=store)
    cfg2 = PipelineConfig(topics=TopicsConfig(method="nmf", k=3))
    record: dict[str, Any] = {}
    result = analyze([SAMPLE_CORPUS], config=cfg2, store=store, record=record)
    assert record["segmented"] == 0 and record["matched"] == 0
    assert result.topic_model is not None
    # each run's topic shares are in the store: k topics per unit, shares summing to 1
    shares = query_store(
        store,
        "SELECT r.run_id, count(DISTINCT a.topic) AS k, round(sum(a.share) / count(DISTINCT a.unit_id), 6) AS total "
        "FROM topic_assignments a JOIN runs r USING (run_id) GROUP BY 1 ORDER BY min(r.started)",
    )
    assert shares["k"].tolist() == [2, 3] and shares["total"].tolist() == [1.0, 1.0]
    fresh = analyze([SAMPLE_CORPUS], config=cfg2)
    _assert_same_tables(result, fresh)


def test_pipeline_store_rerun_points_at_the_topic_shares_it_stored(tmp_path: Path) -> None:
    """A re-run that loads its topic model from the store records the run's shares as a
    pointer to the set the first run wrote: both runs read every share, stored once."""
    store = tmp_path / "s.duckdb"
    cfg = PipelineConfig(topics=TopicsConfig(method="nmf", k=2))
    analyze([SAMPLE_CORPUS], config=cfg, store=store)
    again = analyze([SAMPLE_CORPUS], config=cfg, store=store)
    assert again.topic_model is not None and again.topic_model.reused_
    got = query_store(
        store,
        "SELECT (SELECT count(*) FROM topic_shares) AS stored, (SELECT count(*) FROM topic_assignments) AS seen, "
        "(SELECT count(DISTINCT run_id) FROM topic_assignments) AS runs",
    ).iloc[0]
    assert got["runs"] == 2 and got["stored"] > 0 and got["seen"] == 2 * got["stored"]


def test_pipeline_store_default_lives_in_the_output_folder(tmp_path: Path) -> None:
    out = tmp_path / "report"
    first = run_pipeline(_cfg(), [SAMPLE_CORPUS], out=out)
    assert (out / "govtext.duckdb").is_file()
    second = run_pipeline(_cfg(), [SAMPLE_CORPUS], out=out)
    assert first.store_run["segmented"] == len(first.result.corpus)
    assert second.store_run["segmented"] == 0  # carried over when the report folder was swapped
    assert (out / "govtext.duckdb").is_file() and (out / "index.html").is_file()


def test_pipeline_store_local_workers_match_one_process(tmp_path: Path) -> None:
    one = analyze([SAMPLE_CORPUS], config=_cfg(workers=1))
    # small batches so two worker processes really share the corpus
    record: dict[str, Any] = {}
    two = analyze([SAMPLE_CORPUS], config=_cfg(workers=2, batch_chars=3000), record=record)
    assert record["segmented"] == len(two.corpus)
    _assert_same_tables(one, two)
    pd.testing.assert_frame_equal(one.hits, two.hits, check_dtype=False)


def test_pipeline_store_locked_by_another_writer(tmp_path: Path) -> None:
    import subprocess
    import sys

    store = tmp_path / "s.duckdb"
    code = (
        "import sys, time; from govtext.store import Store; s = Store(sys.argv[1]).open(); "
        "print('open', flush=True); time.sleep(30)"
    )
    env_root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(store)],
        stdout=subprocess.PIPE,
        env={"PYTHONPATH": str(env_root), "PATH": ""},
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"open"
        with pytest.raises(StoreLockedError, match="open in another process"):
            analyze([SAMPLE_CORPUS], config=_cfg(), store=store)
        with pytest.raises(StoreLockedError, match=str(store.name)):
            query_store(store, "SELECT 1")
    finally:
        proc.kill()
        proc.wait()
    with Store(store) as s:  # the writer is gone: the store opens again, undamaged
        assert s.schema_version() >= 2


def _four_character_terms(provincial_dir: Path, n: int) -> list[str]:
    """``n`` distinct runs of four Chinese characters from the reports (made at test time)."""
    import re

    seen: dict[str, None] = {}
    for f in sorted(provincial_dir.iterdir()):
        for m in re.finditer(r"[\u4e00-\u9fff]{4}", f.read_text(encoding="utf-8-sig")):
            seen.setdefault(m.group(0), None)
            if len(seen) == n:
                return list(seen)
    return list(seen)


@pytest.mark.parametrize("budget", ["split", "one pattern"])
def test_a_theme_of_thousands_of_terms_added_to_a_store(
    tmp_path: Path, provincial_dir: Path, budget: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """8,000 terms spelled for the SQL prefilter are past what RE2 compiles as one
    pattern: split, the prefilter runs; as one pattern (forced here), DuckDB refuses it
    and the matcher does the theme's texts. Either way, the hits of a fresh run."""
    from govtext.store import snapshot_queries as store_module

    if budget == "one pattern":
        monkeypatch.setattr(store_module, "_PATTERN_BUDGET", 10**9)
    store = tmp_path / "s.duckdb"
    analyze([provincial_dir], config=_cfg(), store=store)
    terms = _four_character_terms(provincial_dir, 8000)
    assert len(terms) == 8000
    extra = tmp_path / "many.toml"
    extra.write_text(
        '[[theme]]\nid = "many"\nframework = "capital_mechanisms"\nname = "多词"\nterms = '
        + json.dumps(terms, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    cfg = _cfg()
    cfg.themes.extra = [str(extra)]
    record: dict[str, Any] = {}
    result = analyze([provincial_dir], config=cfg, store=store, record=record)
    assert record["segmented"] == 0 and record["matched"] > 0
    assert int(result.hits["theme"].eq("many").sum()) > 8000
    pd.testing.assert_frame_equal(result.hits, analyze([provincial_dir], config=cfg).hits, check_dtype=False)


def test_prefilter_patterns_stay_within_the_budget_and_cover_every_string() -> None:
    from govtext.store.snapshot_queries import _PATTERN_BUDGET, _re2_patterns

    lits = [f"网格{chr(0x4E00 + i)}员" for i in range(6000)]
    patterns = _re2_patterns(lits)
    assert len(patterns) > 1
    # the strings' characters and the gaps between them, per pattern
    assert all(sum(2 * len(x) - 1 for x in lits_of) <= _PATTERN_BUDGET for lits_of in _split_back(patterns))
    assert sorted(x for lits_of in _split_back(patterns) for x in lits_of) == sorted(lits)
    assert _re2_patterns([]) == ["[^\\x{0}-\\x{10FFFF}]"]
    # in DuckDB itself: a string broken by blanks is found by one of the patterns, a text
    # without any of the strings by none
    import duckdb

    con = duckdb.connect()

    def found(text: str) -> bool:
        return any(con.execute("SELECT regexp_matches(?, ?)", [text, p]).fetchall()[0][0] for p in patterns)

    assert found("推进网格\u4e01\n 员工作") and found(f"……网格{chr(0x4E00 + 5999)}员")
    assert not found("推进网格员工作") and not found("网格\u4e01")


def _split_back(patterns: list[str]) -> list[list[str]]:
    from govtext.store.snapshot_queries import _SQL_BLANK

    gap = _SQL_BLANK + "*"
    return [[alt.replace(gap, "") for alt in p.split("|")] for p in patterns]


def test_trim_heap_gives_freed_pages_back_where_there_is_glibc() -> None:
    import platform

    from govtext.memory import trim_heap

    freed = [bytes(1000) for _ in range(10_000)]
    del freed
    trimmed = trim_heap()
    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        assert trimmed is True
    else:
        assert trimmed in (True, False)
