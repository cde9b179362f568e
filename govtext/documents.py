"""Document and Corpus: what ingest produces and every later stage reads.

A Document is immutable. ``text`` is the cleaned text as read (boilerplate removed,
characters unchanged); stages that match on a normalised view map their spans back to
``text`` so evidence always quotes the original. ``paragraphs`` are character spans
into ``text``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

from govtext.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

# Fields every Document has as attributes; anything else lives in ``meta``.
CORE_FIELDS = ("doc_id", "title", "authors", "source", "date")


_AUTHOR_SEP = re.compile(r"\s*[、，,;；/]\s*")


def _cell(value: object) -> str:
    """A frame cell as text: missing values (None, NaN, NA) are ''; 2022.0 is '2022'."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    try:
        import pandas as pd

        if pd.isna(value):
            return ""
    except (TypeError, ValueError):  # lists and arrays are not missing values
        pass
    return str(value)


def _check_unique(ids: list[str], what: str) -> None:
    seen: set[str] = set()
    dups = [i for i in ids if i in seen or seen.add(i)]  # type: ignore[func-returns-value]
    if dups:
        raise InputError(
            f"the {what} holds duplicate document ids ({dups[:3]}); give each document its own id"
        )


def content_hash(text: str) -> str:
    """Stable hash of a text, used for document ids, caching and duplicate detection."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=10).hexdigest()


def paragraph_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Spans of the non-blank lines of ``text``: one paragraph per line.

    Readers that know better (blank-line separated paragraphs, joined broken lines)
    pass their own spans to Document instead.
    """
    spans = []
    pos = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            start = pos + line.index(stripped[0])
            spans.append((start, start + len(stripped)))
        pos += len(line) + 1
    return tuple(spans)


@dataclass(frozen=True)
class Provenance:
    """Where a document came from: the file, its format and encoding, and its place in it."""

    path: str
    format: str
    encoding: str = ""
    position: int = 0  # index of the document within its file (row, article on a page)


@dataclass(frozen=True)
class Document:
    doc_id: str
    text: str
    title: str = ""
    authors: tuple[str, ...] = ()
    source: str = ""
    date: str = ""  # ISO 8601 (YYYY-MM-DD or YYYY) when known
    meta: Mapping[str, str] = field(default_factory=dict)
    paragraphs: tuple[tuple[int, int], ...] = ()
    provenance: Provenance | None = None

    def __post_init__(self) -> None:
        # Frozen means frozen: callers cannot mutate metadata behind the id's back.
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))
        object.__setattr__(self, "authors", tuple(self.authors))
        if not self.paragraphs:
            object.__setattr__(self, "paragraphs", paragraph_spans(self.text))

    def __reduce__(self) -> tuple[type[Document], tuple[object, ...]]:
        # The read-only meta view cannot be pickled; rebuild from a plain dict so
        # documents can travel to worker processes (govtext.engine).
        return (
            type(self),
            (
                self.doc_id,
                self.text,
                self.title,
                self.authors,
                self.source,
                self.date,
                dict(self.meta),
                self.paragraphs,
                self.provenance,
            ),
        )

    @property
    def n_chars(self) -> int:
        """Characters that count for densities: everything but whitespace.

        ``str.split()`` drops exactly the characters ``str.isspace`` names, in C: a
        per-character loop costs seconds on a 100 MB corpus.

        >>> Document("d", "接诉 即办。 治理").n_chars
        7
        """
        return sum(map(len, self.text.split()))

    @property
    def year(self) -> str:
        return self.meta.get("year") or (self.date[:4] if self.date[:4].isdigit() else "")

    def field(self, name: str) -> str:
        """The value of a grouping field: a core field, ``author``/``year``, or a meta key."""
        if name in ("author", "authors"):
            return "、".join(self.authors)
        if name == "year":
            return self.year
        if name in ("title", "source", "date", "doc_id"):
            return str(getattr(self, name))
        return str(self.meta.get(name, ""))

    def paragraph_texts(self) -> list[str]:
        return [self.text[a:b] for a, b in self.paragraphs]

    def record(self) -> dict[str, object]:
        """A flat row for DataFrames and JSON: core fields, metadata, provenance."""
        row: dict[str, object] = {
            "doc_id": self.doc_id,
            "title": self.title,
            "authors": "、".join(self.authors),
            "source": self.source,
            "date": self.date,
            "year": self.year,
        }
        for key, value in self.meta.items():
            row.setdefault(key, value)
        row["n_chars"] = self.n_chars
        row["n_paragraphs"] = len(self.paragraphs)
        if self.provenance:
            row["path"] = self.provenance.path
            row["format"] = self.provenance.format
            row["encoding"] = self.provenance.encoding
            row["position"] = self.provenance.position
        return row


FileStatus = Literal["read", "skipped", "failed"]


@dataclass(frozen=True)
class FileRecord:
    """One line of the manifest: what happened to one input file."""

    path: str
    status: FileStatus
    reason: str = ""
    n_documents: int = 0
    encoding: str = ""
    format: str = ""


@dataclass
class Corpus:
    """Documents plus the manifest of every input file that produced (or failed to produce) them."""

    documents: list[Document] = field(default_factory=list)
    files: list[FileRecord] = field(default_factory=list)

    def __iter__(self) -> Iterator[Document]:
        return iter(self.documents)

    def __len__(self) -> int:
        return len(self.documents)

    def _summary(self) -> str:
        files = {s: sum(f.status == s for f in self.files) for s in ("read", "skipped", "failed")}
        fields = sorted({k for d in self.documents[:1000] for k in d.meta})
        shown = ", ".join(fields[:8]) + (", …" if len(fields) > 8 else "")
        parts = [
            f"{len(self.documents):,} documents",
            f"{sum(len(d.text) for d in self.documents):,} characters",
        ]
        if self.files:
            parts.append(
                f"{len(self.files):,} files ({files['read']} read, {files['skipped']} skipped, {files['failed']} failed)"
            )
        if fields:
            parts.append(f"metadata: {shown}")
        return "; ".join(parts)

    def __repr__(self) -> str:
        # A notebook shows this for a whole corpus: counts, never the texts.
        return f"<Corpus: {self._summary()}>"

    def _repr_html_(self) -> str:
        from html import escape

        head = self.to_frame().head(5)
        if "text" in head:
            head = head.drop(columns="text")
        return f"<p><b>Corpus</b>: {escape(self._summary())}</p>" + head.to_html(max_cols=10, index=False)

    def __getitem__(self, doc_id: str) -> Document:
        for doc in self.documents:
            if doc.doc_id == doc_id:
                return doc
        raise KeyError(doc_id)

    @classmethod
    def from_documents(cls, documents: Iterable[Document]) -> Corpus:
        return cls(documents=list(documents))

    @classmethod
    def from_texts(cls, texts: Iterable[str], ids: Iterable[str] | None = None) -> Corpus:
        """One document per text, ids ``text1``, ``text2`` … (quanteda's) unless given.

        >>> [d.doc_id for d in Corpus.from_texts(["推进居民自治。", "坚持依法治理。"])]
        ['text1', 'text2']
        """
        texts = ["" if t is None else str(t) for t in texts]
        names = [str(i) for i in ids] if ids is not None else [f"text{i + 1}" for i in range(len(texts))]
        if len(names) != len(texts):
            raise InputError(f"{len(names)} ids for {len(texts)} texts; give one id per text")
        _check_unique(names, "ids")
        return cls(documents=[Document(doc_id=i, text=t) for i, t in zip(names, texts, strict=True)])

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, text_column: str = "text", id_column: str | None = None
    ) -> Corpus:
        """One document per row of ``frame``: its text from ``text_column``; its id from
        ``id_column`` (else an ``id``/``doc_id`` column, else a non-default index, else
        ``text1`` …); ``title``, ``author(s)``, ``source`` and ``date`` columns fill the core
        fields and every other column is kept as metadata (as text; missing cells left out).
        Texts are kept as given: corpus texts remain unchanged.

        >>> import pandas as pd
        >>> c = Corpus.from_frame(pd.DataFrame({"text": ["推进居民自治。"], "type": ["社会事业"]}))
        >>> c.documents[0].doc_id, dict(c.documents[0].meta)
        ('text1', {'type': '社会事业'})
        """
        import pandas as pd

        if text_column not in frame.columns:
            raise InputError(
                f"no column {text_column!r} in the frame; its columns are {[str(c) for c in frame.columns]}: "
                "pass text_column="
            )
        if id_column is None:
            id_column = next((c for c in frame.columns if str(c).lower() in ("id", "doc_id")), None)
        if id_column is not None:
            ids = [_cell(v) for v in frame[id_column]]
        elif not isinstance(frame.index, pd.RangeIndex):
            ids = [_cell(v) for v in frame.index]
        else:
            ids = [f"text{i + 1}" for i in range(len(frame))]
        _check_unique(ids, f"column {id_column!r}" if id_column is not None else "index")
        docs = []
        others = [c for c in frame.columns if c not in (text_column, id_column)]
        for doc_id, text, row in zip(
            ids, frame[text_column], frame[others].itertuples(index=False), strict=True
        ):
            core: dict[str, object] = {}
            meta: dict[str, str] = {}
            for col, value in zip(others, row, strict=True):
                cell = _cell(value)
                if not cell:
                    continue
                key = str(col)
                low = key.lower()
                if low in ("author", "authors"):
                    core["authors"] = tuple(a for a in _AUTHOR_SEP.split(cell) if a)
                elif low in ("title", "source", "date"):
                    core[low] = cell
                else:
                    meta[key] = cell
            docs.append(Document(doc_id=doc_id, text=_cell(text), meta=meta, **core))  # type: ignore[arg-type]
        return cls(documents=docs)

    def to_frame(self) -> pd.DataFrame:
        """One row per document: id, title, authors, source, date, year, metadata, size.

        Tidy: a field a document lacks is NA whether it is a core field or metadata (never
        ``''``), and ``year`` is ``Int64`` when every value is a year. A core field that no
        document has is no column, as a metadata field no document has is none (an
        all-missing text column is also one pandas cannot write to Stata)."""
        import pandas as pd

        frame = tidy_fields(pd.DataFrame([d.record() for d in self.documents]))
        absent = [c for c in CORE_FIELDS if c in frame.columns and len(frame) and frame[c].isna().all()]
        return frame.drop(columns=absent)

    def manifest(self) -> pd.DataFrame:
        """One row per input file: path, status, reason, documents, encoding, format."""
        import pandas as pd

        cols = ["path", "status", "reason", "n_documents", "encoding", "format"]
        return pd.DataFrame([f.__dict__ for f in self.files], columns=cols)

    def hash(self) -> str:
        """Hash of the corpus content and ids, for run.json."""
        h = hashlib.blake2b(digest_size=10)
        for doc in self.documents:
            h.update(doc.doc_id.encode())
            h.update(content_hash(doc.text).encode())
        return h.hexdigest()


CORE_FIELDS = ("title", "authors", "source", "date", "year")
# Metadata govtext itself writes as text (Document.meta holds strings) that is a number.
_NUMERIC_FIELDS = {"duplicate_similarity": "float64"}


def tidy_fields(frame: pd.DataFrame, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """``frame`` with empty text cells as NA in ``columns`` (default: all), ``year`` as
    ``Int64`` when each of its values is a year (four digits) or missing, and the numbers
    govtext writes into metadata (``duplicate_similarity``) as numbers. Other metadata
    stays text as read: an id such as ``0001`` would lose its zeros as a number."""
    import pandas as pd
    from pandas.api.types import is_object_dtype, is_string_dtype

    out = frame.copy()
    for col in list(out.columns) if columns is None else columns:
        values = out[col]
        if not (is_object_dtype(values) or is_string_dtype(values)):
            continue
        if isinstance(values.dtype, pd.StringDtype):  # all text or missing: at C speed
            blank = values.str.strip().eq("").fillna(False).astype(bool)
        else:  # objects: a cell may be a number or a tuple
            blank = values.map(lambda v: isinstance(v, str) and not v.strip()).astype(bool)
        if blank.any():
            out[col] = values.mask(blank)
        if col in _NUMERIC_FIELDS:
            out[col] = pd.to_numeric(out[col]).astype(_NUMERIC_FIELDS[col])
        elif col == "year":
            text = out[col].dropna().astype(str).str.strip()
            if text.str.fullmatch(r"\d{4}").all():
                out[col] = pd.array(
                    [None if pd.isna(v) else int(str(v).strip()) for v in out[col]], dtype="Int64"
                )
    return out


def as_corpus(data: object, *, text_column: str = "text", id_column: str | None = None) -> Corpus:
    """A Corpus from what a notebook holds: a Corpus, a Document, one text (``str``), a list
    of texts or Documents, a pandas Series of texts (its index as ids when not 0..n-1) or
    a DataFrame with ``text_column`` (other columns kept as metadata).

    >>> [d.doc_id for d in as_corpus(["推进居民自治。", "坚持依法治理。"])]
    ['text1', 'text2']
    """
    if isinstance(data, Corpus):
        return data
    if isinstance(data, Document):
        return Corpus(documents=[data])
    if isinstance(data, str):
        return Corpus.from_texts([data])
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(data, pd.DataFrame):
        return Corpus.from_frame(data, text_column=text_column, id_column=id_column)
    if pd is not None and isinstance(data, pd.Series):
        ids = None if isinstance(data.index, pd.RangeIndex) else [_cell(i) for i in data.index]
        return Corpus.from_texts([_cell(v) for v in data], ids=ids)
    if isinstance(data, Iterable):
        items = list(data)
        if all(isinstance(x, Document) for x in items):
            return Corpus(documents=items)
        if all(isinstance(x, str) or x is None for x in items):
            return Corpus.from_texts(items)
    raise InputError(
        f"cannot make a corpus of {type(data).__name__}; give a Corpus, a text, a list of texts, "
        "a pandas Series of texts or a DataFrame with a text column (text_column=)"
    )
