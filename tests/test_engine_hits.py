"""``process_batch`` finds exactly the hits ``Matcher.transform`` finds, per document,
in one process and across two worker processes."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from test_engine_local import real_documents

from govtext.documents import Document
from govtext.engine import EngineConfig, map_batches
from govtext.themes import Matcher
from govtext.work import WorkerSettings, process_batch


@pytest.mark.parametrize("workers", [1, 2])
def test_engine_hits_equal_matcher_transform(workers: int, provincial_dir: Path, national_file: Path) -> None:
    docs = real_documents(provincial_dir, national_file)
    # a hand-made document with traditional characters, full-width digits and a broken line
    docs.append(Document("mine", "推進接訴\n即辦，撥打１２３４５；堅持黨建引領、居民自治。"))
    fn = functools.partial(process_batch, settings=WorkerSettings(segment=False))
    results = list(map_batches(fn, iter(docs), EngineConfig(workers=workers, batch_chars=4000)))
    matcher = Matcher().fit()
    assert [r.doc_id for r in results] == [d.doc_id for d in docs]
    n = 0
    for doc, res in zip(docs, results, strict=True):
        expected = matcher.transform(doc)
        assert list(res.hits) == expected, doc.doc_id
        assert res.tokens is None
        n += len(expected)
    assert n > 10
    assert {h.theme for h in results[-1].hits} >= {"complaint_response", "party_building"}
