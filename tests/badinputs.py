"""Generate a folder of bad inputs (and good files beside them) for the reliability tests.

Nothing here is committed as a binary: every file is built by :func:`build` in a temporary
folder. Each :class:`Case` says what ingest must do with it (status and words its reason
must contain), so the tests can count kinds and inputs and check every one.

    >>> cases = build(tmp_path)                        # doctest: +SKIP
    >>> {c.kind for c in cases}                        # doctest: +SKIP
"""

from __future__ import annotations

import io
import json
import os
import random
import zipfile
from dataclasses import dataclass
from pathlib import Path

# Our own sentences (never text from the shared corpora).
GOOD_TEXT = "社区居民议事会每月召开一次，讨论停车和绿化这些身边的事。\n会后把结果贴在公告栏上，接诉即办，大家都能看到。"
TRAD_TEXT = "社區居民議事會每月召開一次，討論停車和綠化這些身邊的事。\n會後把結果貼在公告欄上，接訴即辦。"
SINGLE_LINE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Case:
    """One input: its kind, the name as written on disk (bytes for non-UTF-8 names), and
    what ingest must report. ``shown`` is how the manifest names it (defaults to ``name``)."""

    kind: str
    name: str | bytes
    status: str  # read | skipped | failed
    words: tuple[str, ...] = ()  # every one must appear in the reason (case-insensitive)
    n_documents: int | None = None  # for status read; None: at least one
    shown: str = ""
    good: bool = False  # an ordinary file that must be read whatever sits beside it

    @property
    def display(self) -> str:
        return self.shown or (self.name if isinstance(self.name, str) else self.name.decode())


def docx_bytes(text: str = GOOD_TEXT) -> bytes:
    import docx

    buf = io.BytesIO()
    document = docx.Document()
    for para in text.split("\n"):
        document.add_paragraph(para)
    document.save(buf)
    return buf.getvalue()


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def pdf_bytes(text: str = GOOD_TEXT, password: str | None = None) -> bytes:
    from pypdf import PdfReader, PdfWriter
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    pdf.setFont("STSong-Light", 11)
    for i, line in enumerate(text.split("\n")):
        pdf.drawString(40, 800 - 20 * i, line)
    pdf.save()
    if password is None:
        return buf.getvalue()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buf.getvalue())))
    writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def zip_bomb_docx(inflated: int = 64 * 1024 * 1024) -> bytes:
    """A .docx whose document.xml inflates ~1000x: the real parts, then a member of zeros."""
    buf = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(docx_bytes())) as src,
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            if info.filename != "word/document.xml":
                dst.writestr(info.filename, src.read(info))
        info = zipfile.ZipInfo("word/document.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        with dst.open(info, "w", force_zip64=True) as fh:
            chunk = b"\0" * (1 << 20)
            for _ in range(inflated // len(chunk)):
                fh.write(chunk)
    return buf.getvalue()


def bad_dictionary() -> tuple[str, list[tuple[int, str]]]:
    """A theme dictionary with every kind of mistake, and (line, words) each error must show."""
    lines = [
        "version = 1",  # 1
        "",  # 2
        "[[framework]]",  # 3
        'id = "tg"',  # 4
        'name = "三治"',  # 5
        'themes = ["self_gov", "missing_theme"]',  # 6  unknown theme
        "",  # 7
        "[[theme]]",  # 8
        'id = "self_gov"',  # 9
        'framework = "tg"',  # 10
        'name = "自治"',  # 11
        'terms = ["居民自治"]',  # 12
        'colour = "red"',  # 13 unknown key
        "",  # 14
        "  [[theme.rule]]",  # 15
        '  id = "bad_regex"',  # 16
        '  regex = ["(unclosed"]',  # 17 bad regex
        "",  # 18
        "  [[theme.rule]]",  # 19
        '  id = "bad_scope"',  # 20
        '  terms = ["自治"]',  # 21
        '  exclude_near = [{ terms = ["民族"], scope = "chapter" }]',  # 22 bad scope
        "",  # 23
        "[[theme]]",  # 24
        'id = "self_gov"',  # 25 duplicate id
        'name = "重复"',  # 26
        'terms = ["自治"]',  # 27
        "",  # 28
        "[[theme]]",  # 29
        'id = "other"',  # 30
        'framework = "nowhere"',  # 31 unknown framework
        'name = "又一个"',  # 32
        "terms = 3",  # 33 not a list of strings
        "",  # 34
        "[[theme]]",  # 35
        'id = "empty"',  # 36 no terms at all
        'framework = "tg"',  # 37
        'name = "空"',  # 38
        "",  # 39
        "[[theme]]",  # 40
        'id = "Bad Id"',  # 41 not a slug
        'name = "坏"',  # 42
        'terms = ["坏"]',  # 43
        "",  # 44
        "[[expression]]",  # 45
        'id = "slogan"',  # 46
        'themes = ["ghost"]',  # 47 unknown theme (reported at the expression)
        'terms = ["共建共治共享"]',  # 48
    ]
    expected = [
        (6, "missing_theme"),
        (13, "colour"),
        (17, "regular expression"),
        (22, "scope"),
        (25, "duplicate"),
        (30, "nowhere"),
        (33, "terms"),
        (36, "empty"),
        (41, "slug"),
        (45, "ghost"),
    ]
    return "\n".join(lines) + "\n", expected


def _write(root: Path, name: str | bytes, data: bytes) -> None:
    if isinstance(name, bytes):
        path = os.path.join(os.fsencode(root), name)
        with open(path, "wb") as fh:
            fh.write(data)
        return
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).write_bytes(data)


def build(root: Path, *, single_line: bool = True) -> list[Case]:
    """Write every case into ``root`` and return the cases (good files included)."""
    rng = random.Random(10)
    good = GOOD_TEXT.encode()
    docx_data = docx_bytes()
    xlsx_data = xlsx_bytes([["title", "text"], ["议事", GOOD_TEXT.replace("\n", "")]])
    cases: list[tuple[Case, bytes]] = [
        # binary data with text extensions
        (
            Case("binary", "binary.txt", "skipped", ("binary",)),
            bytes(rng.randrange(256) for _ in range(4096)) + b"\0",
        ),
        (Case("binary", "image.md", "skipped", ("binary",)), b"\x89PNG\r\n\x1a\n" + b"\0" * 64),
        (Case("binary", "archive.csv", "skipped", ("binary",)), _zip_of({"a.txt": good})),
        (
            Case("binary", "noise.txt", "failed", ("undecodable",)),
            bytes(rng.randrange(0x80, 0x100) for _ in range(3000)),
        ),
        (Case("binary", "sheet.json", "skipped", ("binary",)), xlsx_data),
        # empty and whitespace-only
        (Case("empty", "empty.txt", "skipped", ("empty", "0 bytes")), b""),
        (Case("empty", "empty.docx", "skipped", ("empty",)), b""),
        (Case("empty", "blank.txt", "skipped", ("no text", "whitespace")), b"   \n\n\t  \r\n"),
        (Case("empty", "blank.md", "skipped", ("no text",)), "\u3000\u3000\n \t\n".encode()),
        (Case("empty", "blank.csv", "failed", ("no usable text column",)), b"title,text\n,\n ,  \n"),
        # mixed encodings in one folder (all good)
        (Case("encoding", "enc/utf8.txt", "read", ("",), 1, good=True), good),
        (Case("encoding", "enc/gb18030.txt", "read", ("",), 1, good=True), GOOD_TEXT.encode("gb18030")),
        (Case("encoding", "enc/big5.txt", "read", ("",), 1, good=True), TRAD_TEXT.encode("big5")),
        (Case("encoding", "enc/utf16.txt", "read", ("",), 1, good=True), GOOD_TEXT.encode("utf-16")),
        (Case("encoding", "enc/utf8sig.md", "read", ("",), 1, good=True), GOOD_TEXT.encode("utf-8-sig")),
        (
            Case("encoding", "enc/lossy.txt", "read", ("U+FFFD",), 1, good=True),
            good + b"\xff" + good,
        ),
        # GBK text under a UTF-8 name, UTF-8 text under a GBK-encoded name, an undecodable name
        (Case("file name", "名称/治理报告.txt", "read", ("",), 1, good=True), GOOD_TEXT.encode("gbk")),
        (
            Case(
                "file name",
                "议事记录.txt".encode("gbk"),
                "read",
                ("not UTF-8", "GB18030"),
                1,
                shown="议事记录.txt",
                good=True,
            ),
            good,
        ),
        (
            Case(
                "file name",
                b"\xff\xfe\xfd.txt",
                "read",
                ("not UTF-8", "escapes"),
                1,
                shown="\\xff\\xfe\\xfd.txt",
                good=True,
            ),
            good,
        ),
        (
            Case(
                "file name",
                "换行\n名字 #1\u202e.txt",
                "read",
                ("control characters",),
                1,
                shown="换行\\n名字 #1\\u202e.txt",
                good=True,
            ),
            good,
        ),
        # damaged office files, a zip bomb, an encrypted PDF
        (
            Case("truncated", "truncated.docx", "failed", ("docx", "damaged or truncated")),
            docx_data[: len(docx_data) // 2],
        ),
        (
            Case("truncated", "truncated.xlsx", "failed", ("xlsx", "damaged or truncated")),
            xlsx_data[: len(xlsx_data) // 2],
        ),
        (Case("truncated", "header_only.docx", "failed", ("docx",)), docx_data[:30]),
        (Case("zip bomb", "bomb.docx", "failed", ("zip bomb", "refused")), zip_bomb_docx()),
        (Case("encrypted", "secret.pdf", "failed", ("encrypted", "decrypt")), pdf_bytes(password="s3cret")),
        # ragged CSV rows: short and long rows are read, the text column found
        (
            Case("ragged csv", "ragged.csv", "read", ("",), 3),
            (
                "title,text,date\n"
                f"一,{GOOD_TEXT.replace(chr(10), '')},2024-01-02\n"
                f"二,{GOOD_TEXT.replace(chr(10), '')}\n"
                f"三,{GOOD_TEXT.replace(chr(10), '')},2024-01-03,extra,more\n"
                "四\n"
            ).encode(),
        ),
        (Case("ragged csv", "quote.csv", "read", ("",), 1), f'title,text\n"未闭合,{GOOD_TEXT}\n'.encode()),
        # NUL bytes, lone surrogates, control characters inside otherwise good text
        (Case("nul", "nul.txt", "read", ("control character",), 1), good[:30] + b"\0" + good[30:]),
        (
            Case("nul", "nul_gbk.txt", "read", ("NUL byte", "gb18030"), 1),
            GOOD_TEXT.encode("gbk")[:20] + b"\0\0" + GOOD_TEXT.encode("gbk")[20:],
        ),
        (
            Case("nul", "nul.jsonl", "read", ("control character",), 1),
            json.dumps({"title": "甲\u0000", "text": GOOD_TEXT.replace("\n", "\u0000")}).encode() + b"\n",
        ),
        (
            Case("surrogate", "surrogate.jsonl", "read", ("surrogate",), 2),
            b'{"title": "\\ud800", "text": "' + GOOD_TEXT.replace("\n", "").encode() + b'\\udfff\\ud83d"}\n'
            b'{"text": "' + GOOD_TEXT.replace("\n", "").encode() + b'\\ud800\\ud800"}\n',
        ),
        (
            Case("control", "ansi.txt", "read", ("control character",), 1),
            ("\x1b[31m红色\x1b[0m" + GOOD_TEXT + "\x07\x08\r\n\x0c第二页" + GOOD_TEXT).encode(),
        ),
        (
            Case("control", "crlf.csv", "read", ("",), 1),
            ("title,text\r\n甲," + GOOD_TEXT.replace("\n", "") + "\r\n").encode(),
        ),
        # right-to-left marks, emoji, traditional characters (all good text)
        (
            Case("rtl", "rtl.txt", "read", ("",), 1),
            ("\u200f" + GOOD_TEXT + "\u202eevil\u202c\u2067x\u2069").encode(),
        ),
        (Case("emoji", "emoji.md", "read", ("",), 1), ("# 标题😀\n" + GOOD_TEXT + "👍🏽👨‍👩‍👧").encode()),
        (Case("traditional", "traditional.txt", "read", ("",), 1), TRAD_TEXT.encode()),
        # ordinary good files in every other format
        (Case("good", "good/article.docx", "read", ("",), 1, good=True), docx_data),
        (Case("good", "good/article.pdf", "read", ("",), 1, good=True), pdf_bytes()),
        (Case("good", "good/rows.xlsx", "read", ("",), 1, good=True), xlsx_data),
        (
            Case("good", "good/rows.jsonl", "read", ("",), 2, good=True),
            (
                json.dumps({"text": GOOD_TEXT}, ensure_ascii=False)
                + "\n"
                + json.dumps({"text": TRAD_TEXT})
                + "\n"
            ).encode(),
        ),
    ]
    if single_line:
        line = ("基层治理，共建共治共享。" * (SINGLE_LINE_BYTES // 36 + 1)).encode()[:SINGLE_LINE_BYTES]
        cases.append(
            (Case("single line 50 MB", "huge_line.txt", "skipped", ("characters", "max_doc_chars")), line)
        )
    out = []
    for case, data in cases:
        _write(root, case.name, data)
        out.append(case)
    out += _links(root)
    return out


def _zip_of(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _links(root: Path) -> list[Case]:
    """Symbolic-link loops: two files pointing at each other, a folder pointing at its
    parent, and a link to nothing."""
    links = root / "links"
    links.mkdir()
    (links / "loop_a.txt").symlink_to("loop_b.txt")
    (links / "loop_b.txt").symlink_to("loop_a.txt")
    (links / "up").symlink_to("..", target_is_directory=True)
    (links / "dangling.txt").symlink_to("nowhere.txt")
    return [
        Case("symlink loop", "links/loop_a.txt", "failed", ("cannot read", "symbolic links")),
        Case("symlink loop", "links/loop_b.txt", "failed", ("cannot read", "symbolic links")),
        Case("symlink loop", "links/up", "skipped", ("symbolic link to a folder",)),
        Case("symlink loop", "links/dangling.txt", "failed", ("cannot read",)),
    ]
