"""Hand-made RunResult for the compare and report tests (texts written for this project).

The hits come from a tiny term matcher here, not from govtext.themes, so these tests do
not depend on the dictionary: every theme has a few literal terms and each occurrence
of a term in a document is one hit in its sentence.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from govtext.documents import Corpus, Document, FileRecord, Provenance
from govtext.results import RunResult

THEMES = [
    ("self_governance", "自治", "self-governance", "three_governance", "三治融合", ("居民自治", "村民自治")),
    ("rule_of_law", "法治", "rule of law", "three_governance", "三治融合", ("法治", "依法治理")),
    ("rule_of_virtue", "德治", "rule of virtue", "three_governance", "三治融合", ("德治", "家风")),
    ("co_construction", "共建", "co-construction", "co_governance", "共建共治共享", ("共建",)),
    ("co_governance", "共治", "co-governance", "co_governance", "共建共治共享", ("共治", "议事协商")),
    ("shared_benefits", "共享", "shared benefits", "co_governance", "共建共治共享", ("共享",)),
    ("empowerment", "赋权", "empowerment", "street_reform", "赋权下沉增效", ("赋权",)),
    ("push_down", "下沉", "push down", "street_reform", "赋权下沉增效", ("下沉",)),
    ("effectiveness", "增效", "effectiveness", "street_reform", "赋权下沉增效", ("治理效能",)),
    ("party_building", "党建引领", "party building", "capital_mechanisms", "首都治理机制", ("党建引领",)),
    ("whistle_report", "吹哨报到", "whistle and report", "capital_mechanisms", "首都治理机制", ("吹哨报到",)),
    (
        "complaint_response",
        "接诉即办",
        "complaint response",
        "capital_mechanisms",
        "首都治理机制",
        ("接诉即办",),
    ),
]

# Sentences written for these tests; none comes from the shared corpora.
TEXTS = {
    ("北京", "2024"): [
        "街道推行吹哨报到，部门到现场解决停车难题。\n社区依托接诉即办平台，一周内回复居民诉求。",
        "党建引领小区治理，业主在议事协商会上商定加装电梯。\n力量下沉到社区，网格员每天走访。",
    ],
    ("北京", "2025"): [
        "接诉即办推动主动治理，每月一题聚焦老旧小区。\n街道赋权后可以统筹辖区资源，治理效能明显提高。",
    ],
    ("浙江", "2024"): [
        "村里把居民自治与法治、德治结合起来，村规民约写进家风家训。\n依法治理让矛盾化解在村里。",
        "共建共治共享的格局逐步形成，志愿者参与共治。\n法治宣传进村入户，村民自治章程修订完成。",
    ],
    ("浙江", "2025"): [
        "乡风文明建设离不开德治，好家风带动好民风。\n共建美丽乡村，发展成果共享。",
    ],
    ("四川", "2025"): [
        "县里推进资源下沉，干部下沉到村开展服务。\n法治保障基层治理，依法治理成为习惯。",
        # Hostile text: markup and template syntax must come out as text.
        '这篇文章含有<script>alert("x")</script>和{{ 7*7 }}以及{% raw %}，法治不能被注入。',
    ],
}


def _sentences(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in re.finditer(r"[^。！？\n]+[。！？]?", text):
        if m.group().strip():
            spans.append((m.start(), m.end()))
    return spans


def make_documents() -> list[Document]:
    docs = []
    n = 0
    for (province, year), texts in TEXTS.items():
        for text in texts:
            n += 1
            docs.append(
                Document(
                    doc_id=f"doc{n:02d}",
                    text=text,
                    title=f"{province}{year}年第{n}篇",
                    source="测试",
                    date=f"{year}-01-0{n % 9 + 1}",
                    meta={"province": province, "year": year},
                    provenance=Provenance(path=f"tests/{province}.csv", format="csv", position=n),
                )
            )
    return docs


def themes_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [t[:5] for t in THEMES], columns=["theme", "name", "name_en", "framework", "framework_name"]
    )


def match_hits(docs: list[Document]) -> pd.DataFrame:
    rows = []
    for doc in docs:
        sents = _sentences(doc.text)
        for theme, name, _en, _fw, _fwn, terms in THEMES:
            for term in terms:
                for m in re.finditer(re.escape(term), doc.text):
                    si = next(i for i, (a, b) in enumerate(sents) if a <= m.start() < b)
                    a, b = sents[si]
                    rows.append(
                        {
                            "doc_id": doc.doc_id,
                            "theme": theme,
                            "name": name,
                            "rule": f"{theme}.{term}",
                            "term": term,
                            "char_start": m.start(),
                            "char_end": m.end(),
                            "sentence_index": si,
                            "sentence": doc.text[a:b],
                            "sentence_start": a,
                            "weight": 1.0,
                        }
                    )
    return pd.DataFrame(rows)


def score(hits: pd.DataFrame, docs: list[Document]) -> pd.DataFrame:
    """Sparse scores: one row per (doc, theme) that has hits, like a real scorer may give."""
    chars = {d.doc_id: d.n_chars for d in docs}
    g = (
        hits.groupby(["doc_id", "theme"])
        .agg(hits=("char_start", "size"), weighted=("weight", "sum"))
        .reset_index()
    )
    g["density_per_10k"] = g["hits"] / g["doc_id"].map(chars) * 10_000
    g["present"] = g["hits"] > 0
    return g


def make_result(time_field: str | None = "year", by: str = "province") -> RunResult:
    docs = make_documents()
    corpus = Corpus(
        documents=docs,
        files=[
            FileRecord(path="tests/北京.csv", status="read", n_documents=3, encoding="utf-8", format="csv"),
            FileRecord(path="tests/浙江.csv", status="read", n_documents=3, encoding="utf-8", format="csv"),
            FileRecord(path="tests/四川.csv", status="read", n_documents=2, encoding="utf-8", format="csv"),
            FileRecord(path="tests/broken.pdf", status="failed", reason="encrypted PDF", format="pdf"),
        ],
    )
    hits = match_hits(docs)
    return RunResult(
        name="test-run",
        by=by,
        corpus=corpus,
        documents=corpus.to_frame(),
        hits=hits,
        scores=score(hits, docs),
        themes=themes_frame(),
        time_field=time_field,
        settings={
            "pipeline": {"name": "test-run", "by": by, "time": time_field or ""},
            "dictionary": {"path": "builtin", "sha256": "0" * 64, "themes": len(THEMES)},
            "segment": {"hmm": False, "pos": False, "user_dicts": []},
            "topics": {"method": "none", "random_state": 0},
            "versions": {"govtext": "0.1.0"},
        },
    )


def make_doc_term_counts(docs: list[Document]) -> pd.DataFrame:
    """Character-bigram counts: enough structure for keyness and similarity tests."""
    rows = []
    for doc in docs:
        text = re.sub(r"[^\u4e00-\u9fff]", "", doc.text)
        counts: dict[str, int] = {}
        for i in range(len(text) - 1):
            counts[text[i : i + 2]] = counts.get(text[i : i + 2], 0) + 1
        rows.extend((doc.doc_id, t, n) for t, n in sorted(counts.items()))
    return pd.DataFrame(rows, columns=["doc_id", "term", "count"])


def _result_from_documents(
    name: str, docs: list[Document], files: list[FileRecord], by: str, time_field: str | None
) -> RunResult:
    from govtext.sentences import split_sentences

    rows = []
    for doc in docs:
        sents = split_sentences(doc.text)
        starts = [a for a, _ in sents]
        import bisect

        for theme, tname, _en, _fw, _fwn, terms in THEMES:
            for term in terms:
                for m in re.finditer(re.escape(term), doc.text):
                    si = max(bisect.bisect_right(starts, m.start()) - 1, 0)
                    a, b = sents[si]
                    rows.append(
                        (
                            doc.doc_id,
                            theme,
                            tname,
                            f"{theme}.{term}",
                            term,
                            m.start(),
                            m.end(),
                            si,
                            doc.text[a:b],
                            a,
                            1.0,
                        )
                    )
    hits = pd.DataFrame(
        rows,
        columns=[
            "doc_id",
            "theme",
            "name",
            "rule",
            "term",
            "char_start",
            "char_end",
            "sentence_index",
            "sentence",
            "sentence_start",
            "weight",
        ],
    )
    corpus = Corpus(documents=docs, files=files)
    return RunResult(
        name=name,
        by=by,
        corpus=corpus,
        documents=corpus.to_frame(),
        hits=hits,
        scores=score(hits, docs),
        themes=themes_frame(),
        time_field=time_field,
        settings={"matcher": "tests/report_fixtures.py literal terms", "by": by},
    )


def provincial_result(folder: Path) -> RunResult:
    """The provincial reports read with pandas (not govtext.ingest) and tagged by literal terms."""
    docs, files = [], []
    for path in sorted(folder.glob("*.csv")):
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str).fillna("")
        for i, row in enumerate(frame.itertuples(index=False)):
            docs.append(
                Document(
                    doc_id=f"{path.stem}-{i}",
                    text=row.full_text,
                    title=row.title,
                    meta={"province": row.province, "year": row.year},
                    provenance=Provenance(path=str(path), format="csv", encoding="utf-8-sig", position=i),
                )
            )
        files.append(
            FileRecord(str(path), "read", n_documents=len(frame), encoding="utf-8-sig", format="csv")
        )
    return _result_from_documents("provincial-reports-2026", docs, files, "province", None)


def national_result(path: Path) -> RunResult:
    """The national reports (JSON Lines) by year, with a trend over year."""
    import json

    docs = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        rec = json.loads(line)
        year = "" if rec.get("year") is None else str(rec["year"])
        docs.append(
            Document(
                doc_id=f"national-{i}",
                text=rec["content"],
                title=rec["title"],
                meta={"year": year},
                provenance=Provenance(path=str(path), format="jsonl", encoding="utf-8", position=i),
            )
        )
    files = [FileRecord(str(path), "read", n_documents=len(docs), encoding="utf-8", format="jsonl")]
    return _result_from_documents("national-reports", docs, files, "year", "year")


def make_compared_result() -> RunResult:
    """``make_result`` with its comparison tables and a run's settings, as a report gets it."""
    from govtext.compare import compare_all

    r = make_result()
    r.tables = compare_all(r, make_doc_term_counts(r.corpus.documents))
    r.settings = {**r.settings, "timings_s": {"compare": 0.1}, "started": "2026-12-04T08:00:00+0000"}
    return r


def small_figure():  # -> matplotlib Figure (imported only when a test draws)
    """A tiny constrained-layout figure, the same every call, for drawing tests."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 2), layout="constrained")
    fig.add_subplot().plot([1, 2, 3])
    return fig
