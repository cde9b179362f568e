"""Ingest of the real corpora in ../shared/corpus: the facts its README states.

Expected titles and authors are read from the corpus README at test time, so no text of
the corpora is copied into the project.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from govtext.documents import Corpus
from govtext.ingest import read_corpus
from govtext.normalize import normalize

# What the README calls page furniture, as patterns of lines (not the lines of any file).
MENU_WORDS = {"下载", "打印", "全屏", "收藏", "加大", "还原", "减小", "【", "】"}
BOILERPLATE = [
    re.compile(r"【?字[号体][:：].*"),
    re.compile(r"(您的|当前)位置\s*[:：].*|首页\s*[>»].*|[>»]"),
    re.compile(r"分享(到)?\s*[:：]?"),
    re.compile(r"[（(]?来源\s*[:：].*"),
    re.compile(r"(时间|日期)\s*[:：].*"),
    re.compile(r"\d{4}[-年/.]\d{1,2}[-月/.]\d{1,2}日?(\s+\d{1,2}[:时]\d{1,2}.*)?"),
    re.compile(r".*(记者|摄影).{0,20}摄"),
    re.compile(r"相关报道\s*[:：]?|打印本页|关闭窗口|扫一扫.*|(责任)?编辑\s*[:：].*"),
]


def _readme_seed_table(shared_corpus: Path) -> list[tuple[str, tuple[str, ...]]]:
    rows = []
    for line in (shared_corpus / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].isdigit():
            rows.append((cells[1], tuple(a.strip() for a in cells[2].split(","))))
    assert rows, "the corpus README has no article table"
    return rows


@pytest.fixture(scope="module")
def seed_corpus(seed_page: Path) -> Corpus:
    return read_corpus([seed_page])


@pytest.fixture(scope="module")
def provincial(provincial_dir: Path) -> Corpus:
    return read_corpus([provincial_dir])


@pytest.fixture(scope="module")
def national(national_file: Path) -> Corpus:
    return read_corpus([national_file])


def test_ingest_seed_page_gives_the_three_articles_of_the_readme(
    seed_corpus: Corpus, shared_corpus: Path
) -> None:
    expected = _readme_seed_table(shared_corpus)
    assert [f.status for f in seed_corpus.files] == ["read"]
    assert seed_corpus.files[0].n_documents == len(expected) == 3
    assert [(d.title, d.authors) for d in seed_corpus] == expected


def test_ingest_seed_page_keeps_header_bylines_bios_and_editor_note_out_of_bodies(
    seed_corpus: Corpus, seed_page: Path
) -> None:
    raw_lines = [ln.strip() for ln in seed_page.read_text(encoding="utf-8").splitlines() if ln.strip()]
    header = raw_lines[0]
    for doc in seed_corpus:
        paras = doc.paragraph_texts()
        assert header not in paras
        assert not any("编者" in p for p in paras)
        assert not any("执笔" in p or p.lstrip("（(【[").startswith("作者") for p in paras)
        assert not any(a == p for a in doc.authors for p in paras)
        assert doc.meta["page"] == seed_page.stem
        assert doc.meta["page_note"].endswith("编者")
        assert doc.provenance is not None and doc.provenance.path == str(seed_page)
    with_bio = [d for d in seed_corpus if "affiliation" in d.meta]
    assert len(with_bio) == 2  # the drafting-note article has no bio
    assert all(not d.meta["affiliation"].startswith("作者") for d in with_bio)


def test_ingest_seed_page_ids_are_readable_and_stable(seed_corpus: Corpus, seed_page: Path) -> None:
    assert [d.doc_id for d in seed_corpus] == [f"{seed_page.stem}#{n}" for n in (1, 2, 3)]
    again = read_corpus([seed_page])
    assert [d.doc_id for d in again] == [d.doc_id for d in seed_corpus]
    assert again.hash() == seed_corpus.hash()


def test_ingest_provincial_reports_give_21_documents_with_province_year_date(
    provincial: Corpus, provincial_dir: Path
) -> None:
    files = sorted(provincial_dir.glob("*.csv"))
    assert len(files) == len(provincial) == 21
    assert all(f.status == "read" and f.n_documents == 1 for f in provincial.files)
    for doc in provincial:
        stem_year, stem_province = doc.doc_id.split("_")[:2]
        assert doc.meta["province"] == stem_province
        assert doc.year == doc.meta["year"] == stem_year
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", doc.date)
        assert doc.date.startswith(stem_year)
        assert doc.provenance is not None and doc.provenance.encoding == "utf-8-sig"


def test_ingest_provincial_bodies_hold_no_readme_boilerplate(provincial: Corpus) -> None:
    for doc in provincial:
        for para in doc.paragraph_texts():
            assert para not in MENU_WORDS, (doc.doc_id, para)
            for pattern in BOILERPLATE:
                assert not pattern.fullmatch(para), (doc.doc_id, para)


def test_ingest_provincial_bodies_start_at_title_or_address(provincial: Corpus, provincial_dir: Path) -> None:
    for doc in provincial:
        first = doc.paragraph_texts()[0]
        assert doc.title.endswith(first) or first.startswith("各位代表"), (doc.doc_id, first)
        assert "各位代表" in "".join(doc.paragraph_texts()[:6])


def test_ingest_provincial_source_lines_become_the_source(provincial: Corpus, provincial_dir: Path) -> None:
    for doc in provincial:
        path = Path(doc.provenance.path) if doc.provenance else None
        assert path is not None
        with path.open(encoding="utf-8-sig", newline="") as fh:
            raw = next(csv.DictReader(fh))["full_text"]
        has_source_line = re.search(r"^[（(]?来源\s*[:：]", raw, re.M) is not None
        assert bool(doc.source) == has_source_line, doc.doc_id
        if doc.source:
            assert doc.source in raw
            assert "来源" not in doc.source


def test_ingest_national_file_gives_52_reports_and_20_resolutions(
    national: Corpus, national_file: Path
) -> None:
    rows = [
        json.loads(line) for line in national_file.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    reports = [d for d in national if d.meta.get("genre") == "report"]
    resolutions = [d for d in national if d.meta.get("genre") == "resolution"]
    assert len(reports) == 52 and len(resolutions) == 20 and len(national) == len(rows)
    years = sorted(int(d.year) for d in reports)
    assert years[0] == 1954 and years[-1] == 2025 and len(set(years)) == 52
    assert {r["year"] for r in rows if r["year"]} == {d.year for d in reports}
    # resolutions have no year field; where their text dates the adoption, the year comes from it
    assert all(d.year == d.date[:4] for d in resolutions)
    assert any(d.date for d in resolutions) and any(not d.year for d in resolutions)


def test_ingest_national_drops_licence_footer_and_joins_broken_lines(national: Corpus) -> None:
    for doc in national:
        text = doc.text
        assert "本作品" not in text[-400:] and "Public domain" not in text, doc.doc_id
        for para in doc.paragraph_texts():
            # a paragraph never starts with punctuation that closes a sentence
            assert para[0] not in "。，、；：！？）”", (doc.doc_id, para[:20])
        assert doc.paragraphs and all(text[a:b] == text[a:b].strip() for a, b in doc.paragraphs)


def test_ingest_national_1954_stays_traditional_in_the_original(national: Corpus) -> None:
    doc = next(d for d in national if d.year == "1954")
    view = normalize(doc.text).text
    assert "國" in doc.text and "國" not in view and "国" in view
