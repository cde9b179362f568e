"""The Dask engine: a LocalCluster of two worker processes gives what the local engine gives."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_engine_local import fail_on_seven, pid_and_state, real_documents, token_table

from govtext.documents import Document
from govtext.engine import Engine, EngineConfig, EngineError, map_batches
from govtext.work import WorkerSettings, process_batch

SEGMENT_ONLY = functools.partial(process_batch, settings=WorkerSettings(match=False))


@pytest.fixture(scope="module")
def dask_engine() -> Iterator[Engine]:
    # one cluster for the module: starting worker processes is the slow part
    with Engine(EngineConfig(engine="dask", workers=2, batch_chars=5000)) as eng:
        yield eng


def test_engine_dask_equals_local(dask_engine: Engine, provincial_dir: Path, national_file: Path) -> None:
    documents = real_documents(provincial_dir, national_file)
    local = list(map_batches(SEGMENT_ONLY, iter(documents), EngineConfig(workers=1)))
    dask = list(dask_engine.map(SEGMENT_ONLY, iter(documents)))
    assert [r.doc_id for r in dask] == [d.doc_id for d in documents]
    assert token_table(dask) == token_table(local)


def test_engine_dask_uses_two_worker_processes_with_state_built_once(dask_engine: Engine) -> None:
    items = [Document(f"d{i}", "共建共治共享" * 200) for i in range(200)]
    out = list(dask_engine.map(pid_and_state, items))
    by_pid: dict[int, set[int]] = {}
    for pid, serial in out:
        by_pid.setdefault(pid, set()).add(serial)
    assert os.getpid() not in by_pid
    assert len(by_pid) <= 2
    assert all(len(serials) == 1 for serials in by_pid.values())


def test_engine_dask_unreachable_scheduler_is_a_clear_error() -> None:
    cfg = EngineConfig(engine="dask", scheduler="tcp://127.0.0.1:1", connect_timeout=0.5)
    with pytest.raises(EngineError, match=r"cannot reach the Dask scheduler at 'tcp://127.0.0.1:1'"):
        list(map_batches(pid_and_state, range(3), cfg))


def test_engine_dask_error_names_the_batch_first_document_and_closes(dask_engine: Engine) -> None:
    # last in the module: a failure shuts the engine's cluster down
    docs = [Document(f"d{i}", "基层治理" * 500) for i in range(12)]  # 2,000 chars: two per batch
    with pytest.raises(EngineError) as info:
        list(dask_engine.map(fail_on_seven, docs))
    assert "'d6'" in str(info.value) and "cannot handle d7" in str(info.value)
    assert dask_engine._client is None and dask_engine._cluster is None
