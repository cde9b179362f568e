"""One reader per file format: bytes in, :class:`ReadResult` out.

Readers raise :class:`SkipFile` for inputs that are not documents and :class:`FailFile`
for broken ones; the assembler turns both into manifest lines.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from govtext.ingest.clean import make_doc
from govtext.ingest.decode import BinaryContentError, Decoded, decode_bytes
from govtext.ingest.metadata import read_front_matter
from govtext.ingest.raw import FailFile, RawDoc, ReadResult, SkipFile
from govtext.ingest.tables import read_delimited, read_json_rows, read_xlsx


@dataclass(frozen=True)
class ReadOptions:
    text_column: str | None = None
    encoding: str | None = None


def _decode(data: bytes, options: ReadOptions) -> Decoded:
    try:
        decoded = decode_bytes(data, options.encoding)
    except BinaryContentError as exc:
        raise SkipFile(f"{exc}: not a text file") from exc
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
    return ReadResult(_text_docs(decoded.text, {}), decoded.encoding, _notes(decoded))


def read_md(data: bytes, options: ReadOptions) -> ReadResult:
    decoded = _decode(data, options)
    try:
        fields, body = read_front_matter(decoded.text)
    except ValueError as exc:
        raise FailFile(f"{exc}; fix the block between the --- lines") from exc
    return ReadResult(_text_docs(body, fields), decoded.encoding, _notes(decoded))


def read_csv(data: bytes, options: ReadOptions) -> ReadResult:
    decoded = _decode(data, options)
    notes = _notes(decoded)
    return ReadResult(read_delimited(decoded.text, ",", options.text_column, notes), decoded.encoding, notes)


def read_tsv(data: bytes, options: ReadOptions) -> ReadResult:
    decoded = _decode(data, options)
    notes = _notes(decoded)
    return ReadResult(read_delimited(decoded.text, "\t", options.text_column, notes), decoded.encoding, notes)


def read_jsonl(data: bytes, options: ReadOptions) -> ReadResult:
    decoded = _decode(data, options)
    notes = _notes(decoded)
    docs = read_json_rows(decoded.text, lines=True, text_column=options.text_column, notes=notes)
    return ReadResult(docs, decoded.encoding, notes)


def read_json(data: bytes, options: ReadOptions) -> ReadResult:
    decoded = _decode(data, options)
    notes = _notes(decoded)
    docs = read_json_rows(decoded.text, lines=False, text_column=options.text_column, notes=notes)
    return ReadResult(docs, decoded.encoding, notes)


def read_xlsx_file(data: bytes, options: ReadOptions) -> ReadResult:
    notes: list[str] = []
    return ReadResult(read_xlsx(data, options.text_column, notes), "", notes)


def read_html(data: bytes, options: ReadOptions) -> ReadResult:
    """Main text via trafilatura (menus, footers and comments left out), title and date too."""
    import trafilatura

    decoded = _decode(data, options)
    html = decoded.text
    text = trafilatura.extract(html, include_comments=False, include_tables=True, favor_recall=True)
    if not text or not text.strip():
        raise SkipFile("no main text found in the HTML page")
    fields: dict[str, object] = {}
    meta = trafilatura.extract_metadata(html)
    if meta is not None:
        for key in ("title", "author", "date", "sitename"):
            value = getattr(meta, key, None)
            if value:
                fields["source" if key == "sitename" else key] = value
    return ReadResult(_text_docs(text, fields), decoded.encoding, _notes(decoded))


def read_docx(data: bytes, options: ReadOptions) -> ReadResult:
    import zipfile

    import docx

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
    return ReadResult(_text_docs(text, fields), "", [])


def read_pdf(data: bytes, options: ReadOptions) -> ReadResult:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise FailFile("the PDF is encrypted with a password; decrypt it first (e.g. qpdf --decrypt)")
        pages = [page.extract_text() or "" for page in reader.pages]
    except FailFile:
        raise
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise FailFile(
            f"not a readable PDF ({type(exc).__name__}: {exc}); the file is damaged or truncated"
        ) from exc
    except Exception as exc:  # pypdf also raises plain errors from deep inside broken files
        if "encrypt" in str(exc).lower() or "crypt" in type(exc).__name__.lower():
            raise FailFile(f"the PDF is encrypted ({exc}); decrypt it first (e.g. qpdf --decrypt)") from exc
        raise FailFile(f"not a readable PDF ({type(exc).__name__}: {exc})") from exc
    text = "\n\n".join(p for p in pages if p.strip())
    if not text.strip():
        raise SkipFile("the PDF has no text layer (a scan?); run OCR on it first")
    fields: dict[str, object] = {}
    info = reader.metadata
    if info is not None:
        if info.title:
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
