"""Phrase discovery: cohesion, boundary entropy, quoted slogans, user-dict output."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from govtext.documents import Document
from govtext.errors import ConfigError, NotFittedError
from govtext.segment import Segmenter
from govtext.userdict import read_user_dict
from govtext.vocab import PhraseFinder, format_user_dict

# Hand-made documents: a coined slogan (小巷管家) in varied contexts, once in quotes.
TEXTS = [
    "推行“小巷管家”制度，小巷管家走街串巷收集民意。",
    "东城区的小巷管家每天巡查胡同，发现问题及时上报。",
    "各社区招募小巷管家，发挥居民骨干作用。",
    "西城区表彰优秀小巷管家，推广典型经验。",
    "依靠小巷管家和楼门长，把矛盾化解在萌芽状态。",
    "小巷管家队伍不断壮大，覆盖全部背街小巷。",
]


@pytest.fixture
def docs() -> list[Document]:
    return [Document(doc_id=f"d{i}", text=t) for i, t in enumerate(TEXTS)]


def test_vocab_finds_a_coined_phrase_with_counts_and_examples(docs):
    finder = PhraseFinder(min_count=3, min_entropy=0.5, min_pmi=2.0).fit(docs)
    phrases = [c.phrase for c in finder.candidates_]
    assert phrases[0] == "小巷管家"
    top = finder.candidates_[0]
    assert top.count == sum(t.count("小巷管家") for t in TEXTS)
    assert top.quoted == 1
    assert top.examples and top.examples[0].startswith("d0: ")
    assert "巷管家" not in phrases and "小巷管" not in phrases  # fragments of it


def test_vocab_skips_phrases_the_dictionaries_keep_whole():
    texts = [
        f"第{i}次推进接诉即办，{['东城', '西城', '朝阳', '海淀'][i % 4]}接诉即办成效明显。" for i in range(8)
    ]
    docs = [Document(doc_id=str(i), text=t) for i, t in enumerate(texts)]
    found = PhraseFinder(min_count=3, min_entropy=0.5, min_pmi=2.0).fit(docs)
    assert "接诉即办" not in [c.phrase for c in found.candidates_]
    plain = PhraseFinder(
        min_count=3, min_entropy=0.5, min_pmi=2.0, segmenter=Segmenter(use_default_dict=False)
    )
    assert "接诉即办" in [c.phrase for c in plain.fit(docs).candidates_]


def test_vocab_quoted_slogan_is_proposed_even_if_rare():
    docs = [Document(doc_id=str(i), text=f"第{i}批试点推行“街巷议事会”机制。") for i in range(2)]
    found = PhraseFinder(min_count=5, min_quoted=2).fit(docs)
    assert "街巷议事会" in [c.phrase for c in found.candidates_]


def test_vocab_user_dict_output_loads_and_keeps_phrases_whole(docs, tmp_path: Path):
    finder = PhraseFinder(min_count=3, min_entropy=0.5, min_pmi=2.0, top=5).fit(docs)
    path = tmp_path / "proposed.txt"
    path.write_text(finder.user_dict(), encoding="utf-8")
    entries = read_user_dict(path)
    assert [e.word for e in entries] == [c.phrase for c in finder.candidates_]
    seg = Segmenter(user_dicts=[path])
    for text in TEXTS:
        assert "小巷管家" in seg.cut(text)
    assert format_user_dict([]).startswith("#")


def test_vocab_frame_has_evidence_columns(docs):
    frame = PhraseFinder(min_count=3, min_entropy=0.5, min_pmi=2.0).fit(docs).to_frame()
    assert {"phrase", "count", "pmi", "left_entropy", "right_entropy", "quoted", "examples"} <= set(
        frame.columns
    )


def test_vocab_rejects_bad_parameters_and_unfitted_use():
    with pytest.raises(ConfigError, match="max_len"):
        PhraseFinder(min_len=5, max_len=3).fit([])
    with pytest.raises(NotFittedError):
        PhraseFinder().to_frame()


def test_vocab_on_real_reports_proposes_new_quoted_phrases(provincial_dir: Path):
    docs = []
    for path in sorted(provincial_dir.glob("*.csv"))[:6]:
        with path.open(encoding="utf-8-sig", newline="") as f:
            row = next(csv.DictReader(f))
        docs.append(Document(doc_id=path.stem, text=row["full_text"]))
    found = PhraseFinder(top=30).fit(docs).candidates_
    assert len(found) == 30
    seg = Segmenter()
    assert all(len(seg.cut(c.phrase)) > 1 for c in found)
    assert any(c.quoted >= 2 for c in found)
    assert all(c.count >= 5 or c.quoted >= 2 for c in found)
