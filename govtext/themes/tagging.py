"""Tags for editors: the themes of each document with the sentences that justify them.

This is what ``govtext tag`` prints. It stays light (no pandas) so tagging one article
is instant. The JSON form is versioned (``SCHEMA_VERSION``) and documented in
docs/dictionary.md ("The tag schema").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govtext.documents import Document
from govtext.errors import InputError
from govtext.normalize import printable
from govtext.themes.dictionary import FORMAT_VERSION
from govtext.themes.matcher import Candidate, Matcher, ThemeHit
from govtext.themes.rules import MATCHER_VERSION

SCHEMA_VERSION = 1
# What ``start``/``end``/``char_start``/``char_end`` count; the ``*_utf16`` twins count
# UTF-16 code units (JavaScript string indices). Stated in every record.
OFFSET_UNIT = "code_point"


def tag_schema_path() -> Path:
    """The JSON Schema (draft 2020-12) of a tag record, shipped in the package.

    >>> tag_schema_path().name
    'tag.schema.json'
    """
    from importlib import resources

    return Path(str(resources.files("govtext") / "data" / "tag.schema.json"))


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class Utf16Offsets:
    """Code-point offsets of one text to UTF-16 code-unit offsets (JavaScript indices).

    >>> u = Utf16Offsets("a😀b")
    >>> [u(i) for i in range(4)]
    [0, 1, 3, 4]
    """

    def __init__(self, text: str) -> None:
        # Only characters beyond the BMP take two units; most Chinese text has none. Whether
        # it has any is told by the length of its UTF-16 form (4 µs for 3,000 characters;
        # ``max(text)`` walks the text in Python objects: 70 µs, a fifth of the rest of a record).
        astral = len(text.encode("utf-16-le", "surrogatepass")) != 2 * len(text)
        self._astral = [m.start() for m in _ASTRAL.finditer(text)] if astral else []

    def __call__(self, i: int) -> int:
        import bisect

        return i + bisect.bisect_left(self._astral, i) if self._astral else i

    @property
    def identity(self) -> bool:
        """True when the text has no character beyond the BMP: every offset is its own UTF-16 offset."""
        return not self._astral


@dataclass(frozen=True)
class Evidence:
    """One sentence behind a tag; ``start``/``end`` locate the match inside ``sentence``."""

    sentence: str
    start: int
    end: int
    term: str
    rule: str
    char_start: int  # the match in the document's text
    char_end: int
    sentence_index: int


@dataclass(frozen=True)
class ThemeTag:
    theme: str
    name: str
    hits: int
    weighted: float
    density: float  # weighted hits per 10,000 non-space characters
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class DocumentTags:
    doc_id: str
    title: str
    n_chars: int
    themes: tuple[ThemeTag, ...]
    text: str = ""  # the tagged text (for UTF-16 offsets; not written out)
    metadata: Mapping[str, Any] = field(default_factory=dict)
    dictionary: Mapping[str, Any] = field(default_factory=dict)  # hash, version, matcher
    hits: tuple[ThemeHit, ...] = ()  # every counted hit, in text order
    vetoed: tuple[Candidate, ...] = ()  # occurrences an exclusion or missing context refused
    # set on a paragraph's tags (``tag_paragraphs``): its index and span in the document
    paragraph: int | None = None
    span: tuple[int, int] | None = None

    def to_record(self, *, hits: bool = False, vetoed: bool = False) -> dict[str, Any]:
        """The JSON line of ``govtext tag --format jsonl`` and of ``POST /v1/tag`` (schema
        version 1, ``tag_schema_path()``); ``hits`` and ``vetoed`` add every counted hit
        and every refused look-alike (the web page draws them).
        """
        u16 = Utf16Offsets(self.text)
        ev = _evidence_dict(u16)
        record: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "doc_id": self.doc_id,
            "title": self.title,
            "n_chars": self.n_chars,
            "offset_unit": OFFSET_UNIT,
            "dictionary": dict(self.dictionary),
            "metadata": dict(self.metadata),
            "themes": [
                {
                    "theme": t.theme,
                    "name": t.name,
                    "hits": t.hits,
                    "weighted": round(t.weighted, 4),
                    "density": round(t.density, 4),
                    "evidence": [
                        ev(
                            e.sentence,
                            e.char_start - e.start,
                            e.term,
                            e.rule,
                            e.char_start,
                            e.char_end,
                            e.sentence_index,
                        )
                        for e in t.evidence
                    ],
                }
                for t in self.themes
            ],
        }
        if self.paragraph is not None and self.span is not None:
            record["unit"] = "paragraph"
            record["paragraph"] = self.paragraph
            record["char_start"], record["char_end"] = self.span
            record["char_start_utf16"], record["char_end_utf16"] = u16(self.span[0]), u16(self.span[1])
        if hits:
            record["hits"] = _hit_dicts(self.hits, u16)
        if vetoed:
            record["vetoed"] = [
                {**span, "reason": c.reason}
                for span, c in zip(_hit_dicts(self.vetoed, u16), self.vetoed, strict=True)
            ]
        return record


def _evidence_dict(u16: Utf16Offsets) -> Any:
    """A function writing one evidence sentence's JSON object (``to_record``'s ``evidence[]``):
    the match at ``char_start``–``char_end`` of the text, in the sentence that starts at
    ``sentence_start``."""
    same = u16.identity

    def ev(
        sentence: str, sentence_start: int, term: str, rule: str, char_start: int, char_end: int, index: int
    ) -> dict[str, Any]:
        start, end = char_start - sentence_start, char_end - sentence_start
        if same:  # no character beyond the BMP: UTF-16 offsets are the code-point offsets
            s16, a16, b16 = sentence_start, char_start, char_end
        else:
            s16, a16, b16 = u16(sentence_start), u16(char_start), u16(char_end)
        return {
            "sentence": sentence,
            "start": start,
            "end": end,
            "term": term,
            "rule": rule,
            "char_start": char_start,
            "char_end": char_end,
            "sentence_index": index,
            "char_start_utf16": a16,
            "char_end_utf16": b16,
            "start_utf16": a16 - s16,
            "end_utf16": b16 - s16,
        }

    return ev


def _hit_dicts(hits: Iterable[ThemeHit | Candidate], u16: Utf16Offsets) -> list[dict[str, Any]]:
    """The JSON objects of hits (``to_record``'s ``hits[]``; ``vetoed[]`` adds the reason)."""
    if u16.identity:  # no character beyond the BMP: UTF-16 offsets are the code-point offsets
        return [
            {
                "theme": h.theme,
                "rule": h.rule,
                "term": h.term,
                "char_start": h.start,
                "char_end": h.end,
                "char_start_utf16": h.start,
                "char_end_utf16": h.end,
                "sentence_index": h.sentence_index,
                "sentence_start": h.sentence_start,
                "sentence": h.sentence,
            }
            for h in hits
        ]
    return [
        {
            "theme": h.theme,
            "rule": h.rule,
            "term": h.term,
            "char_start": h.start,
            "char_end": h.end,
            "char_start_utf16": u16(h.start),
            "char_end_utf16": u16(h.end),
            "sentence_index": h.sentence_index,
            "sentence_start": h.sentence_start,
            "sentence": h.sentence,
        }
        for h in hits
    ]


def dictionary_info(matcher: Matcher) -> dict[str, Any]:
    """What a tag record says of the rules that made it: the dictionary's content hash,
    its file format version and the matcher's version."""
    return {"hash": matcher.dictionary_.hash, "version": FORMAT_VERSION, "matcher": MATCHER_VERSION}


def tag_document(
    doc: Document, matcher: Matcher, *, max_evidence: int = 3, explain: bool = False
) -> DocumentTags:
    """Themes with at least one hit, in dictionary order, each with its best evidence.

    The best sentence is the one with the most hits of the theme (earliest on ties);
    up to ``max_evidence`` distinct sentences are kept. ``explain`` also keeps the
    vetoed look-alikes (自治区, 共建"一带一路") with the exclusion that refused each.
    """
    vetoed: tuple[Candidate, ...] = ()
    if explain:
        cands = matcher.explain(doc)
        hits = [c.hit() for c in cands if c.counted]
        vetoed = tuple(c for c in cands if c.status == "vetoed")
    else:
        hits = matcher.transform(doc)
    n_chars = doc.n_chars
    return DocumentTags(
        doc.doc_id,
        doc.title,
        n_chars,
        _theme_tags(hits, matcher.dictionary_.theme_names(), n_chars, max_evidence),
        text=doc.text,
        metadata=dict(doc.meta),
        dictionary=dictionary_info(matcher),
        hits=tuple(hits),
        vetoed=vetoed,
    )


def tag_paragraphs(doc: Document, matcher: Matcher, *, max_evidence: int = 3) -> list[DocumentTags]:
    """One ``DocumentTags`` per paragraph of ``doc`` (``Document.paragraphs``), every
    paragraph included, themes or none: the unit scholars hand-code. The rules see the
    whole document, so a clause or sentence context is the same as in ``tag_document``;
    a hit belongs to the paragraph its match starts in. Offsets stay the document's.
    """
    hits = matcher.transform(doc)
    names = matcher.dictionary_.theme_names()
    info = dictionary_info(matcher)
    out = []
    for i, (a, b) in enumerate(doc.paragraphs):
        inside = [h for h in hits if a <= h.start < b]
        n_chars = sum(map(len, doc.text[a:b].split()))  # as Document.n_chars
        out.append(
            DocumentTags(
                doc.doc_id,
                doc.title,
                n_chars,
                _theme_tags(inside, names, n_chars, max_evidence),
                text=doc.text,
                metadata=dict(doc.meta),
                dictionary=info,
                hits=tuple(inside),
                paragraph=i,
                span=(a, b),
            )
        )
    return out


def _by_theme(hits: Iterable[ThemeHit]) -> dict[str, list[ThemeHit]]:
    by_theme: dict[str, list[ThemeHit]] = {}
    for h in hits:
        th = by_theme.get(h.theme)
        if th is None:
            by_theme[h.theme] = [h]
        else:
            th.append(h)
    return by_theme


def _best_sentences(th: list[ThemeHit], max_evidence: int) -> list[ThemeHit]:
    """The first hit in each of the ``max_evidence`` sentences with the most hits of a
    theme (earliest sentence on ties), best first."""
    count: dict[int, int] = {}
    first: dict[int, ThemeHit] = {}
    for h in th:
        i = h.sentence_index
        if i in count:
            count[i] += 1
        else:
            count[i] = 1
            first[i] = h
    return [first[i] for i in sorted(count, key=lambda i: (-count[i], i))[:max_evidence]]


def _theme_tags(
    hits: Iterable[ThemeHit], names: Mapping[str, str], n_chars: int, max_evidence: int
) -> tuple[ThemeTag, ...]:
    """Themes with at least one hit, in dictionary order, each with its best evidence."""
    by_theme = _by_theme(hits)
    tags = []
    for theme, name in names.items():
        th = by_theme.get(theme)
        if not th:
            continue
        evidence = tuple(
            Evidence(
                sentence=h.sentence,
                start=h.start - h.sentence_start,
                end=h.end - h.sentence_start,
                term=h.term,
                rule=h.rule,
                char_start=h.start,
                char_end=h.end,
                sentence_index=h.sentence_index,
            )
            for h in _best_sentences(th, max_evidence)
        )
        weighted = sum(h.weight for h in th)
        density = weighted * 10_000 / n_chars if n_chars else 0.0
        tags.append(ThemeTag(theme, name, len(th), weighted, density, evidence))
    return tuple(tags)


def tag_record(
    doc: Document, matcher: Matcher, *, max_evidence: int = 3, explain: bool = False, hits: bool = True
) -> dict[str, Any]:
    """``tag_document(doc, matcher, ...).to_record(hits=hits, vetoed=explain)``, the same
    record, written straight from the matcher's hits (no ``ThemeTag``/``Evidence``
    objects, one pass over the hits): what `govtext serve` answers each request with.
    """
    vetoed: list[Candidate] = []
    if explain:
        cands = matcher.explain(doc)
        found = [c.hit() for c in cands if c.counted]
        vetoed = [c for c in cands if c.status == "vetoed"]
    else:
        found = matcher.transform(doc)
    u16 = Utf16Offsets(doc.text)
    ev = _evidence_dict(u16)
    n_chars = doc.n_chars
    by_theme = _by_theme(found)
    themes = []
    for theme, name in matcher.dictionary_.theme_names().items():
        th = by_theme.get(theme)
        if not th:
            continue
        weighted = sum(h.weight for h in th)
        density = weighted * 10_000 / n_chars if n_chars else 0.0
        themes.append(
            {
                "theme": theme,
                "name": name,
                "hits": len(th),
                "weighted": round(weighted, 4),
                "density": round(density, 4),
                "evidence": [
                    ev(h.sentence, h.sentence_start, h.term, h.rule, h.start, h.end, h.sentence_index)
                    for h in _best_sentences(th, max_evidence)
                ],
            }
        )
    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "doc_id": doc.doc_id,
        "title": doc.title,
        "n_chars": n_chars,
        "offset_unit": OFFSET_UNIT,
        "dictionary": dictionary_info(matcher),
        "metadata": dict(doc.meta),
        "themes": themes,
    }
    if hits:
        record["hits"] = _hit_dicts(found, u16)
    if explain:
        record["vetoed"] = [
            {**span, "reason": c.reason} for span, c in zip(_hit_dicts(vetoed, u16), vetoed, strict=True)
        ]
    return record


def tag_documents(
    docs: Iterable[Document], matcher: Matcher | None = None, *, max_evidence: int = 3, unit: str = "document"
) -> Iterator[DocumentTags]:
    """Tag documents one by one (lazily); ``matcher`` defaults to the fitted default
    dictionary. ``unit="paragraph"`` yields each document's paragraphs in turn."""
    if unit not in ("document", "paragraph"):
        raise InputError(f"unit {unit!r} is not known: use 'document' or 'paragraph'")
    m = matcher if matcher is not None else Matcher().fit()
    for doc in docs:
        if unit == "paragraph":
            yield from tag_paragraphs(doc, m, max_evidence=max_evidence)
        else:
            yield tag_document(doc, m, max_evidence=max_evidence)


# --------------------------------------------------------------------------- table
def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def snippet(e: Evidence, width: int = 70, *, mark: tuple[str, str] = ("【", "】")) -> str:
    """The evidence sentence cut to about ``width`` columns around the match, match marked."""
    s = e.sentence.replace("\n", " ")
    # Cleaned piece by piece: removing characters must not move the match.
    left, match, right = (printable(x) for x in (s[: e.start], s[e.start : e.end], s[e.end :]))
    room = max(0, width - display_width(match)) // 2
    # Every character is at least one column wide, so no more than ``room`` of them can be
    # shown: cut to that first, so a 50,000-character "sentence" costs no more than a short one.
    left, right = left[-room - 1 :] if room else left[-1:], right[: room + 1]
    if display_width(left) > room:
        while left and display_width(left) > room - 1:
            left = left[1:]
        left = "…" + left
    if display_width(right) > room:
        while right and display_width(right) > room - 1:
            right = right[:-1]
        right = right + "…"
    return f"{left}{mark[0]}{match}{mark[1]}{right}"


def render_table(tags: DocumentTags, *, color: bool = False, width: int = 70) -> str:
    """The human table of one document: theme, name, hits, best evidence with the match marked."""
    mark = ("\x1b[1;31m", "\x1b[0m") if color else ("【", "】")
    head = (
        f"{printable(tags.doc_id)}"
        + (f"  {printable(tags.title)}" if tags.title and tags.title != tags.doc_id else "")
        + (f"  ¶{tags.paragraph + 1}" if tags.paragraph is not None else "")
        + f"  ({tags.n_chars} chars)"
    )
    if not tags.themes:
        return f"{head}\n  (no theme found)"
    w_theme = max(len("theme"), *(len(t.theme) for t in tags.themes))
    w_name = max(display_width("name"), *(display_width(t.name) for t in tags.themes))
    lines = [head, f"  {pad('theme', w_theme)}  {pad('name', w_name)}  {'hits':>4}  evidence"]
    for t in tags.themes:
        ev = snippet(t.evidence[0], width, mark=mark) if t.evidence else ""
        lines.append(f"  {pad(t.theme, w_theme)}  {pad(t.name, w_name)}  {t.hits:>4}  {ev}")
    return "\n".join(lines)
