"""From a raw text to a clean body: footers and web boilerplate out, paragraphs tidied.

Every function here is a general rule (a licence footer, a menu line, a source line),
never a list of the lines of particular files.
"""

from __future__ import annotations

import re
from typing import Any

from govtext.ingest.layout import join_paragraphs, paragraphs_of
from govtext.ingest.raw import RawDoc

# A licence or copyright notice that closes a text copied from a wiki or an archive:
# a paragraph opening with 本作品 … that talks about copyright or the public domain.
_LICENCE_START = re.compile(r"(?m)^[ \t\u3000]*本作品(?:是|来自|在|属于|依据|根据|采用|由)")
_LICENCE_WORDS = re.compile(r"公有领域|著作权|版权|许可协议|Public domain|license", re.I)

_GENRES = (
    (re.compile(r"决议$|决议[（(]|关于.*的决议"), "resolution"),
    (re.compile(r"工作报告|报告$"), "report"),
)


def strip_licence_footer(text: str) -> tuple[str, bool]:
    """Cut a trailing licence notice; only near the end (the last third or the last 1,500
    characters), so a report that discusses copyright law keeps its body."""
    for m in _LICENCE_START.finditer(text, min(len(text) * 2 // 3, max(len(text) - 1500, 0))):
        if _LICENCE_WORDS.search(text, m.start()):
            return text[: m.start()].rstrip(), True
    return text, False


def genre_of(title: str) -> str:
    """'resolution' or 'report' when the title says so, else ''."""
    for pattern, genre in _GENRES:
        if pattern.search(title.strip()):
            return genre
    return ""


# C0/C1 control characters other than tab and newlines: NUL bytes from broken exports,
# escape sequences pasted from terminals. They are never text, and some (NUL, ESC) break
# CSV readers, terminals and XML writers downstream.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_BREAKS = re.compile(r"[\x0b\x0c\u2028\u2029]")  # vertical tab, form feed, Unicode separators
# Lone surrogates come from JSON escapes (\\ud800) and undecodable file names; they cannot
# be encoded as UTF-8, so any later write of the text would fail.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def scrub(text: str) -> tuple[str, int]:
    """``text`` without control characters (form feeds become line breaks) and with lone
    surrogates replaced by U+FFFD; returns the text and the number of characters changed.

    >>> scrub("居民\\x00议事\\ud800")
    ('居民议事\ufffd', 2)
    """
    n = 0
    if _CONTROL.search(text):
        text, n = _CONTROL.subn("", text)
    if _BREAKS.search(text):
        text, k = _BREAKS.subn("\n", text)
        n += k
    if _SURROGATE.search(text):
        text, k = _SURROGATE.subn("\ufffd", text)
        n += k
    return text, n


def scrub_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Fields with their string values (and string list items) scrubbed like the text."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if isinstance(value, str):
            value = scrub(value)[0]
        elif isinstance(value, list | tuple):
            value = type(value)(scrub(v)[0] if isinstance(v, str) else v for v in value)
        out[scrub(str(key))[0] if isinstance(key, str) else key] = value
    return out


def make_doc(text: str, fields: dict[str, Any], *, record: bool = False) -> RawDoc:
    """Clean ``text`` and wrap it with its fields (fields found in the text fill gaps only).

    ``record``: the text is one record of a table (a row, a JSON object), the user's unit.
    Cleaning may strip page furniture from inside it but never empties it: a record that
    would be empty after cleaning keeps its paragraphs as given, with ``kept_whole`` set
    (a date line or a photo caption is boilerplate on a web page, but a record of its own).
    """
    from govtext.ingest.boilerplate import strip_boilerplate

    text, n_scrubbed = scrub(text)
    fields = scrub_fields(fields)
    text, _ = strip_licence_footer(text)
    paras = paragraphs_of(text)
    paras, found = strip_boilerplate(paras, title=str(fields.get("title") or ""))
    from govtext.ingest.metadata import core_field

    # What the file's own fields say (columns, front matter) beats what the page text says.
    given = {core_field(k) or k for k, v in fields.items() if v not in (None, "")}
    merged = {k: v for k, v in found.items() if k not in given}
    merged.update({k: v for k, v in fields.items() if v not in (None, "")})
    if "genre" not in merged:
        genre = genre_of(str(merged.get("title") or ""))
        if genre:
            merged["genre"] = genre
    kept_whole = False
    if record and not paras:
        paras = paragraphs_of(text)
        kept_whole = bool(paras)
    body, spans = join_paragraphs(paras)
    return RawDoc(body, merged, spans, n_scrubbed=n_scrubbed, kept_whole=kept_whole)
