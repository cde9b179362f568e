"""What decides whether an occurrence counts: a rule's exclusions, its contexts and its
token boundary, compiled once per rule (``RuleChecks``) and tried against per-document
lookups (``DocContext``: scopes, term positions, sentences, token edges).

Most occurrences are not vetoed, so each check first asks one question of the text
with a single compiled alternation of all its strings (is any of them there at all?),
and only on a yes walks the strings in the rule's order, so that the reason names the
same string as ever (``exclude_overlap:自治区``, ``exclude_near:belt_and_road(一带一路)``).
The alternations hold only escaped literals: Python's ``re`` runs them in linear time.
"""

from __future__ import annotations

import bisect
import logging
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from govtext.documents import Document
from govtext.normalize import Normalized
from govtext.sentences import split_sentences
from govtext.themes.patterns import Deadline, Pattern, TimeLimitError, utf8_safe
from govtext.themes.rules import Context, Rule

# Characters that close a clause / a sentence in the normalised view (full-width
# punctuation other than the ideographic comma survives normalisation unchanged).
_CLAUSE_END = set("，,；;。！？!?：:\n")
_SENTENCE_END = set("。！？!?；;\n")
_SCOPE_BITS = {"clause": 1, "sentence": 2}


@lru_cache(maxsize=1)
def _end_marks() -> Any:
    """Per BMP code point: bit 1 if it ends a clause, bit 2 if it ends a sentence (all
    the marks are in the BMP; other code points look up the last entry, which is 0)."""
    import numpy as np

    table = np.zeros(0x10000, dtype=np.uint8)
    for ch in _CLAUSE_END:
        table[ord(ch)] |= 1
    for ch in _SENTENCE_END:
        table[ord(ch)] |= 2
    return table


_MARKS = {
    "clause": re.compile("[" + re.escape("".join(sorted(_CLAUSE_END))) + "]"),
    "sentence": re.compile("[" + re.escape("".join(sorted(_SENTENCE_END))) + "]"),
}


def _scope_ends(vt: str) -> dict[str, list[int]]:
    """Where each clause and each sentence of ``vt`` ends, in one pass per document (a walk
    to the marks from each hit is quadratic in a long unpunctuated text). numpy's table
    lookup is about 3x the regex scan, but importing numpy costs a one-shot `govtext tag`
    a quarter of a second: it is used only when something else has loaded it already."""
    if "numpy" not in sys.modules:
        return {name: [m.start() for m in mark.finditer(vt)] for name, mark in _MARKS.items()}
    import numpy as np

    codes = np.frombuffer(vt.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    flags = np.take(_end_marks(), codes, mode="clip")
    return {name: np.flatnonzero(flags & bit).tolist() for name, bit in _SCOPE_BITS.items()}


# A context's stretch up to this long is searched for each term; a longer one (a long
# sentence, a paragraph) looks the term up among its occurrences in the whole document.
_LOCAL_STRETCH = 256

# Where an evidence window prefers to end: after a clause mark or a blank near its limit.
_SOFT_CUT = re.compile(r"[，,、：:\s]")

log = logging.getLogger("govtext.themes")


def any_of(strings: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern for "one of ``strings`` starts here", the longest first, so a match is
    the longest of them at its position (None when there is no non-empty string)."""
    alts = sorted({s for s in strings if s}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, alts))) if alts else None


@dataclass(frozen=True)
class ContextCheck:
    """A context of a rule with its regexes compiled and its terms as one alternation."""

    context: Context
    patterns: tuple[Pattern, ...]
    any_term: re.Pattern[str] | None


@dataclass(frozen=True)
class RuleChecks:
    """A rule, its regexes compiled, and its exclusions and contexts ready to check.

    ``overlap_any`` finds any exclude_overlap string within ``overlap_reach - 1``
    characters of an occurrence (None: walk the strings every time; the rule has an
    empty one).
    """

    rule: Rule
    regex: tuple[Pattern, ...]
    exclude_near: tuple[ContextCheck, ...]
    require_near: tuple[ContextCheck, ...]
    literals: tuple[re.Pattern[str], ...] = ()  # the same regexes in ``re``, for required_literals
    overlap_any: re.Pattern[str] | None = None
    overlap_reach: int = 0
    near_any: re.Pattern[str] | None = None  # every exclude_near context's terms
    near_reach: tuple[tuple[str, int], ...] = ()  # per scope, the widest window (0: all of it)
    near_patterns: bool = False  # an exclude_near context has regexes
    conditional: bool = True  # False: every occurrence counts (no exclusion, context or boundary)

    @classmethod
    def build(
        cls,
        rule: Rule,
        regex: tuple[Pattern, ...],
        literals: tuple[re.Pattern[str], ...],
        exclude_near: tuple[tuple[Context, tuple[Pattern, ...]], ...],
        require_near: tuple[tuple[Context, tuple[Pattern, ...]], ...],
    ) -> RuleChecks:
        ex = rule.exclude_overlap
        return cls(
            rule=rule,
            regex=regex,
            exclude_near=tuple(ContextCheck(c, p, any_of(c.terms)) for c, p in exclude_near),
            require_near=tuple(ContextCheck(c, p, any_of(c.terms)) for c, p in require_near),
            literals=literals,
            overlap_any=any_of(ex) if all(ex) else None,
            overlap_reach=max(map(len, ex), default=0),
            near_any=any_of(tuple(t for c, _ in exclude_near for t in c.terms)),
            near_reach=_widest(tuple(c for c, _ in exclude_near)),
            near_patterns=any(p for _, p in exclude_near),
            conditional=bool(ex or exclude_near or require_near or rule.boundary == "token"),
        )


def _widest(contexts: tuple[Context, ...]) -> tuple[tuple[str, int], ...]:
    """(scope, widest window) of each scope ``contexts`` use; 0 if one has no window."""
    out: dict[str, int] = {}
    for c in contexts:
        w = out.get(c.scope, -1)
        out[c.scope] = 0 if c.window == 0 or w == 0 else max(w, c.window)
    return tuple(out.items())


class DocContext:
    """Per-document lookups: sentences, paragraphs, scopes and (lazily) token boundaries.

    ``matcher`` supplies ``time_limit_``, ``max_sentence_chars`` and ``segmenter``.
    """

    def __init__(self, doc: Document, view: Normalized, matcher: Any) -> None:
        self.doc = doc
        self.view = view
        self.vt: str = view.text
        self.matcher = matcher
        self.cap: int = matcher.max_sentence_chars  # contexts look no further either side
        self._sentences: list[tuple[int, int]] | None = None
        self.sent_starts: list[int] = []
        self.par_starts: list[int] = []
        self._token_edges: tuple[set[int], set[int]] | None = None
        self._ends: dict[str, list[int]] = {}
        self._quotes: dict[tuple[int, int], str] = {}
        self._deadline: Deadline | None = None
        self._limited: set[tuple[tuple[str, ...], str]] = set()
        self._safe: str | None = None
        self._occurrences: dict[str, list[int]] = {}

    @property
    def safe(self) -> str:
        """The view as RE2 takes it (lone surrogates as U+FFFD; the same length)."""
        if self._safe is None:
            self._safe = utf8_safe(self.vt)
        return self._safe

    def text_for(self, rx: Pattern) -> str:
        """The view as ``rx``'s engine takes it (RE2: without lone surrogates)."""
        return self.safe if rx.engine == "re2" else self.vt

    @property
    def deadline(self) -> Deadline:
        """The end of this document's budget for look-around regexes (set on first need)."""
        if self._deadline is None:
            self._deadline = Deadline.after(self.matcher.time_limit_)
        return self._deadline

    def time_limited(self, rule: Rule, rx: str) -> None:
        key = (rule.themes, rule.id)
        if key in self._limited:
            return
        self._limited.add(key)
        where = f" ({rule.source}:{rule.line})" if rule.source else ""
        log.warning(
            "govtext: warning: document %r: rule '%s' of theme %s%s stopped at the %s s regex "
            "time limit on %r; its other matches there are skipped, the other rules' kept "
            "(simplify the pattern, or raise the limit)",
            self.doc.doc_id,
            rule.id,
            "/".join(rule.themes),
            where,
            self.matcher.time_limit_,
            rx,
        )

    # Split on first need: most documents of a large corpus have no candidate at all.
    @property
    def sentences(self) -> list[tuple[int, int]]:
        if self._sentences is None:
            self._sentences = evidence_windows(
                split_sentences(self.doc.text), self.doc.text, self.matcher.max_sentence_chars
            )
            self.sent_starts = [a for a, _ in self._sentences]
            self.par_starts = [a for a, _ in self.doc.paragraphs]
        return self._sentences

    def locate(self, spans: Sequence[Sequence[Any]]) -> list[tuple[int, str, int, int]]:
        """(sentence index, evidence text, its start, paragraph index) of each original
        span [a, b) (sorted by start; ``a, b = span[0], span[1]``, the matcher's rows as
        they are): the sentence it starts in, widened to hold the whole match."""
        sentences = self.sentences
        starts, par_starts = self.sent_starts, self.par_starts
        n, n_par = len(sentences), len(par_starts)
        quotes, text = self._quotes, self.doc.text
        out = []
        i = j = 0  # the spans come in order: walk the sentence and paragraph starts once
        for span in spans:
            a, b = span[0], span[1]
            while i < n and starts[i] <= a:
                i += 1
            si = i - 1
            if si >= 0 and a < sentences[si][1]:
                ss, se = sentences[si]
            else:  # a match that starts on whitespace or punctuation outside any sentence
                si, ss, se = max(si, 0), a, b
                if sentences:
                    ss, se = sentences[si]
            # A term broken across lines spans two "sentences": quote both so evidence holds the match.
            if si + 1 < n and starts[si + 1] < b:
                se = max(se, sentences[bisect.bisect_left(starts, b) - 1][1])
            # A user's regex may take in the line break or space beside a sentence ("\r0"):
            # the evidence always holds the whole match.
            if a < ss:
                ss = a
            if b > se:
                se = b
            q = quotes.get((ss, se))
            if q is None:  # one string per span however many hits quote it
                q = quotes[(ss, se)] = text[ss:se]
            while j < n_par and par_starts[j] <= a:
                j += 1
            out.append((si, q, ss, j - 1))
        return out

    def scope(self, s: int, e: int, scope: str) -> tuple[int, int]:
        if scope == "paragraph":
            vt = self.vt
            lo = vt.rfind("\n", 0, s) + 1
            hi = vt.find("\n", e)
            return lo, len(vt) if hi == -1 else hi
        # the clause or sentence marks of the view, found in one pass per document:
        # walking to them from each hit is quadratic in a long unpunctuated text
        if not self._ends:
            self._ends = _scope_ends(self.vt)
        ends = self._ends[scope]
        i = bisect.bisect_left(ends, s)
        j = bisect.bisect_left(ends, e, i)
        lo = ends[i - 1] + 1 if i else 0
        hi = ends[j] if j < len(ends) else len(self.vt)
        cap = self.cap
        return (lo if lo > s - cap else s - cap), (hi if hi < e + cap else e + cap)

    def reach(self, ctx: Context, s: int, e: int, scopes: dict[str, tuple[int, int]]) -> tuple[int, int]:
        """The stretch [lo, hi) of the view that ``ctx`` looks at around [s, e); ``scopes``
        keeps each scope's bounds for the other contexts of the same occurrence."""
        bounds = scopes.get(ctx.scope)
        if bounds is None:
            bounds = scopes[ctx.scope] = self.scope(s, e, ctx.scope)
        lo, hi = bounds
        if ctx.window:
            lo, hi = max(lo, s - ctx.window), min(hi, e + ctx.window)
        if ctx.side == "before":
            hi = e
        elif ctx.side == "after":
            lo = s
        return lo, hi

    def term_near(self, rx: re.Pattern[str], lo: int, hi: int, s: int, e: int) -> re.Match[str] | None:
        """A match of ``rx`` (an ``any_of`` alternation) in [lo, hi) that is not inside [s, e).

        The occurrence itself does not count as its own context: the longest string at a
        position inside [s, e) means every string there is inside, so look further on.
        """
        m = rx.search(self.vt, lo, hi)
        while m is not None and m.start() >= s and m.end() <= e:
            m = rx.search(self.vt, m.start() + 1, hi)
        return m

    def near(
        self,
        check: ContextCheck,
        lo: int,
        hi: int,
        s: int,
        e: int,
        rule: Rule,
        *,
        named: bool,
        terms: bool = True,
    ) -> str | None:
        """A context term or regex match in [lo, hi) near [s, e), or None.

        ``named``: the term is the first of the context's terms (in its order) found
        there, as the reason of a veto names it; otherwise any one found will do.
        ``terms=False``: the caller knows none of the terms is there.
        """
        if terms and check.any_term is not None:
            m = self.term_near(check.any_term, lo, hi, s, e)
            if m is not None:
                return self._first_term(check.context, s, e, lo, hi) if named else m.group()
        for pat in check.patterns:
            try:
                found = pat.search(self.text_for(pat)[lo:hi], self.deadline)
            except TimeLimitError:
                self.time_limited(rule, pat.source)
                continue
            if found is not None:
                return found
        return None

    def _first_term(self, ctx: Context, s: int, e: int, lo: int, hi: int) -> str | None:
        """The first of ``ctx.terms`` with an occurrence in [lo, hi) that is not inside [s, e)."""
        vt = self.vt
        local = hi - lo <= _LOCAL_STRETCH
        for term in ctx.terms:
            n = len(term)
            if local:  # a short stretch: search it, not the whole document
                pos = vt.find(term, lo, hi) if term else -1
                while pos != -1:
                    if not (pos >= s and pos + n <= e):
                        return term
                    pos = vt.find(term, pos + 1, hi)
                continue
            # every occurrence of the term in the document, found once: searching each
            # hit's scope again is quadratic when a long sentence is full of hits
            occ = self._occurrences.get(term)
            if occ is None:
                occ = self._occurrences[term] = positions(vt, term)
            for k in range(bisect.bisect_left(occ, lo), len(occ)):
                pos = occ[k]
                if pos + n > hi:
                    break
                if not (pos >= s and pos + n <= e):
                    return term
        return None

    def token_ok(self, s: int, e: int) -> bool:
        if self._token_edges is None:
            seg = self.matcher.segmenter
            if seg is None:
                from govtext.segment import Segmenter

                seg = self.matcher.segmenter = Segmenter()
            toks = seg.tokens(self.doc)
            self._token_edges = (set(toks.starts), set(toks.ends))
        a, b = self.view.to_original(s, e)
        return a in self._token_edges[0] and b in self._token_edges[1]

    def _overlapped(self, checks: RuleChecks, s: int, e: int) -> bool:
        """Whether one of the rule's exclude_overlap strings overlaps [s, e) (each lies
        within ``overlap_reach - 1`` characters of it when it does). The longest string at
        a position that does not overlap means none there does: look further on."""
        rx, reach = checks.overlap_any, checks.overlap_reach
        if rx is None:  # an empty string in the list: let the walk decide
            return True
        hi = e + reach - 1
        m = rx.search(self.vt, s - reach + 1 if s >= reach else 0, hi)
        while m is not None and m.start() < e:
            if m.end() > s:
                return True
            m = rx.search(self.vt, m.start() + 1, hi)
        return False

    def veto(self, checks: RuleChecks, s: int, e: int) -> str:
        """Why the occurrence [s, e) of the view does not count ("" when it does)."""
        rule = checks.rule
        vt = self.vt
        if rule.exclude_overlap and self._overlapped(checks, s, e):
            for ex in rule.exclude_overlap:  # in order: the reason names the first that overlaps
                n = len(ex)
                if vt.find(ex, max(0, s - n + 1), e + n - 1) != -1:
                    return f"exclude_overlap:{ex}"
        scopes: dict[str, tuple[int, int]] = {}
        if checks.exclude_near:
            terms = True
            if checks.near_any is not None:
                # one search for every context's terms, in a stretch that holds each
                # context's own: nothing there, no term vetoes
                lo, hi = len(vt), 0
                for scope, width in checks.near_reach:
                    a, b = scopes[scope] = self.scope(s, e, scope)
                    if width:
                        a, b = max(a, s - width), min(b, e + width)
                    lo, hi = min(lo, a), max(hi, b)
                terms = self.term_near(checks.near_any, lo, hi, s, e) is not None
            if terms or checks.near_patterns:
                for check in checks.exclude_near:
                    lo, hi = self.reach(check.context, s, e, scopes)
                    found = self.near(check, lo, hi, s, e, rule, named=True, terms=terms)
                    if found is not None:
                        return f"exclude_near:{check.context.id}({found})"
        for check in checks.require_near:
            lo, hi = self.reach(check.context, s, e, scopes)
            if self.near(check, lo, hi, s, e, rule, named=False) is None:
                return f"require_near:{check.context.id}"
        if rule.boundary == "token" and not self.token_ok(s, e):
            return "boundary:token"
        return ""


def positions(text: str, term: str) -> list[int]:
    """Start of every occurrence of ``term`` in ``text``, overlapping ones included."""
    out = []
    pos = text.find(term) if term else -1
    while pos != -1:
        out.append(pos)
        pos = text.find(term, pos + 1)
    return out


def evidence_windows(spans: list[tuple[int, int]], text: str, cap: int) -> list[tuple[int, int]]:
    """``spans`` with each one longer than ``cap`` cut into windows of at most ``cap``
    characters, each ending after a clause mark or a blank in its last quarter when it
    has one (a flattened table or OCR page is not one sentence of evidence).
    """
    if all(b - a <= cap for a, b in spans):
        return spans
    out: list[tuple[int, int]] = []
    for a, b in spans:
        while b - a > cap:
            cut = a + cap
            soft = None
            for m in _SOFT_CUT.finditer(text, a + cap * 3 // 4, cut):
                soft = m.end()
            cut = soft or cut
            end = cut
            while end > a + 1 and text[end - 1].isspace():  # windows end on a non-blank too
                end -= 1
            out.append((a, end))
            a = cut
            while a < b and text[a].isspace():  # a window starts on a non-blank, as sentences do
                a += 1
        if a < b:
            out.append((a, b))
    return out
