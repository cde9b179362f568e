"""Keyword in context: every occurrence of a term or theme, and what the rules made of it.

A scholar's first check of a rule: for each occurrence, the left and right context,
the document and sentence, and whether a rule counted it (for which theme, by which
rule) or an exclusion vetoed it (and which one).

>>> from govtext.documents import Document
>>> [(k.match, k.status) for k in kwic([Document("d", "广西壮族自治区推进村民自治。")], "自治")]
[('自治', 'vetoed'), ('自治', 'counted')]
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from govtext.documents import Document
from govtext.themes.matcher import Candidate, Matcher

if TYPE_CHECKING:
    import pandas as pd

# The table's columns (CSV and DataFrame): the span as char_start/char_end, as in the hits
# table (``end`` is a reserved word in Stata).
KWIC_COLUMNS = [
    "doc_id",
    "sentence_index",
    "char_start",
    "char_end",
    "left",
    "match",
    "right",
    "status",
    "themes",
    "rules",
    "reason",
    "sentence",
]


@dataclass(frozen=True)
class KwicLine:
    """One occurrence. ``status``: ``counted`` (some rule counts it: ``themes``/``rules``),
    ``vetoed`` (rules found it but every one was excluded: ``reason``), ``subsumed`` (a
    longer counted match of the same theme covers it) or ``no rule`` (no rule looks at it).
    """

    doc_id: str
    sentence_index: int
    start: int
    end: int
    left: str
    match: str
    right: str
    status: str
    themes: tuple[str, ...]
    rules: tuple[str, ...]
    reason: str
    sentence: str

    def record(self) -> dict[str, object]:
        d = dict(self.__dict__)
        d["themes"] = ";".join(self.themes)
        d["rules"] = ";".join(self.rules)
        return d

    def row(self) -> dict[str, object]:
        """The record under the table's column names (``KWIC_COLUMNS``)."""
        d = self.record()
        d["char_start"], d["char_end"] = d.pop("start"), d.pop("end")
        return d


def _context(doc: Document, start: int, end: int, width: int) -> tuple[str, str]:
    left = doc.text[max(0, start - width) : start].replace("\n", " ")
    right = doc.text[end : end + width].replace("\n", " ")
    return left, right


def _line(
    doc: Document, start: int, end: int, cands: list[Candidate], width: int, sentence: Candidate
) -> KwicLine:
    counted = [c for c in cands if c.status == "counted"]
    subsumed = [c for c in cands if c.status == "subsumed"]
    vetoed = [c for c in cands if c.status == "vetoed"]
    if counted:
        status, chosen, reason = "counted", counted, ""
    elif subsumed:
        status, chosen, reason = "subsumed", subsumed, "; ".join(sorted({c.reason for c in subsumed}))
    elif vetoed:
        status, chosen, reason = "vetoed", vetoed, "; ".join(sorted({c.reason for c in vetoed}))
    else:
        status, chosen, reason = "no rule", [], ""
    left, right = _context(doc, start, end, width)
    return KwicLine(
        doc_id=doc.doc_id,
        sentence_index=sentence.sentence_index,
        start=start,
        end=end,
        left=left,
        match=doc.text[start:end],
        right=right,
        status=status,
        themes=tuple(dict.fromkeys(c.theme for c in chosen)),
        rules=tuple(dict.fromkeys(f"{c.theme}/{c.rule}" for c in chosen)),
        reason=reason,
        sentence=sentence.sentence,
    )


def kwic(
    docs: Iterable[Document], query: str, matcher: Matcher | None = None, *, width: int = 20
) -> Iterator[KwicLine]:
    """Occurrences of ``query`` in ``docs`` with their rule status.

    ``query`` is a theme id (``self_governance``) or a theme's name as the dictionary
    gives it in ``theme:NAME`` form (``theme:自治``) — then every candidate of the theme's
    rules is listed — or any literal term, listed wherever it occurs (matched on the
    normalised text), together with the rules that overlap it.
    """
    m = matcher if matcher is not None else Matcher().fit()
    themes = m.dictionary_.themes
    theme = query if query in themes else None
    if query.startswith("theme:"):
        wanted = query[len("theme:") :]
        theme = next((t.id for t in themes.values() if wanted in (t.id, t.name)), None)
        if theme is None:
            from govtext.errors import InputError

            raise InputError(f"unknown theme {wanted!r}; use one of: {', '.join(themes)}")
    for doc in docs:
        if theme is not None:
            cands = [c for c in m.explain(doc) if c.theme == theme]
            by_span: dict[tuple[int, int], list[Candidate]] = {}
            for c in cands:
                by_span.setdefault((c.start, c.end), []).append(c)
            for (a, b), group in sorted(by_span.items()):
                yield _line(doc, a, b, group, width, group[0])
            continue
        cands = m.explain(doc, terms=[query])
        occurrences = [c for c in cands if c.status == "unruled"]
        ruled = [c for c in cands if c.status != "unruled"]
        for occ in occurrences:
            overlapping = [c for c in ruled if c.start < occ.end and occ.start < c.end]
            yield _line(doc, occ.start, occ.end, overlapping, width, occ)


def kwic_csv(lines: Iterable[KwicLine]) -> str:
    """CSV text (with a byte-order mark for Excel) of kwic lines.

    Cells a spreadsheet would run as formulas (=, +, -, @ ...) get a leading apostrophe.
    """
    from govtext.cells import neutralise

    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.DictWriter(buf, fieldnames=KWIC_COLUMNS)
    writer.writeheader()
    for line in lines:
        writer.writerow({k: neutralise(v) for k, v in line.row().items()})
    return buf.getvalue()


def kwic_frame(lines: Iterable[KwicLine]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame([line.row() for line in lines], columns=KWIC_COLUMNS)


def kwic_table(
    data: object,
    query: str,
    dictionary: str | Path | None = None,
    *,
    width: int = 20,
    text_column: str = "text",
) -> pd.DataFrame:
    """Keyword in context as a DataFrame (``govtext.kwic``): one row per occurrence of
    ``query`` (a term, a theme id or ``theme:NAME``) in ``data`` (anything
    ``govtext.documents.as_corpus`` takes), with its left and right context and what the
    rules made of it (counted, vetoed by which exclusion, subsumed, no rule).

    >>> kwic_table(["广西壮族自治区推进村民自治。"], "自治")[["match", "status"]].values.tolist()
    [['自治', 'vetoed'], ['自治', 'counted']]
    """
    from govtext.documents import as_corpus
    from govtext.themes import load_dictionary

    matcher = Matcher(load_dictionary(dictionary) if dictionary else None).fit()
    return kwic_frame(kwic(as_corpus(data, text_column=text_column), query, matcher, width=width))
