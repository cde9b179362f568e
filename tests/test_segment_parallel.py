"""Segmenting in the engine's worker processes: same tokens, same order, as one process."""

from __future__ import annotations

import csv
from pathlib import Path

from govtext.documents import Document
from govtext.engine import EngineConfig
from govtext.segment import Segmenter
from govtext.work import WorkerSettings, segment_documents


def test_segment_documents_workers_equal_single_process_in_order(provincial_dir: Path):
    docs = []
    for path in sorted(provincial_dir.glob("*.csv"))[:8]:
        with path.open(encoding="utf-8-sig", newline="") as f:
            docs.append(Document(doc_id=path.stem, text=next(csv.DictReader(f))["full_text"]))
    seg = Segmenter(pos=True)
    # small batches so that several are in flight on both workers
    engine = EngineConfig(workers=2, batch_chars=40_000)
    parallel = list(segment_documents(docs, WorkerSettings(pos=True, match=False), engine))
    assert [t.doc_id for t in parallel] == [d.doc_id for d in docs]
    assert parallel == [seg.tokens(d) for d in docs]
    assert all(len(t.sentences) > 50 for t in parallel)


def test_segment_documents_through_the_engine_with_and_without_a_store(provincial_dir: Path):
    # govtext segment's path: the engine's workers (as a run's), the store's tokens re-used
    from govtext.store import Store

    docs = []
    for path in sorted(provincial_dir.glob("*.csv"))[:6]:
        with path.open(encoding="utf-8-sig", newline="") as f:
            docs.append(Document(doc_id=path.stem, text=next(csv.DictReader(f))["full_text"]))
    docs.append(Document(doc_id="again", text=docs[0].text))  # one text, segmented once
    settings = WorkerSettings(pos=True, match=False)
    seg = Segmenter(pos=True)
    want = [seg.tokens(d) for d in docs]
    # small batches, so that the two workers each get several
    engine = EngineConfig(workers=2, batch_chars=40_000)
    assert list(segment_documents(docs, settings, engine)) == want
    with Store(":memory:") as store:
        first = list(segment_documents(docs, settings, engine, store=store))
        n_rows = store.sql("SELECT count(*) AS n FROM tokens")["n"][0]
        again = list(segment_documents(docs, settings, EngineConfig(workers=1), store=store))
    assert [t.doc_id for t in first] == [d.doc_id for d in docs]
    assert first == want and again == want
    assert n_rows == len(docs) - 1
