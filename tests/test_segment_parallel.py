"""segment_many over processes: same tokens, same order, as one process."""

from __future__ import annotations

import csv
from pathlib import Path

from govtext.documents import Document
from govtext.segment import Segmenter, segment_many


def test_segment_many_workers_equal_single_process_in_order(provincial_dir: Path):
    docs = []
    for path in sorted(provincial_dir.glob("*.csv"))[:8]:
        with path.open(encoding="utf-8-sig", newline="") as f:
            docs.append(Document(doc_id=path.stem, text=next(csv.DictReader(f))["full_text"]))
    seg = Segmenter(pos=True)
    # small chunks so that several are in flight on both workers
    parallel = list(segment_many(docs, seg, workers=2, chunk_chars=40_000))
    assert [t.doc_id for t in parallel] == [d.doc_id for d in docs]
    assert parallel == [seg.tokens(d) for d in docs]
    assert all(len(t.sentences) > 50 for t in parallel)
