"""Near-duplicate flags on real text: reprints with small edits are linked to the first copy."""

from __future__ import annotations

import csv
from pathlib import Path

from govtext.documents import Document
from govtext.ingest.dedup import Deduplicator


def test_edited_reprints_are_flagged_and_distinct_reports_are_not(provincial_dir: Path) -> None:
    texts = []
    for path in sorted(provincial_dir.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as f:
            texts.extend(row["full_text"] for row in csv.DictReader(f))
    d = Deduplicator()
    flags = [d.check(Document(f"r{i}", t)) for i, t in enumerate(texts)]
    assert flags == [None] * len(texts)  # 21 different provinces' reports
    # a reprint: a paragraph dropped and a few characters changed
    first = texts[3]
    edited = first[: len(first) // 3] + first[len(first) // 3 + 400 :]
    edited = edited.replace("发展", "發展", 5)
    near = d.check(Document("reprint", edited))
    assert near is not None and near["duplicate_of"] == "r3" and near["duplicate_kind"] == "near"
    assert float(near["duplicate_similarity"]) >= 0.8
    exact = d.check(Document("copy", "  " + texts[5] + "\n"))
    assert exact == {"duplicate_of": "r5", "duplicate_kind": "exact", "duplicate_similarity": "1.00"}
    # many documents: the signature table grows past its first block without losing rows
    for k in range(200):
        d.check(Document(f"p{k}", texts[k % 21][k * 50 : k * 50 + 3000] + f"第{k}段"))
    late = d.check(Document("late", texts[7]))
    assert late is not None and late["duplicate_of"] == "r7"
