"""Readers and encodings: every rendering of the same article gives the same text."""

from __future__ import annotations

import html
import io
import json
from pathlib import Path

import pytest

from govtext.documents import Document, FileRecord
from govtext.ingest import iter_corpus, read_corpus

# Written for these tests (not taken from any corpus).
SAMPLE_TITLE = "社区议事厅里的小事"
SAMPLE_PARAS = [
    "老旧小区加装电梯，一楼住户担心采光，六楼住户盼望早日上下方便，意见一时难以统一。",
    "街道请来律师和规划师，居民议事会连开三次，把方案、费用分摊和补偿办法逐条摆在桌面上。",
    "最后的方案写进了居民公约：“有事好商量，大家的事情大家商量”成了楼门口的一句口头禅。",
]


def _sample_paragraphs(seed_page: Path) -> list[str]:
    """The paragraphs of the seed page's first article, as ingest reads them."""
    return read_corpus([seed_page]).documents[0].paragraph_texts()


def _write_docx(path: Path, paras: list[str]) -> None:
    import docx

    document = docx.Document()
    for p in paras:
        document.add_paragraph(p)
    document.save(str(path))


def _write_html(path: Path, title: str, paras: list[str]) -> None:
    body = "".join(f"<p>{html.escape(p)}</p>\n" for p in paras)
    path.write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head><body>"
        "<nav><ul><li><a href='/'>首页</a></li><li><a href='/news'>新闻</a></li><li><a href='/t'>理论</a></li></ul></nav>"
        "<div class='crumb'>您的位置：<a href='/'>首页</a> &gt; 理论</div>"
        f"<article><h1>{html.escape(title)}</h1>{body}</article>"
        "<footer><p>版权所有 示例网站 联系我们 网站地图</p></footer></body></html>",
        encoding="utf-8",
    )


def _write_pdf(path: Path, paras: list[str], *, per_line: int = 34) -> None:
    """A PDF with a real text layer in a CJK font (Adobe's STSong CID font needs no font file)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    pdf = canvas.Canvas(str(path))
    pdf.setFont("STSong-Light", 11)
    y = 800
    for p in paras:
        for i in range(0, len(p), per_line):
            if y < 60:
                pdf.showPage()
                pdf.setFont("STSong-Light", 11)
                y = 800
            pdf.drawString(60, y, p[i : i + per_line])
            y -= 15
        y -= 15  # paragraph spacing
    pdf.save()


def test_ingest_gb18030_reencoding_of_seed_page_gives_the_same_articles(
    seed_page: Path, tmp_path: Path
) -> None:
    copy = tmp_path / seed_page.name
    copy.write_bytes(seed_page.read_text(encoding="utf-8").encode("gb18030"))
    original, reencoded = read_corpus([seed_page]), read_corpus([copy])
    assert reencoded.files[0].encoding == "gb18030"
    assert [(d.title, d.authors, d.text, dict(d.meta)) for d in reencoded] == [
        (d.title, d.authors, d.text, dict(d.meta)) for d in original
    ]
    assert all(d.provenance is not None and d.provenance.encoding == "gb18030" for d in reencoded)


@pytest.mark.parametrize("fmt", ["docx", "html", "pdf", "md"])
def test_ingest_renderings_of_an_article_give_the_original_text(
    fmt: str, seed_page: Path, tmp_path: Path
) -> None:
    paras = _sample_paragraphs(seed_page)
    original = tmp_path / "article.txt"
    original.write_text("\n\n".join(paras), encoding="utf-8")
    rendered = tmp_path / f"article.{fmt}"
    if fmt == "docx":
        _write_docx(rendered, paras)
    elif fmt == "html":
        _write_html(rendered, SAMPLE_TITLE, paras)
    elif fmt == "pdf":
        _write_pdf(rendered, paras)
    else:
        rendered.write_text("---\ntitle: 示例\n---\n" + "\n\n".join(paras), encoding="utf-8")
    want = read_corpus([original]).documents[0]
    corpus = read_corpus([rendered])
    assert [f.status for f in corpus.files] == ["read"], corpus.files
    (got,) = corpus.documents
    assert got.paragraph_texts() == want.paragraph_texts() == paras
    assert got.text == want.text
    assert got.provenance is not None and got.provenance.format == fmt


def test_ingest_html_title_comes_from_the_page_and_menus_are_dropped(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    _write_html(page, SAMPLE_TITLE, SAMPLE_PARAS)
    (doc,) = read_corpus([page]).documents
    assert doc.title == SAMPLE_TITLE
    assert doc.paragraph_texts() == SAMPLE_PARAS


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "gb18030", "gbk", "big5"])
def test_ingest_detects_the_encoding_of_text_files(encoding: str, tmp_path: Path) -> None:
    from govtext.normalize import normalize

    text = "\n".join(SAMPLE_PARAS)
    if encoding == "big5":
        import opencc

        text = opencc.OpenCC("s2t").convert(text)  # Big5 holds traditional characters
    path = tmp_path / "note.txt"
    path.write_bytes(text.encode(encoding))
    (record,) = read_corpus([path]).files
    (doc,) = read_corpus([path]).documents
    assert doc.text == text
    assert record.status == "read" and record.reason == ""
    assert record.encoding.replace("_", "-").startswith(
        {"big5": "big5", "gbk": "gb18030"}.get(encoding, encoding)
    )
    assert normalize(doc.text).text == normalize("\n".join(SAMPLE_PARAS)).text


def test_ingest_reports_replacement_characters_in_the_manifest(tmp_path: Path) -> None:
    path = tmp_path / "truncated.txt"
    data = "\n".join(SAMPLE_PARAS).encode("gb18030")
    path.write_bytes(data[:-1])  # cut inside the last character
    corpus = read_corpus([path])
    (record,) = corpus.files
    assert record.status == "read" and record.encoding == "gb18030"
    assert "U+FFFD" in record.reason and "set `encoding` to the right one" in record.reason
    assert corpus.documents[0].text.endswith("\ufffd")


def test_ingest_forced_encoding_is_used(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_bytes(SAMPLE_PARAS[0].encode("gb18030"))
    (doc,) = read_corpus([path], encoding="gb18030").documents
    assert doc.text == SAMPLE_PARAS[0] and doc.provenance is not None and doc.provenance.encoding == "gb18030"


def test_ingest_markdown_front_matter_fills_core_fields_and_meta(tmp_path: Path) -> None:
    path = tmp_path / "essay.md"
    path.write_text(
        "---\ntitle: 社区议事\nauthor: 王小明、陈思\nsource: 示例日报\ndate: 2023-05-04\nprovince: 浙江省\n"
        "tags: [议事, 协商]\n---\n\n" + "\n\n".join(SAMPLE_PARAS),
        encoding="utf-8",
    )
    (doc,) = read_corpus([path]).documents
    assert (doc.title, doc.authors, doc.source, doc.date) == (
        "社区议事",
        ("王小明", "陈思"),
        "示例日报",
        "2023-05-04",
    )
    assert (
        doc.meta["province"] == "浙江省" and doc.meta["year"] == "2023" and doc.meta["tags"] == "议事、协商"
    )
    assert doc.paragraph_texts() == SAMPLE_PARAS


def test_ingest_csv_rows_become_documents_with_detected_text_column(tmp_path: Path) -> None:
    path = tmp_path / "hotline.csv"
    rows = ["编号,区,日期,诉求内容"] + [
        f"{i},东城区,2024-03-0{i + 1},{p}" for i, p in enumerate(SAMPLE_PARAS)
    ]
    path.write_text("\n".join(rows), encoding="utf-8")
    corpus = read_corpus([path])
    assert [d.doc_id for d in corpus] == ["hotline#1", "hotline#2", "hotline#3"]
    assert [d.text for d in corpus] == SAMPLE_PARAS
    first = corpus.documents[0]
    assert first.date == "2024-03-01" and first.meta["区"] == "东城区" and first.meta["year"] == "2024"
    assert "诉求内容" not in first.meta


def test_ingest_text_column_option_overrides_detection(tmp_path: Path) -> None:
    path = tmp_path / "two.tsv"
    path.write_text(f"remark\tsummary\n{SAMPLE_PARAS[0]}\t{SAMPLE_PARAS[1][:12]}\n", encoding="utf-8")
    assert read_corpus([path]).documents[0].text == SAMPLE_PARAS[0]  # the longest column
    doc = read_corpus([path], text_column="summary").documents[0]
    assert doc.text == SAMPLE_PARAS[1][:12] and doc.meta["remark"] == SAMPLE_PARAS[0]
    (record,) = read_corpus([path], text_column="missing").files
    assert record.status == "failed" and "'missing'" in record.reason and "'summary'" in record.reason


def test_ingest_xlsx_jsonl_and_json_rows(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["title", "content", "year"])
    for i, p in enumerate(SAMPLE_PARAS):
        ws.append([f"第{i + 1}条", p, 2020 + i])
    wb.save(tmp_path / "sheet.xlsx")
    (tmp_path / "rows.jsonl").write_text(
        "\n".join(
            json.dumps({"title": f"条{i}", "text": p}, ensure_ascii=False) for i, p in enumerate(SAMPLE_PARAS)
        ),
        encoding="utf-8",
    )
    (tmp_path / "rows.json").write_text(
        json.dumps({"items": [{"body": p, "author": "甲、乙"} for p in SAMPLE_PARAS]}, ensure_ascii=False),
        encoding="utf-8",
    )
    corpus = read_corpus([tmp_path])
    by_format: dict[str, list[Document]] = {}
    for doc in corpus:
        assert doc.provenance is not None
        by_format.setdefault(doc.provenance.format, []).append(doc)
    assert {k: [d.text for d in v] for k, v in by_format.items()} == {
        f: SAMPLE_PARAS for f in ("json", "jsonl", "xlsx")
    }
    assert [d.meta["year"] for d in by_format["xlsx"]] == ["2020", "2021", "2022"]
    assert by_format["json"][0].authors == ("甲", "乙")
    assert [d.title for d in by_format["jsonl"]] == ["条0", "条1", "条2"]


def test_ingest_sidecar_and_path_pattern_add_metadata(tmp_path: Path) -> None:
    for province, year in (("浙江省", "2023"), ("四川省", "2024")):
        folder = tmp_path / province
        folder.mkdir()
        (folder / f"{year}.txt").write_text("\n".join(SAMPLE_PARAS), encoding="utf-8")
    (tmp_path / "浙江省" / "metadata.csv").write_text(
        "file,author,source\n2023.txt,王小明,示例日报\n", encoding="utf-8"
    )
    corpus = read_corpus([tmp_path], path_pattern="{province}/{year}.txt")
    docs = {d.meta["province"]: d for d in corpus}
    assert docs["浙江省"].meta["year"] == "2023" and docs["四川省"].meta["year"] == "2024"
    assert docs["浙江省"].authors == ("王小明",) and docs["浙江省"].source == "示例日报"
    assert docs["四川省"].authors == ()
    sidecar = [f for f in corpus.files if f.path.endswith("metadata.csv")]
    assert sidecar and sidecar[0].status == "read" and sidecar[0].n_documents == 0


def test_ingest_flags_exact_and_near_duplicates_without_dropping(tmp_path: Path, seed_page: Path) -> None:
    paras = _sample_paragraphs(seed_page)
    text = "\n".join(paras)
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    (tmp_path / "b.txt").write_text(text, encoding="utf-8")
    edited = text.replace("基层", "基础", 2).replace("。", "！", 1)  # a reprint with small edits
    (tmp_path / "c.txt").write_text(edited, encoding="utf-8")
    (tmp_path / "d.txt").write_text("\n".join(SAMPLE_PARAS), encoding="utf-8")
    corpus = read_corpus([tmp_path])
    assert len(corpus) == 4
    meta = {d.doc_id: dict(d.meta) for d in corpus}
    assert "duplicate_of" not in meta["a"] and "duplicate_of" not in meta["d"]
    assert (meta["b"]["duplicate_of"], meta["b"]["duplicate_kind"]) == ("a", "exact")
    assert (meta["c"]["duplicate_of"], meta["c"]["duplicate_kind"]) == ("a", "near")
    assert float(meta["c"]["duplicate_similarity"]) >= 0.8


def test_ingest_real_corpora_have_no_false_duplicates(provincial_dir: Path, national_file: Path) -> None:
    corpus = read_corpus([provincial_dir, national_file])
    assert not [d.doc_id for d in corpus if "duplicate_of" in d.meta]


def test_ingest_reads_stdin_as_one_document(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = io.TextIOWrapper(io.BytesIO("\n".join(SAMPLE_PARAS).encode("gb18030")))
    monkeypatch.setattr("sys.stdin", fake)
    corpus = read_corpus(["-"])
    assert [d.doc_id for d in corpus] == ["stdin"] and corpus.documents[0].paragraph_texts() == SAMPLE_PARAS
    assert corpus.files == [FileRecord("-", "read", "", 1, "gb18030", "txt")]


def test_ingest_ids_are_unique_readable_and_deterministic(tmp_path: Path) -> None:
    for sub in ("x", "y"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "note.txt").write_text(SAMPLE_PARAS[0] + sub, encoding="utf-8")
    (tmp_path / "x" / "note.md").write_text(SAMPLE_PARAS[1], encoding="utf-8")
    ids = [d.doc_id for d in read_corpus([tmp_path])]
    assert ids == ["note", "note.txt", "y/note.txt"]  # x/note.md sorts first and takes the stem
    assert [d.doc_id for d in read_corpus([tmp_path])] == ids


def test_ingest_iter_corpus_streams_file_by_file(tmp_path: Path) -> None:
    for i, p in enumerate(SAMPLE_PARAS):
        (tmp_path / f"{i}.txt").write_text(p, encoding="utf-8")
    manifest: list[FileRecord] = []
    seen = []
    for doc in iter_corpus([tmp_path], manifest=manifest):
        seen.append((doc.doc_id, len(manifest)))
    assert seen == [("0", 1), ("1", 2), ("2", 3)]


def test_ingest_sample_corpus_front_matter(sample_corpus: Path) -> None:
    articles = sorted(sample_corpus.glob("*.md")) if sample_corpus.is_dir() else []
    articles = [p for p in articles if p.stem.lower() != "readme"]
    if not articles:
        pytest.skip("the project's sample corpus is not in this checkout yet")
    corpus = read_corpus([sample_corpus])
    assert len(corpus) == len(articles)
    for doc in corpus:
        assert doc.title and doc.authors and doc.source and doc.date and doc.meta.get("province"), doc.doc_id
        assert doc.year == doc.date[:4] and not doc.text.startswith("---")
    assert all(f.status == "read" for f in corpus.files if not f.path.lower().endswith("readme.md"))


def test_ingest_folder_readme_is_skipped_unless_named(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# 说明\n\n这个文件夹放的是示例文章。", encoding="utf-8")
    (tmp_path / "a.txt").write_text(SAMPLE_PARAS[0], encoding="utf-8")
    corpus = read_corpus([tmp_path])
    assert [d.doc_id for d in corpus] == ["a"]
    assert corpus.files[0].status == "skipped" and "README" in corpus.files[0].reason
    assert len(read_corpus([tmp_path / "README.md"])) == 1


def test_ingest_markdown_headings_are_not_text(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text(
        f"# {SAMPLE_TITLE}\n\n{SAMPLE_PARAS[0]}\n\n## 经验\n\n{SAMPLE_PARAS[1]}\n", encoding="utf-8"
    )
    (doc,) = read_corpus([path]).documents
    assert doc.title == SAMPLE_TITLE
    assert doc.paragraph_texts() == [SAMPLE_PARAS[0], "经验", SAMPLE_PARAS[1]]


def test_ingest_bulleted_sections_of_one_article_are_not_split(tmp_path: Path) -> None:
    path = tmp_path / "one.txt"
    sections = [f"• 第{n}部分\n{SAMPLE_PARAS[0]}\n{SAMPLE_PARAS[1]}" for n in "一二三"]
    path.write_text("\n".join(sections), encoding="utf-8")
    assert len(read_corpus([path])) == 1
    signed = [f"• 第{n}篇\n王{n}明\n{SAMPLE_PARAS[0]}\n{SAMPLE_PARAS[1]}" for n in "一二三"]
    path.write_text("\n".join(signed), encoding="utf-8")
    docs = read_corpus([path]).documents
    assert [(d.title, d.authors) for d in docs] == [(f"第{n}篇", (f"王{n}明",)) for n in "一二三"]


def test_ingest_semicolon_csv_is_read(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("district;text\n" + "".join(f"东城;{p}\n" for p in SAMPLE_PARAS), encoding="utf-8")
    corpus = read_corpus([path])
    assert [d.text for d in corpus] == SAMPLE_PARAS and corpus.documents[0].meta["district"] == "东城"


def test_ingest_linked_folders_are_listed_not_followed(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.txt").write_text(SAMPLE_PARAS[0], encoding="utf-8")
    (tmp_path / "real" / "loop").symlink_to(tmp_path / "real")
    corpus = read_corpus([tmp_path])
    assert [d.doc_id for d in corpus] == ["a"]
    (link,) = [f for f in corpus.files if f.path.endswith("loop")]
    assert link.status == "skipped" and "symbolic link" in link.reason


def test_ingest_xlsx_shared_strings_as_openpyxl_reads_them(tmp_path: Path) -> None:
    """The workbook's shared strings are read without openpyxl's rich-text objects
    (issue 20): the same plain text as its ``read_string_table``, rich runs, phonetic
    runs, empty and repeated ``t`` elements and escaped underscores included; and a
    workbook with rich text reads the same through ``read_xlsx`` as through
    ``load_workbook``."""
    from openpyxl import Workbook, load_workbook
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont
    from openpyxl.reader.strings import read_string_table

    from govtext.ingest.tables import read_xlsx, shared_strings

    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{ns}" count="9" uniqueCount="9">'
        "<si><t>推进接诉即办</t></si>"
        '<si><t xml:space="preserve">  前后空格  </t></si>'
        "<si><t/></si>"
        "<si><r><rPr><b/></rPr><t>加粗</t></r><r><t>普通</t></r><r><rPr><i/></rPr></r></si>"
        '<si><t>先</t><r><t>后</t></r><rPh sb="0" eb="1"><t>ふりがな</t></rPh></si>'
        "<si><t>一</t><t>二</t></si>"
        "<si><r><t>a</t><t>b</t></r></si>"
        "<si><t>x005F_x000D_ 与 &amp; &lt;b&gt;</t></si>"
        "<si></si>"
        "</sst>"
    ).encode()
    assert shared_strings(io.BytesIO(xml)) == read_string_table(io.BytesIO(xml))

    wb = Workbook()
    ws = wb.active
    ws.append(["title", "full_text"])
    rich = CellRichText(["推进", TextBlock(InlineFont(b=True), "接诉即办"), "，健全基层治理体系。" * 3])
    ws.append(["富文本", rich])
    ws.append(["普通", "坚持和发展新时代枫桥经验，把矛盾纠纷化解在基层。"])
    path = tmp_path / "rich.xlsx"
    wb.save(path)
    rows = list(load_workbook(path, read_only=True, data_only=True).active.iter_rows(values_only=True))
    docs = read_xlsx(path.read_bytes(), None, [])
    assert [d.text for d in docs] == [r[1] for r in rows[1:]]
