"""The store's named queries behind the reuse planner (``govtext.reuse``): what a
snapshot holds, which theme sets it lacks, and the SQL shortcut that rules a theme out
of texts that cannot hold it. Built through ``reuse.update_store`` with plain
parameters, as the planner is called without a PipelineConfig."""

from __future__ import annotations

from pathlib import Path

import pytest

from govtext import reuse
from govtext.engine import EngineConfig
from govtext.ingest.core import IngestOptions
from govtext.store import Store
from govtext.store import snapshot_queries as store_module
from govtext.themes import load_dictionary
from govtext.work import WorkerSettings, make_segmenter

_GRID = '[[theme]]\nid = "grid"\nframework = "capital_mechanisms"\nname = "网格"\nterms = ["网格员"]\n'


@pytest.fixture()
def snapshot(tmp_path: Path) -> tuple[Store, str, str, dict[str, str]]:
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "a.txt").write_text("社区网格\n员每天走访居民，推进接诉即办。", encoding="utf-8")
    (folder / "b.txt").write_text("坚持党建引领，健全基层治理体系。", encoding="utf-8")
    settings = WorkerSettings()
    store = Store(":memory:").open()
    update = reuse.update_store(
        [str(folder)],
        store,
        load_dictionary(),
        options=IngestOptions(),
        settings=settings,
        engine=EngineConfig(workers=1),
        keep=False,
    )
    assert update.snapshot is not None and update.counts["segmented"] == 2
    extra = tmp_path / "grid.toml"
    extra.write_text(_GRID, encoding="utf-8")
    hashes = load_dictionary(extra=[extra]).theme_hashes()
    return store, update.snapshot, make_segmenter(settings).settings_hash, hashes


def test_store_snapshot_queries_name_what_a_new_theme_lacks(
    snapshot: tuple[Store, str, str, dict[str, str]],
) -> None:
    store, key, sh, hashes = snapshot
    assert store.snapshot_size(key) == 2
    assert store.snapshot_without_tokens(key, sh) == 0
    assert store.snapshot_without_tokens(key, "another segmenter") == 2
    incomplete = store.snapshot_incomplete_themes(key, hashes)
    assert incomplete == {"grid": hashes["grid"]}  # the shipped themes are all stored
    assert store.snapshot_count_lacking(key, incomplete) == 2
    assert sorted(store.snapshot_lacking(key, incomplete)) == [(0, ["grid"]), (1, ["grid"])]
    # b.txt cannot hold 网格员; a.txt holds it across a line break, so it stays to match
    assert store.put_absent_hit_sets(key, sh, hashes["grid"], ["网格员"]) is True
    assert store.snapshot_lacking(key, incomplete) == [(0, ["grid"])]
    assert store.snapshot_count_lacking(key, incomplete) == 1
    assert store.snapshot_incomplete_themes(key, hashes) == {"grid": hashes["grid"]}


def test_store_absent_hit_sets_refused_by_re2_write_nothing(
    snapshot: tuple[Store, str, str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, key, sh, hashes = snapshot
    monkeypatch.setattr(store_module, "_PATTERN_BUDGET", 10**9)  # one pattern, past RE2's limit
    terms = [chr(0x4E00 + i) + chr(0x4E00 + i // 7) + "网格" for i in range(8000)]
    assert store.put_absent_hit_sets(key, sh, hashes["grid"], terms) is False
    assert store.snapshot_count_lacking(key, {"grid": hashes["grid"]}) == 2
    monkeypatch.undo()  # split within the budget, the same strings go through
    assert store.put_absent_hit_sets(key, sh, hashes["grid"], terms) is True
    assert store.snapshot_count_lacking(key, {"grid": hashes["grid"]}) == 0
