"""Reading the inputs of the commands that take texts: files, folders, a .jsonl of
id/text lines, or ``-`` for standard input (``govtext tag``, ``kwic``, ``dict expand``).

Kept out of ``govtext.themes`` (the rules read no input files) and light: files go
through ``govtext.ingest``, a .jsonl of id/text lines and stdin are read here, each
document as it comes, so a pipe streams.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from govtext.documents import Document
from govtext.errors import InputError
from govtext.ingest.clean import scrub
from govtext.ingest.decode import decode_bytes

Problem = Callable[[str, bool], None]  # (message, is_error): a line or file skipped, and why


def _raise(message: str, is_error: bool) -> None:
    if is_error:
        raise InputError(message)


def documents_from_jsonl(
    lines: Iterable[str], source: str, on_problem: Problem = _raise
) -> Iterator[Document]:
    """Documents from JSON Lines whose objects hold ``id`` and ``text`` (one per line).

    Lines are read as they come (a pipe streams: the first document is tagged before the
    last line is written). A line that is not such an object is passed to ``on_problem``
    with its number; the default raises, the CLI reports it and goes on.
    """
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except (json.JSONDecodeError, RecursionError, ValueError) as exc:
            msg = getattr(exc, "msg", type(exc).__name__)
            on_problem(
                f'{source}:{n}: not a JSON object ({msg}); write one {{"id": …, "text": …}} per line', True
            )
            continue
        if not isinstance(obj, dict) or "text" not in obj:
            got = sorted(obj) if isinstance(obj, dict) else type(obj).__name__
            on_problem(f"{source}:{n}: a line must be an object with 'id' and 'text'; got keys {got}", True)
            continue
        doc_id = str(obj.get("id", obj.get("doc_id", f"{Path(source).stem}:{n}")))
        # As ingest does: no NUL or escape bytes, no lone surrogates (JSON "\ud800" escapes)
        # that would make every later write or print of the text fail.
        text, title = (scrub(str(v))[0] for v in (obj["text"], obj.get("title", "")))
        yield Document(doc_id=scrub(doc_id)[0], text=text, title=title)


def read_inputs(
    paths: Iterable[str], on_problem: Problem = _raise, *, text_column: str | None = None
) -> Iterator[Document]:
    """Documents from files, folders, ``-`` (stdin: JSON Lines if it looks like it, else one text).

    ``.jsonl`` files with ``id``/``text`` lines are read here with each ``id`` as the
    document id; everything else goes through ``govtext.ingest.read_corpus``, whose
    skipped and failed files are passed to ``on_problem`` (failed ones as errors).
    """
    rest: list[str] = []
    for p in paths:
        if p == "-":
            yield from _stdin_documents(on_problem)
        elif p.endswith(".jsonl") and Path(p).is_file() and _is_id_text_jsonl(Path(p)):
            with open(p, encoding="utf-8-sig") as fh:
                yield from documents_from_jsonl(fh, p, on_problem)
        else:
            if not Path(p).exists():
                on_problem(
                    f"{p}: no such file or folder; give files, folders, a .jsonl of id/text, or - for stdin",
                    True,
                )
                continue
            rest.append(p)
    if rest:
        yield from _read_with_ingest(rest, on_problem, text_column)


def _stdin_documents(on_problem: Problem) -> Iterator[Document]:
    # Peek at the first non-blank line: JSON Lines stream one document per line as they
    # arrive; anything else is one text, read to the end and decoded as ingest decodes a
    # file (encoding detected; binary content refused, as `govtext ingest -` refuses it).
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text stream put in place of stdin (tests, notebooks)
        stream = (line.encode("utf-8", "surrogateescape") for line in sys.stdin)
    skipped: list[bytes] = []
    for raw in stream:
        if not raw.strip():
            skipped.append(raw)
            continue
        if raw.lstrip().startswith(b"{"):
            lines = _utf8_lines(itertools.chain(skipped, [raw], stream), on_problem)
            yield from documents_from_jsonl(lines, "<stdin>", on_problem)
        else:
            data = b"".join([*skipped, raw, *stream])
            try:
                decoded = decode_bytes(data)
            except ValueError as exc:  # binary content, or bytes no text encoding fits
                on_problem(f"<stdin>: {exc}; give text (UTF-8, GB18030 …) or JSON Lines of id/text", True)
                return
            yield Document(doc_id="stdin", text=decoded.text)
        return


def _utf8_lines(lines: Iterable[bytes], on_problem: Problem) -> Iterator[str]:
    """JSON Lines from stdin as text: a line that is not UTF-8 is reported and left empty
    (its number kept, so the next lines' numbers stay right)."""
    for n, raw in enumerate(lines, start=1):
        try:
            yield raw.decode("utf-8-sig" if n == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            on_problem(
                f"<stdin>:{n}: not UTF-8 ({exc.reason} at byte {exc.start}); JSON Lines are UTF-8", True
            )
            yield ""


def _is_id_text_jsonl(path: Path) -> bool:
    with path.open(encoding="utf-8-sig") as fh:
        for line in fh:
            if line.strip():
                try:
                    obj = json.loads(line)
                except (json.JSONDecodeError, RecursionError, ValueError):
                    return False
                return isinstance(obj, dict) and "text" in obj and ("id" in obj or "doc_id" in obj)
    return False


def _read_with_ingest(
    paths: list[str], on_problem: Problem, text_column: str | None = None
) -> Iterator[Document]:
    from govtext.ingest import read_corpus  # the readers load only when files are read

    corpus = read_corpus(paths, text_column=text_column)
    for f in corpus.files:
        if f.status != "read":
            on_problem(f"{f.path}: {f.status}: {f.reason}", f.status == "failed")
        elif f.reason:
            on_problem(f"{f.path}: {f.reason}", False)
    yield from corpus.documents
