"""One reader per file format: bytes in, :class:`ReadResult` out.

Readers raise :class:`SkipFile` for inputs that are not documents and :class:`FailFile`
for broken ones; the assembler turns both into manifest lines.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from govtext.errors import setting
from govtext.ingest.clean import make_doc
from govtext.ingest.decode import BinaryContentError, Decoded, UndecodableError, decode_bytes
from govtext.ingest.layout import strip_line
from govtext.ingest.metadata import core_field, split_front_matter
from govtext.ingest.raw import FailFile, RawDoc, ReadResult, SkipFile
from govtext.ingest.tables import read_delimited, read_json_rows, read_xlsx


@dataclass(frozen=True)
class ReadOptions:
    text_column: str | None = None
    encoding: str | None = None
    max_file_size: int = 200 * 1024 * 1024  # also bounds what a .docx/.xlsx may unpack to
    max_doc_chars: int = 2_000_000
    first_line: int = 1  # the file's line number of the data's first line (a part of a file)
    part: bool = False  # the data is one part of a file (ingest/parts.py), not all of it


# A member that inflates more than this (and to more than 10 MB) is built to exhaust memory:
# Word and Excel XML compresses about 5-20 times, runs of zeros about a thousand times.
_MAX_ZIP_RATIO = 200
_UNZIP_FACTOR = 10  # what a .docx/.xlsx may unpack to, in multiples of max_file_size
_UNZIP_FLOOR = 64 * 1024 * 1024  # ... but never less (an empty .docx unpacks to 800 KB)


def check_zip(data: bytes, what: str, options: ReadOptions) -> None:
    """Refuse a zip-based file (.docx, .xlsx) that is damaged or would unpack to too much,
    judging by the sizes in its central directory, before any member is decompressed.

    The declared sizes bound what :mod:`zipfile` will inflate (it stops at the declared
    size and then checks the CRC), so a directory that lies cannot get past this check.
    """
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise FailFile(
            f"not a readable {what} ({type(exc).__name__}: {exc}); the file is damaged or truncated - "
            "re-save it"
        ) from exc
    total = sum(m.file_size for m in members)
    limit = max(_UNZIP_FACTOR * options.max_file_size, _UNZIP_FLOOR)
    if total > limit:
        raise FailFile(
            f"refused: the {what} would unpack to {total:,} bytes, over the {limit:,}-byte limit "
            f"({_UNZIP_FACTOR} x {setting('max_file_size')}) - a zip bomb or a damaged file"
        )
    for m in members:
        if m.file_size > 10 * 1024 * 1024 and m.file_size > _MAX_ZIP_RATIO * max(m.compress_size, 1):
            raise FailFile(
                f"refused: member {m.filename!r} of the {what} inflates {m.file_size // max(m.compress_size, 1):,} "
                f"times (to {m.file_size:,} bytes) - a zip bomb; no real document compresses like that"
            )


def _check_length(text: str, options: ReadOptions) -> None:
    # Checked before cleaning: boilerplate rules and page splitting over a dump of many
    # million characters would take long for a text that is refused anyway.
    if len(text) > options.max_doc_chars:
        raise SkipFile(
            f"the text is {len(text):,} characters, over the {options.max_doc_chars:,}-character limit "
            f"for one document; split the file or raise {setting('max_doc_chars')}"
        )


def _decode(data: bytes, options: ReadOptions) -> Decoded:
    try:
        decoded = decode_bytes(data, options.encoding)
    except BinaryContentError as exc:
        raise SkipFile(f"{exc}: not a text file") from exc
    except UndecodableError as exc:
        raise FailFile(
            f"{exc}; if you know the encoding, set {setting('encoding')} to it, e.g. gb18030"
        ) from exc
    except ValueError as exc:
        raise FailFile(str(exc)) from exc
    return decoded


def _notes(decoded: Decoded) -> list[str]:
    return [decoded.problem] if decoded.problem else []


def _text_docs(text: str, fields: dict[str, object]) -> list[RawDoc]:
    """A plain text: one document, or several if it is a multi-article page."""
    from govtext.ingest.pages import split_page

    if not text.strip():
        raise SkipFile("no text (the file holds only whitespace)")
    articles = split_page(text)
    if articles is not None:
        docs = []
        for art in articles:
            merged = {**art.fields, **fields}
            merged.update({k: v for k, v in art.fields.items() if k in ("title", "authors")})
            doc = make_doc(art.text, merged)
            doc.from_page = True
            docs.append(doc)
        return [d for d in docs if d.text]
    doc = make_doc(text, fields)
    if not doc.text:
        raise SkipFile("no text left after removing page boilerplate")
    return [doc]


def read_txt(data: bytes, options: ReadOptions) -> ReadResult:
    decoded = _decode(data, options)
    _check_length(decoded.text, options)
    return ReadResult(_text_docs(decoded.text, {}), decoded.encoding, _notes(decoded))


def read_md(data: bytes, options: ReadOptions) -> ReadResult:
    decoded = _decode(data, options)
    _check_length(decoded.text, options)
    fields, body, problem = split_front_matter(decoded.text)
    body, heading = _markdown_headings(body)
    if heading and not any(core_field(k) == "title" for k in fields):
        fields["title"] = heading
    notes = _notes(decoded)
    if problem:  # the fields are lost, never the text
        notes.append(
            f"{problem}; its fields were ignored and the text read (fix the block between the --- lines)"
        )
    return ReadResult(_text_docs(body, fields), decoded.encoding, notes)


_MD_HEADING = re.compile(r"(?m)^[ \t]{0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$")


def _markdown_headings(body: str) -> tuple[str, str]:
    """Heading marks are markup, not text: '## 小标题' becomes '小标题'. A first-level heading
    opening the text is returned separately (it is the title, not a paragraph)."""
    first = _MD_HEADING.search(body)
    title = ""
    if first and first.group(1) == "#" and not body[: first.start()].strip():
        title = first.group(2).strip()
        body = body[first.end() :]
    return _MD_HEADING.sub(lambda m: m.group(2), body), title


def read_csv(data: bytes, options: ReadOptions) -> ReadResult:
    decoded = _decode(data, options)
    notes = _notes(decoded)
    docs = read_delimited(decoded.text, ",", options.text_column, notes, part=options.part)
    return ReadResult(docs, decoded.encoding, notes)


def read_tsv(data: bytes, options: ReadOptions) -> ReadResult:
    decoded = _decode(data, options)
    notes = _notes(decoded)
    docs = read_delimited(decoded.text, "\t", options.text_column, notes, part=options.part)
    return ReadResult(docs, decoded.encoding, notes)


def read_jsonl(data: bytes, options: ReadOptions) -> ReadResult:
    decoded = _decode(data, options)
    notes = _notes(decoded)
    docs = read_json_rows(
        decoded.text,
        lines=True,
        text_column=options.text_column,
        notes=notes,
        first_line=options.first_line,
        part=options.part,
    )
    return ReadResult(docs, decoded.encoding, notes)


def read_json(data: bytes, options: ReadOptions) -> ReadResult:
    decoded = _decode(data, options)
    notes = _notes(decoded)
    docs = read_json_rows(decoded.text, lines=False, text_column=options.text_column, notes=notes)
    return ReadResult(docs, decoded.encoding, notes)


def read_xlsx_file(data: bytes, options: ReadOptions) -> ReadResult:
    check_zip(data, ".xlsx workbook", options)
    notes: list[str] = []
    return ReadResult(read_xlsx(data, options.text_column, notes), "", notes)


def read_html(data: bytes, options: ReadOptions) -> ReadResult:
    """Main text via trafilatura (menus, footers and comments left out), title and date too."""
    import trafilatura

    decoded = _decode(data, options)
    html = decoded.text
    notes = _notes(decoded)
    try:
        text = trafilatura.extract(html, include_comments=False, include_tables=True, favor_recall=True)
    except RecursionError:  # a page nested thousands of elements deep
        text = None
    if not text or not text.strip():
        # No article found (a page of thousands of nested <div>s defeats the extractor):
        # read the page's visible text whole rather than lose it, and say so.
        text = visible_text(html)
        if len(re.sub(r"\s", "", text)) < 20:
            raise SkipFile("no main text found in the HTML page (and under 20 characters of visible text)")
        notes.append(
            "no main article found; the page's visible text was read whole (menus and footers included)"
        )
        return ReadResult(_text_docs(text, {}), decoded.encoding, notes)
    fields: dict[str, object] = {}
    meta = trafilatura.extract_metadata(html)
    if meta is not None:
        for key in ("title", "author", "date", "sitename"):
            value = getattr(meta, key, None)
            if value:
                fields["source" if key == "sitename" else key] = value
    title = str(fields.get("title") or "")
    paras = text.split("\n")
    if title and paras and strip_line(paras[0]) == title.strip():
        text = "\n".join(paras[1:])  # the <h1> repeats the title the metadata already holds
    return ReadResult(_text_docs(text, fields), decoded.encoding, notes)


_BLOCKS = frozenset(
    "p div br li tr h1 h2 h3 h4 h5 h6 section article td th blockquote pre table ul ol".split()
)
_HIDDEN = frozenset(("script", "style", "noscript", "template", "head", "svg"))


def visible_text(html: str) -> str:
    """The text a browser would show, one block a line: a streaming parse (the standard
    library's, no tree), so no nesting depth can exhaust it.

    >>> visible_text("<div><script>x()</script><p>推进<b>居民</b>自治</p><p>二</p></div>")
    '推进居民自治\\n二'
    """
    from html.parser import HTMLParser

    class _Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []
            self.hidden = 0

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag in _HIDDEN:
                self.hidden += 1
            elif tag in _BLOCKS:
                self.parts.append("\n")

        def handle_endtag(self, tag: str) -> None:
            if tag in _HIDDEN:
                self.hidden = max(0, self.hidden - 1)
            elif tag in _BLOCKS:
                self.parts.append("\n")

        def handle_data(self, data: str) -> None:
            if not self.hidden:
                self.parts.append(data)

    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = (re.sub(r"[ \t\u3000]+", " ", line).strip() for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def read_docx(data: bytes, options: ReadOptions) -> ReadResult:
    import zipfile

    import docx

    check_zip(data, ".docx", options)
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise FailFile(
            f"not a readable .docx ({type(exc).__name__}: {exc}); the file is damaged or truncated - re-save it from Word"
        ) from exc
    except Exception as exc:  # python-docx raises its own PackageNotFoundError and lxml errors
        raise FailFile(f"not a readable .docx ({type(exc).__name__}: {exc}); re-save it from Word") from exc
    paras = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            paras.append("\t".join(cell.text for cell in row.cells))
    props = document.core_properties
    fields: dict[str, object] = {}
    if props.title:
        fields["title"] = props.title
    if props.author:
        fields["author"] = props.author
    if props.created and props.created.year > 1990:
        fields["date"] = props.created.date().isoformat()
    text = "\n\n".join(paras)
    _check_length(text, options)
    return ReadResult(_text_docs(text, fields), "", [])


_PAGE_NUMBER = re.compile(
    r"[-—–\s]*\d{1,4}[-—–\s]*|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+"
)
_FULL_LINE = 0.85  # a line this close to the page's longest line was wrapped by the layout


def _pdf_paragraphs(pages: list[str]) -> str:
    """Rebuild paragraphs from laid-out PDF lines: a blank line or a short line ends one,
    a line that runs (nearly) the full width continues into the next, across pages too."""
    paras: list[str] = []
    current = ""
    for page in pages:
        lines = [strip_line(x) for x in page.splitlines()]
        lines = [x if not _PAGE_NUMBER.fullmatch(x) else "" for x in lines]
        width = max((len(x) for x in lines), default=0)
        for line in lines:
            if not line:
                if current:
                    paras.append(current)
                    current = ""
                continue
            current += line
            if len(line) < _FULL_LINE * width:
                paras.append(current)
                current = ""
    if current:
        paras.append(current)
    return "\n\n".join(paras)


def read_pdf(data: bytes, options: ReadOptions) -> ReadResult:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    quiet = logging.getLogger("pypdf")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # broken files are reported in the manifest, not as log noise
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise FailFile("the PDF is encrypted with a password; decrypt it first (e.g. qpdf --decrypt)")
        pages = []
        for page in reader.pages:
            try:  # layout mode keeps the blank lines between paragraphs
                pages.append(page.extract_text(extraction_mode="layout") or "")
            except Exception:
                pages.append(page.extract_text() or "")
    except FailFile:
        raise
    except FileNotDecryptedError as exc:
        raise FailFile(f"the PDF is encrypted ({exc}); decrypt it first (e.g. qpdf --decrypt)") from exc
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise FailFile(
            f"not a readable PDF ({type(exc).__name__}: {exc}); the file is damaged or truncated"
        ) from exc
    except Exception as exc:  # pypdf raises plain errors from deep inside broken files
        if "crypt" in str(exc).lower() or "crypt" in type(exc).__name__.lower():
            raise FailFile(f"the PDF is encrypted ({exc}); decrypt it first (e.g. qpdf --decrypt)") from exc
        raise FailFile(f"not a readable PDF ({type(exc).__name__}: {exc})") from exc
    finally:
        quiet.setLevel(level)
    text = _pdf_paragraphs(pages)
    _check_length(text, options)
    if not text.strip():
        raise SkipFile("the PDF has no text layer (a scan?); run OCR on it first")
    fields: dict[str, object] = {}
    info = reader.metadata
    if info is not None:
        # Producers fill in placeholders ("untitled", "Microsoft Word - draft.docx"): not titles.
        if info.title and not re.match(r"(?i)untitled|microsoft word\b|无标题", info.title.strip()):
            fields["title"] = info.title
        if info.author:
            fields["author"] = info.author
    return ReadResult(_text_docs(text, fields), "", [])


Reader = Callable[[bytes, ReadOptions], ReadResult]

READERS: dict[str, tuple[str, Reader]] = {
    ".txt": ("txt", read_txt),
    ".text": ("txt", read_txt),
    ".md": ("md", read_md),
    ".markdown": ("md", read_md),
    ".html": ("html", read_html),
    ".htm": ("html", read_html),
    ".docx": ("docx", read_docx),
    ".pdf": ("pdf", read_pdf),
    ".csv": ("csv", read_csv),
    ".tsv": ("tsv", read_tsv),
    ".xlsx": ("xlsx", read_xlsx_file),
    ".jsonl": ("jsonl", read_jsonl),
    ".ndjson": ("jsonl", read_jsonl),
    ".json": ("json", read_json),
}
