"""A folder of bad inputs: every file is accounted for with the right reason, and the good
files beside them are all read."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from govtext.documents import Corpus, FileRecord
from govtext.ingest import read_corpus

GOOD_TEXT = (
    "居民议事会每月召开一次，讨论楼道堆物、停车和绿化这些身边的事。\n会后把结果贴在公告栏上，大家都能看到。"
)


def _docx_bytes() -> bytes:
    import docx

    buf = io.BytesIO()
    document = docx.Document()
    document.add_paragraph(GOOD_TEXT)
    document.save(buf)
    return buf.getvalue()


def _pdf_bytes(*, password: str | None = None, text: bool = True) -> bytes:
    from pypdf import PdfWriter

    if text:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont
        from reportlab.pdfgen import canvas

        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        buf = io.BytesIO()
        pdf = canvas.Canvas(buf)
        pdf.setFont("STSong-Light", 11)
        pdf.drawString(60, 800, GOOD_TEXT.split("\n")[0])
        pdf.save()
        data = buf.getvalue()
    else:
        writer = PdfWriter()
        writer.add_blank_page(200, 200)
        out = io.BytesIO()
        writer.write(out)
        data = out.getvalue()
    if password is None:
        return data
    from pypdf import PdfReader

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# file name → (bytes, expected status, words the reason must contain)
def _bad_files() -> dict[str, tuple[bytes, str, tuple[str, ...]]]:
    rng = random.Random(7)
    docx_data = _docx_bytes()
    return {
        "binary.txt": (bytes(rng.randrange(256) for _ in range(4096)) + b"\x00" * 16, "skipped", ("binary",)),
        "empty.txt": (b"", "skipped", ("empty", "0 bytes")),
        "blank.md": (b"  \n\n\t \n", "skipped", ("no text",)),
        "photo.png": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "skipped", ("unsupported", "'.png'")),
        "noext": (GOOD_TEXT.encode(), "skipped", ("no file extension",)),
        "truncated.docx": (docx_data[: len(docx_data) // 2], "failed", ("docx", "damaged or truncated")),
        "secret.pdf": (_pdf_bytes(password="s3cret"), "failed", ("encrypted", "decrypt")),
        "scan.pdf": (_pdf_bytes(text=False), "skipped", ("no text layer", "OCR")),
        "ids.csv": (
            b"id,code\n1,A\n2,B\n",
            "failed",
            ("no usable text column", "set `text_column` to the column"),
        ),
        "header.csv": (b"title,content\n", "skipped", ("no rows",)),
        "mojibake.txt": (bytes(rng.randrange(0x80, 0x100) for _ in range(3000)), "failed", ("undecodable",)),
        # a damaged line costs itself (an interrupted export keeps its good records) ...
        "broken.jsonl": (
            b'{"text": "\xe8\xae\xae\xe4\xba\x8b"}\n{"text": \n',
            "read",
            ("line 2", "not valid JSON", "skipped"),
        ),
        # ... and a file with no valid line fails
        "garbled.jsonl": (b'{"text": \n{"text": "a\n', "failed", ("line 1", "not valid JSON", "1 more")),
        # malformed front matter costs its fields, never the text after it
        "front.md": (
            b"---\ntitle: [unclosed\n---\nbody text here\n",
            "read",
            ("front matter", "YAML", "text read"),
        ),
        ".hidden.txt": (GOOD_TEXT.encode(), "skipped", ("hidden",)),
        "big.txt": (("很长的文本。" * 4000).encode(), "skipped", ("over the", "limit")),
    }


GOOD_FILES = {
    "good.txt": GOOD_TEXT.encode("gb18030"),
    "good.md": ("---\ntitle: 议事\nauthor: 甲、乙\n---\n" + GOOD_TEXT).encode(),
    "good.csv": ("title,text\n议事," + GOOD_TEXT.replace("\n", "") + "\n").encode("utf-8-sig"),
    "good.docx": _docx_bytes(),
    "good.pdf": _pdf_bytes(),
    "lossy.txt": GOOD_TEXT.encode() + b"\xff" + GOOD_TEXT.encode(),
}


@pytest.fixture(scope="module")
def bad_folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Corpus]:
    root = tmp_path_factory.mktemp("inbox")
    for name, (data, _, _) in _bad_files().items():
        (root / name).write_bytes(data)
    for name, data in GOOD_FILES.items():
        (root / "ok" / name).parent.mkdir(exist_ok=True)
        (root / "ok" / name).write_bytes(data)
    return root, read_corpus([root, root / "missing.txt"], max_file_size=60_000)


def _by_name(corpus: Corpus) -> dict[str, FileRecord]:
    return {Path(f.path).name: f for f in corpus.files}


@pytest.mark.parametrize("name", sorted(_bad_files()))
def test_ingest_bad_file_gets_the_right_status_and_reason(name: str, bad_folder: tuple[Path, Corpus]) -> None:
    _, corpus = bad_folder
    _, status, words = _bad_files()[name]
    record = _by_name(corpus)[name]
    assert record.status == status, record
    assert record.n_documents == (status == "read")  # a file read despite its damage keeps what is good
    for word in words:
        assert word.lower() in record.reason.lower(), record


def test_ingest_bad_folder_accounts_for_every_file_and_reads_all_good_ones(
    bad_folder: tuple[Path, Corpus],
) -> None:
    root, corpus = bad_folder
    records = _by_name(corpus)
    on_disk = {p.name for p in root.rglob("*") if p.is_file()}
    assert on_disk | {"missing.txt"} == set(records)
    assert len(corpus.files) == len(records)  # one record per file, none twice
    for name in GOOD_FILES:
        assert records[name].status == "read" and records[name].n_documents == 1, records[name]
    assert records["missing.txt"].status == "failed" and "no such file" in records["missing.txt"].reason
    read_bad = {n for n, (_, status, _) in _bad_files().items() if status == "read"}
    assert {Path(d.provenance.path).name for d in corpus if d.provenance} == set(GOOD_FILES) | read_bad


def test_ingest_lossy_decode_is_read_but_reported(bad_folder: tuple[Path, Corpus]) -> None:
    _, corpus = bad_folder
    record = _by_name(corpus)["lossy.txt"]
    assert record.status == "read" and "U+FFFD" in record.reason
    (doc,) = [d for d in corpus if d.provenance and d.provenance.path.endswith("lossy.txt")]
    assert doc.text.count("\ufffd") == 1


def test_ingest_non_recursive_skips_subfolders(bad_folder: tuple[Path, Corpus]) -> None:
    root, _ = bad_folder
    corpus = read_corpus([root], recursive=False, max_file_size=60_000)
    assert not any("/ok/" in f.path for f in corpus.files)
    assert {Path(d.provenance.path).name for d in corpus if d.provenance} == {"broken.jsonl", "front.md"}
