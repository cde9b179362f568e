"""Word2Vec term proposals: reproducible, new words only, each with its nearest existing terms."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from govtext.documents import Document
from govtext.errors import NotFittedError
from govtext.themes import load_dictionary
from govtext.themes.expand import TermExpander, render_proposals


@pytest.fixture(scope="module")
def docs(provincial_dir: Path, seed_page: Path) -> list[Document]:
    out = [Document("seed", seed_page.read_text(encoding="utf-8"))]
    for path in sorted(provincial_dir.glob("*.csv"))[:3]:
        with path.open(encoding="utf-8-sig") as fh:
            out.append(Document(path.stem, next(csv.DictReader(fh))["full_text"]))
    return out


def test_themes_expand_proposes_new_terms_reproducibly(docs: list[Document]) -> None:
    d = load_dictionary()
    a = TermExpander(dictionary=d, top_n=5, min_count=3, epochs=3, random_state=1).fit(docs)
    known = {t for terms in d.terms_by_theme().values() for t in terms}
    with_seeds = [tid for tid, seeds in a.seeds_.items() if seeds]
    assert len(with_seeds) >= 5
    for tid in with_seeds:
        for p in a.proposals_[tid]:
            assert p.term not in known and len(p.term) >= 2 and p.count >= 3
            assert p.nearest and all(n in a.seeds_[tid] for n, _ in p.nearest)
    b = TermExpander(dictionary=d, top_n=5, min_count=3, epochs=3, random_state=1).fit(docs)
    assert {t: [p.term for p in ps] for t, ps in a.proposals_.items()} == {
        t: [p.term for p in ps] for t, ps in b.proposals_.items()
    }
    text = render_proposals(a.proposals_, d)
    assert "法治 (rule_of_law)" in text and "nearest:" in text
    frame = a.proposals_frame()
    assert set(frame.columns) == {"theme", "term", "score", "count", "nearest"} and len(frame) > 0


def test_themes_expand_frame_before_fit_raises() -> None:
    with pytest.raises(NotFittedError):
        TermExpander().proposals_frame()
