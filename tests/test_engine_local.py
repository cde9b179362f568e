"""The local engine: batching, order, streaming, worker state, errors, clean shutdown."""

from __future__ import annotations

import csv
import functools
import json
import multiprocessing
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from govtext.documents import Document
from govtext.engine import Engine, EngineConfig, EngineError, iter_batches, map_batches, worker_state
from govtext.errors import ConfigError, GovtextError
from govtext.work import DocResult, WorkerSettings, process_batch

SEGMENT_ONLY = functools.partial(process_batch, settings=WorkerSettings(match=False))


def real_documents(provincial_dir: Path, national_file: Path, n_national: int = 6) -> list[Document]:
    """A few provincial reports (first 4,000 characters) and national reports (first 3,000)."""
    docs = []
    for path in sorted(provincial_dir.glob("*.csv"))[:4]:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            row = next(csv.DictReader(fh))
        docs.append(Document(f"prov:{path.stem}", row["full_text"][:4000], source=row["province"]))
    with national_file.open(encoding="utf-8") as fh:
        for i, line in zip(range(n_national), fh, strict=False):
            rec = json.loads(line)
            docs.append(Document(f"nat:{i}", rec["content"][:3000], source="national"))
    return docs


@pytest.fixture(scope="module")
def documents(provincial_dir: Path, national_file: Path) -> list[Document]:
    return real_documents(provincial_dir, national_file)


def token_table(results: list[DocResult]) -> list[tuple[object, ...]]:
    return [(r.doc_id, r.tokens.words, r.tokens.starts, r.tokens.ends, r.tokens.pos) for r in results]


# -- top-level batch functions (worker processes import them by name) -------------------


def pid_and_state(items: list[int]) -> list[tuple[int, int]]:
    state = worker_state(("test-counter",), lambda: {"built_in": os.getpid(), "serial": id(object())})
    return [(os.getpid(), state["serial"]) for _ in items]


def fail_on_seven(items: list[Document]) -> list[str]:
    for doc in items:
        if doc.doc_id == "d7":
            raise ValueError(f"cannot handle {doc.doc_id}")
    return [doc.doc_id for doc in items]


def drop_one(items: list[int]) -> list[int]:
    return items[:-1]


def square(items: list[int]) -> list[int]:
    return [x * x for x in items]


# -- tests ------------------------------------------------------------------------------


def test_engine_config_rejects_bad_values() -> None:
    with pytest.raises(ConfigError, match=r"'engine'.*'spark'"):
        EngineConfig(engine="spark")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"'workers'.*0"):
        EngineConfig(workers=0)
    with pytest.raises(ConfigError, match="batch_chars"):
        EngineConfig(batch_chars=0)
    with pytest.raises(ConfigError, match="scheduler"):
        EngineConfig(engine="local", scheduler="tcp://127.0.0.1:8786")
    assert EngineConfig(workers=None).n_workers >= 1


def test_engine_for_job_runs_only_small_local_work_in_process() -> None:
    local = EngineConfig(workers=4, batch_chars=1000)
    # a batch's worth (or the number of batches asked for) runs here, settings kept
    assert local.for_job(1000) == EngineConfig(workers=1, batch_chars=1000)
    assert local.for_job(1000).in_process
    assert local.for_job(16_000, batches=16).in_process
    # more than that keeps the pool, as does a Dask cluster whatever the size
    assert local.for_job(1001) is local
    assert local.for_job(16_001, batches=16) is local
    dask = EngineConfig(engine="dask", workers=2, batch_chars=1000)
    assert dask.for_job(10) is dask


def test_engine_batches_close_at_count_or_characters() -> None:
    docs = [Document(f"d{i}", "治" * n) for i, n in enumerate([5, 5, 5, 20, 1, 1, 1, 1])]
    sizes = [[d.doc_id for d in b] for b in iter_batches(docs, batch_size=3, batch_chars=12)]
    # d0+d1 = 10 chars, d2 would make 15 > 12; d3 alone exceeds the budget but a batch
    # always takes at least one item; then three small ones hit the count limit
    assert sizes == [["d0", "d1"], ["d2"], ["d3"], ["d4", "d5", "d6"], ["d7"]]
    assert [len(b) for b in iter_batches(range(7), batch_size=3, batch_chars=10)] == [3, 3, 1]


def test_engine_one_and_two_workers_give_identical_results_in_order(documents: list[Document]) -> None:
    one = list(map_batches(SEGMENT_ONLY, iter(documents), EngineConfig(workers=1, batch_chars=5000)))
    two = list(map_batches(SEGMENT_ONLY, iter(documents), EngineConfig(workers=2, batch_chars=5000)))
    assert [r.doc_id for r in one] == [d.doc_id for d in documents]
    assert token_table(one) == token_table(two)
    # the tokens are real segmentation of the real text, offsets into the original
    for doc, res in zip(documents, one, strict=True):
        assert len(res.tokens) > 100
        assert all(doc.text[a:b].strip() for a, b in zip(res.tokens.starts, res.tokens.ends, strict=True))


def test_engine_results_are_in_input_order_with_many_small_batches() -> None:
    items = list(range(500))
    out = list(map_batches(square, items, EngineConfig(workers=2, batch_size=7, in_flight=3)))
    assert out == [x * x for x in items]


def test_engine_streams_without_reading_the_whole_input() -> None:
    consumed = 0

    def source() -> Iterator[int]:
        nonlocal consumed
        for i in range(10_000):
            consumed += 1
            yield i

    for workers in (1, 2):
        consumed = 0
        cfg = EngineConfig(workers=workers, batch_size=10, in_flight=2)
        it = map_batches(square, source(), cfg)
        assert next(it) == 0
        # at most the window (in_flight × workers batches) plus the one being cut
        assert consumed <= (cfg.in_flight * workers + 1) * cfg.batch_size + 1
        it.close()


def test_engine_worker_state_is_built_once_per_process() -> None:
    out = list(map_batches(pid_and_state, range(400), EngineConfig(workers=2, batch_size=10)))
    by_pid: dict[int, set[int]] = {}
    for pid, serial in out:
        by_pid.setdefault(pid, set()).add(serial)
    assert os.getpid() not in by_pid  # two workers means worker processes, not this one
    assert all(len(serials) == 1 for serials in by_pid.values())


def test_engine_one_local_worker_runs_in_this_process() -> None:
    out = list(map_batches(pid_and_state, range(30), EngineConfig(workers=1, batch_size=10)))
    assert {pid for pid, _ in out} == {os.getpid()}


@pytest.mark.parametrize("workers", [1, 2])
def test_engine_error_names_the_batch_first_document(workers: int) -> None:
    docs = [Document(f"d{i}", "基层治理" * 3) for i in range(12)]
    with pytest.raises(EngineError) as info:
        list(map_batches(fail_on_seven, docs, EngineConfig(workers=workers, batch_size=5)))
    # d7 is in the second batch, which starts at d5
    assert "'d5'" in str(info.value)
    assert "ValueError: cannot handle d7" in str(info.value)
    assert isinstance(info.value, GovtextError)
    assert multiprocessing.active_children() == []


def test_engine_real_worker_failure_names_the_document(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dict.txt"
    fn = functools.partial(process_batch, settings=WorkerSettings(user_dicts=(str(missing),), match=False))
    docs = [Document("first-doc", "推进基层治理。"), Document("second-doc", "接诉即办。")]
    with pytest.raises(EngineError, match=r"'first-doc'.*no-such-dict"):
        list(map_batches(fn, docs, EngineConfig(workers=2, batch_size=1)))


def test_engine_wrong_number_of_results_is_an_error() -> None:
    with pytest.raises(EngineError, match=r"document #0 .*one result per item"):
        list(map_batches(drop_one, range(5), EngineConfig(workers=1)))


def test_engine_unpicklable_items_fail_fast_with_the_batch() -> None:
    items = [Document("ok", "治理"), lambda: None]
    with pytest.raises(EngineError, match="cannot be sent to a worker"):
        list(map_batches(square, items, EngineConfig(workers=2, batch_size=5)))


def test_engine_stopping_early_shuts_the_pool_down() -> None:
    it = map_batches(square, range(10_000), EngineConfig(workers=2, batch_size=10))
    assert next(it) == 0
    assert multiprocessing.active_children()
    it.close()
    assert multiprocessing.active_children() == []


def test_engine_map_left_after_its_last_result_keeps_the_pool() -> None:
    # Ingest takes exactly one result per file and drops the map without reaching its
    # end: nothing is running then, so the workers must stay for the next map (a new
    # pool would fork from a parent that holds the corpus read so far).
    with Engine(EngineConfig(workers=2, batch_size=5)) as eng:
        it = eng.map(pid_and_state, range(20))
        first = {next(it)[0] for _ in range(20)}
        it.close()
        assert eng._pool is not None
        workers = {p.pid for p in multiprocessing.active_children()}
        assert first <= workers
        second = {pid for pid, _ in eng.map(pid_and_state, range(50))}
        assert second <= workers == {p.pid for p in multiprocessing.active_children()}
        it = eng.map(pid_and_state, range(200))
        next(it)
        it.close()  # batches still running: the pool goes, as when stopping early
        assert eng._pool is None
    assert multiprocessing.active_children() == []


def test_engine_reused_across_calls_keeps_its_workers() -> None:
    with Engine(EngineConfig(workers=2, batch_size=5)) as eng:
        first = {pid for pid, _ in eng.map(pid_and_state, range(50))}
        pool = {p.pid for p in multiprocessing.active_children()}
        second = {pid for pid, _ in eng.map(pid_and_state, range(50))}
        # the same worker processes serve both maps (which of them takes which batch is the
        # scheduler's business: on a busy machine one worker may take them all)
        assert first <= pool and second <= pool
        assert {p.pid for p in multiprocessing.active_children()} == pool
    assert multiprocessing.active_children() == []


def test_engine_reports_progress_per_batch(documents: list[Document]) -> None:
    calls: list[tuple[int, int, int]] = []

    def progress(n: int, *, chars: int = 0, nbytes: int = 0) -> None:
        calls.append((n, chars, nbytes))

    list(map_batches(SEGMENT_ONLY, documents, EngineConfig(workers=1, batch_chars=8000), progress=progress))
    assert sum(n for n, _, _ in calls) == len(documents)
    assert sum(c for _, c, _ in calls) == sum(len(d.text) for d in documents)
    assert sum(b for _, _, b in calls) == sum(len(d.text.encode()) for d in documents)
    assert len(calls) > 1


def test_engine_start_forks_every_worker_before_the_first_map() -> None:
    with Engine(EngineConfig(workers=2)) as eng:
        eng.start()
        started = {p.pid for p in multiprocessing.active_children()}
        assert len(started) == 2
        pids = {pid for pid, _ in eng.map(pid_and_state, range(40))}
        assert pids <= started


def test_engine_worker_settings_from_a_pipeline_config(tmp_path: Path) -> None:
    from govtext.pipeline import PipelineConfig, SegmentConfig, ThemesConfig
    from govtext.themes import load_dictionary

    user = tmp_path / "user.txt"
    extra = tmp_path / "grid.toml"
    extra.write_text(_GRID, encoding="utf-8")
    cfg = PipelineConfig(
        segment=SegmentConfig(hmm=True, user_dicts=[str(user)]),
        themes=ThemesConfig(dictionary="", extra=[str(extra)]),
    )
    dictionary = load_dictionary(extra=[extra])
    s = WorkerSettings.from_pipeline(cfg, dictionary)
    # the dictionary itself travels, told apart by its content hash (no file to re-read)
    assert (s.user_dicts, s.hmm, s.pos, s.dictionary, s.dictionary_hash) == (
        (str(user),),
        True,
        True,
        dictionary,
        dictionary.hash,
    )
    # settings are the worker-state key: equal settings share, edited files do not
    before = s._segmenter_key()
    user.write_text("接诉即办 10 n\n", encoding="utf-8")
    assert s._segmenter_key() != before
    assert hash(s) == hash(WorkerSettings.from_pipeline(cfg, load_dictionary(extra=[extra])))
    assert s != WorkerSettings.from_pipeline(cfg, load_dictionary())
    assert s.segment_only().dictionary is None


_GRID = '[[theme]]\nid = "grid"\nframework = "capital_mechanisms"\nname = "网格"\nterms = ["网格员"]\n'


def test_engine_workers_get_the_dictionary_not_its_path(tmp_path: Path) -> None:
    # A dictionary file gone (or never on a Dask worker's machine) after loading: the
    # workers match with the dictionary they were sent, its own theme included.
    from govtext.themes import load_dictionary

    extra = tmp_path / "grid.toml"
    extra.write_text(_GRID, encoding="utf-8")
    settings = WorkerSettings(dictionary=load_dictionary(extra=[extra]), segment=False)
    extra.unlink()
    docs = [Document(f"d{i}", "社区网格员每天走访居民，推进接诉即办。" * 20) for i in range(6)]
    fn = functools.partial(process_batch, settings=settings)
    out = list(map_batches(fn, docs, EngineConfig(workers=2, batch_size=2)))
    assert [sorted({h.theme for h in r.hits}) for r in out] == [["complaint_response", "grid"]] * 6


# -- read-ahead past a slow first item (buffer_bytes) ------------------------------------


@dataclass(frozen=True)
class SlowFirst:
    """A task standing for ``nbytes`` of input (as a file to read does): the first one
    waits, up to ``patience`` seconds, for the third to have run."""

    index: int
    marker: str
    patience: float
    nbytes: int = 1000


def first_waits_for_third(items: list[SlowFirst]) -> list[bool]:
    out = []
    for item in items:
        if item.index == 0:
            deadline = time.monotonic() + item.patience
            while not os.path.exists(item.marker) and time.monotonic() < deadline:
                time.sleep(0.01)
            out.append(os.path.exists(item.marker))
        else:
            if item.index == 2:
                Path(item.marker).touch()
            out.append(True)
    return out


def test_engine_buffer_bytes_lets_workers_go_past_a_slow_first_item(tmp_path: Path) -> None:
    # Reading files: a large first file must not leave the other worker idle once it has
    # read one file after it. With a byte budget for results waiting their turn, the
    # third task runs while the first is still running; results stay in input order.
    items = [SlowFirst(i, str(tmp_path / "third-ran"), patience=60) for i in range(5)]
    engine = Engine(EngineConfig(workers=2)).start()
    try:
        out = list(engine.map(first_waits_for_third, items, batch_size=1, in_flight=1, buffer_bytes=10_000))
    finally:
        engine.close()
    assert out == [True] * 5


def test_engine_without_buffer_bytes_a_slow_first_item_holds_back_submission(tmp_path: Path) -> None:
    # The same tasks with the plain window (1 per worker): the second finishes, waits
    # for the first, and fills the window, so the third is never sent while the first
    # runs (the first gives up after its patience). A budget smaller than what waits
    # behaves the same way, and so do items with no byte size (documents to segment)
    # when there is no budget: they must not wait free.
    for budget, nbytes in ((0, 1000), (999, 1000), (0, 0)):
        marker = tmp_path / f"third-ran-{budget}-{nbytes}"
        items = [SlowFirst(i, str(marker), patience=1.5, nbytes=nbytes) for i in range(4)]
        engine = Engine(EngineConfig(workers=2)).start()
        try:
            out = list(
                engine.map(first_waits_for_third, items, batch_size=1, in_flight=1, buffer_bytes=budget)
            )
        finally:
            engine.close()
        assert out == [False, True, True, True]
