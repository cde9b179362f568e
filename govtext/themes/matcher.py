"""The theme matcher: every rule of a dictionary applied to a document, with its evidence.

A change here that alters any hit bumps ``MATCHER_VERSION`` in govtext/themes/rules.py
(it is part of every theme's hash, so the store re-matches).

Matching runs on the normalised view of the text (``govtext.normalize``) with one
Aho-Corasick automaton for all terms plus the rules' regexes; every candidate
occurrence is then checked against its rule's exclusions and context requirements,
and among the occurrences that count for the same theme overlapping ones are reduced
to the longest (共建共治共享 counts once for 共建, not also through a bare 共建 rule).
Spans in hits are offsets into the ORIGINAL text.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from govtext.documents import Document
from govtext.errors import ConfigError, DictionaryError, NotFittedError
from govtext.normalize import Normalized, normalize
from govtext.sentences import split_sentences
from govtext.themes.dictionary import load_dictionary
from govtext.themes.patterns import (
    Deadline,
    Pattern,
    PatternError,
    TimeLimitError,
    compile_pattern,
    regex_time_limit,
    required_literals,
    utf8_safe,
)
from govtext.themes.rules import Context, Rule, ThemeDictionary

# Characters that close a clause / a sentence in the normalised view (full-width
# punctuation other than the ideographic comma survives normalisation unchanged).
_CLAUSE_END = set("，,；;。！？!?：:\n")
_SENTENCE_END = set("。！？!?；;\n")
_CLAUSE_END_RE = re.compile("[" + re.escape("".join(sorted(_CLAUSE_END))) + "]")
_SENTENCE_END_RE = re.compile("[" + re.escape("".join(sorted(_SENTENCE_END))) + "]")
# A "sentence" longer than this (a flattened table, OCR without stops) is cut into
# windows for evidence, and contexts look no further than this either side of a hit.
MAX_SENTENCE_CHARS = 2000
# Where a window prefers to end: after a clause mark or a blank near its limit.
_SOFT_CUT = re.compile(r"[，,、：:\s]")

log = logging.getLogger("govtext.themes")


@dataclass(frozen=True)
class ThemeHit:
    """One counted occurrence of a theme: the evidence behind every number.

    ``start``/``end`` index the original ``Document.text``; ``sentence`` is the whole
    sentence (original text) and ``sentence_start`` its offset, so the match inside
    the sentence is ``sentence[start - sentence_start : end - sentence_start]``.
    """

    doc_id: str
    theme: str
    rule: str
    term: str
    start: int
    end: int
    sentence_index: int
    sentence: str
    sentence_start: int
    weight: float = 1.0
    paragraph_index: int = -1


@dataclass(frozen=True)
class Candidate:
    """An occurrence a rule found, and what became of it (for kwic and debugging).

    ``status`` is ``counted``, ``vetoed`` (an exclusion or a missing context; see
    ``reason``) or ``subsumed`` (a longer counted occurrence of the same theme covers it).
    """

    doc_id: str
    theme: str
    rule: str
    term: str
    start: int
    end: int
    sentence_index: int
    sentence: str
    sentence_start: int
    weight: float
    paragraph_index: int
    status: str
    reason: str = ""

    @property
    def counted(self) -> bool:
        return self.status == "counted"

    def hit(self) -> ThemeHit:
        """The ThemeHit this (counted) candidate stands for."""
        return ThemeHit(
            self.doc_id,
            self.theme,
            self.rule,
            self.term,
            self.start,
            self.end,
            self.sentence_index,
            self.sentence,
            self.sentence_start,
            self.weight,
            self.paragraph_index,
        )


@dataclass(frozen=True)
class _Compiled:
    rule: Rule
    regex: tuple[Pattern, ...]
    exclude_near: tuple[tuple[Context, tuple[Pattern, ...]], ...]
    require_near: tuple[tuple[Context, tuple[Pattern, ...]], ...]
    literals: tuple[re.Pattern[str], ...] = ()  # the same regexes in ``re``, for required_literals


def _compile(rx: str, rule: Rule) -> Pattern:
    try:
        return compile_pattern(rx)
    except PatternError as exc:  # a dictionary built by hand, not through load_dictionary
        raise DictionaryError(
            f"regular expression {rx!r} of rule '{rule.id}': {exc.reason}; fix: {exc.fix}",
            path=rule.source or None,
            line=rule.line or None,
        ) from None


class Matcher:
    """Find theme hits in documents with the rules of a ThemeDictionary.

    Parameters
    ----------
    dictionary : ThemeDictionary or None
        The rules; None loads the shipped default at ``fit``.
    themes : list of theme ids or None
        Restrict matching to these themes (None: all).
    segmenter : optional
        A ``govtext.segment.Segmenter`` for rules with ``boundary = "token"``; created
        on first need (jieba start-up is only paid when such a rule fires).
    regex_time_limit : float or None
        Seconds per document (None: ``GOVTEXT_REGEX_TIME_LIMIT`` or 1.0) for the regexes RE2 cannot run (look-around); a rule
        that uses them up loses its remaining matches in that document, with a
        warning naming it (the other rules' hits are kept).
    max_sentence_chars : int
        Longer sentences are cut into windows of at most this many characters for
        evidence; contexts (``exclude_near``…) look no further either side.

    >>> from govtext.documents import Document
    >>> m = Matcher().fit()
    >>> [h.theme for h in m.transform(Document("d", "推进居民自治。广西壮族自治区。"))]
    ['self_governance']
    """

    def __init__(
        self,
        dictionary: ThemeDictionary | None = None,
        *,
        themes: list[str] | None = None,
        segmenter: Any = None,
        regex_time_limit: float | None = None,
        max_sentence_chars: int = MAX_SENTENCE_CHARS,
    ) -> None:
        self.dictionary = dictionary
        self.themes = themes
        self.segmenter = segmenter
        self.regex_time_limit = regex_time_limit
        self.max_sentence_chars = max_sentence_chars

    def get_params(self) -> dict[str, Any]:
        return {"dictionary_hash": self.dictionary.hash if self.dictionary else None, "themes": self.themes}

    def fit(self, documents: Iterable[Document] | None = None) -> Matcher:
        """Compile the rules (the documents are not needed; accepted for the estimator contract)."""
        import ahocorasick

        limit = self.regex_time_limit if self.regex_time_limit is not None else regex_time_limit()
        if isinstance(limit, bool) or not isinstance(limit, int | float) or not limit > 0:
            raise ConfigError(
                f"The 'regex_time_limit' parameter of Matcher must be a number of seconds > 0. Got {limit!r} instead."
            )
        cap = self.max_sentence_chars
        if isinstance(cap, bool) or not isinstance(cap, int) or cap < 100:
            raise ConfigError(
                f"The 'max_sentence_chars' parameter of Matcher must be an integer ≥ 100. Got {cap!r} instead."
            )
        dictionary = self.dictionary or load_dictionary()
        wanted = set(self.themes) if self.themes else None
        unknown = sorted((wanted or set()) - set(dictionary.themes))
        if unknown:
            raise ConfigError(
                f"The 'themes' parameter of Matcher must name themes of the dictionary "
                f"({', '.join(dictionary.themes)}). Got {', '.join(map(repr, unknown))} instead."
            )
        compiled: list[_Compiled] = []
        automaton = ahocorasick.Automaton()
        payloads: dict[str, list[tuple[int, str]]] = {}
        # Regexes need not run on a text that lacks every string of one of their
        # required groups: anchors maps a string to the (rule, regex, group) it stands for.
        anchors: dict[str, list[tuple[int, int, int]]] = {}
        gates: dict[tuple[int, int], int] = {}
        for rule in dictionary.rules():
            themes = tuple(t for t in rule.themes if wanted is None or t in wanted)
            if not themes:
                continue
            if themes != rule.themes:
                rule = Rule(**{**rule.__dict__, "themes": themes})
            idx = len(compiled)
            views = [normalize(rx).text for rx in rule.regex]
            compiled.append(
                _Compiled(
                    rule=rule,
                    regex=tuple(_compile(rx, rule) for rx in views),
                    exclude_near=tuple(
                        (c, tuple(_compile(rx, rule) for rx in c.regex)) for c in rule.exclude_near
                    ),
                    require_near=tuple(
                        (c, tuple(_compile(rx, rule) for rx in c.regex)) for c in rule.require_near
                    ),
                    literals=tuple(re.compile(rx) for rx in views),
                )
            )
            for term in rule.terms:
                key = normalize(term).text
                payloads.setdefault(key, []).append((idx, term))
            for k, rx in enumerate(compiled[-1].literals):
                # a single character is in nearly every text: not worth a gate
                groups = [g for g in required_literals(rx) if min(map(len, g)) >= 2]
                if groups:
                    gates[(idx, k)] = len(groups)
                    for gi, group in enumerate(groups):
                        for lit in group:
                            anchors.setdefault(lit, []).append((idx, k, gi))
        for key in payloads.keys() | anchors.keys():
            automaton.add_word(key, (key, tuple(payloads.get(key, ())), tuple(anchors.get(key, ()))))
        if payloads or anchors:
            automaton.make_automaton()
        self.time_limit_ = float(limit)
        self.dictionary_ = dictionary
        self.rules_ = tuple(compiled)
        self.automaton_ = automaton if payloads or anchors else None
        self.gates_ = gates
        self.n_terms_ = len(payloads)
        return self

    def _check(self) -> None:
        if not hasattr(self, "rules_"):
            raise NotFittedError(
                "This Matcher is not fitted yet; call Matcher(dictionary=...).fit() before transform()."
            )

    # ------------------------------------------------------------------ public
    def transform(self, doc: Document, *, view: Normalized | None = None) -> list[ThemeHit]:
        """The counted hits of one document, in text order.

        ``view`` is ``normalize(doc.text)`` when the caller has it already.
        """
        return [c.hit() for c in self.explain(doc, view=view) if c.counted]

    def transform_many(self, docs: Iterable[Document]) -> Iterator[list[ThemeHit]]:
        """Hits per document, lazily (one list per document, in input order)."""
        for doc in docs:
            yield self.transform(doc)

    def explain(
        self, doc: Document, *, terms: Iterable[str] | None = None, view: Normalized | None = None
    ) -> list[Candidate]:
        """Every candidate occurrence with its status and the reason it was vetoed.

        ``terms`` adds literal strings to look for that no rule names (kwic of any
        word): their occurrences come back with theme ``""`` and status ``unruled``.
        """
        self._check()
        if view is None:
            view = normalize(doc.text)
        vt = view.text
        raw: list[tuple[int, int, int, str]] = []  # (view start, view end, compiled index, matched text)
        present: set[tuple[int, int, int]] = set()  # (rule, regex, group) whose literal occurs
        if self.automaton_ is not None and vt:
            for end, (key, entries, anchors) in self.automaton_.iter(vt):
                start = end - len(key) + 1
                for idx, _term in entries:
                    raw.append((start, end + 1, idx, key))
                present.update(anchors)
        open_gates: dict[tuple[int, int], int] = {}
        for idx, k, _ in present:
            open_gates[(idx, k)] = open_gates.get((idx, k), 0) + 1
        gates = self.gates_
        ctx = _DocContext(doc, view, self)
        for idx, comp in enumerate(self.rules_):
            for k, rx in enumerate(comp.regex):
                need = gates.get((idx, k))
                if need is not None and open_gates.get((idx, k), 0) < need:
                    continue
                try:
                    for ms, me, _ in rx.finditer(ctx.text_for(rx), ctx.deadline):
                        if me > ms:
                            raw.append((ms, me, idx, vt[ms:me]))
                except TimeLimitError:
                    ctx.time_limited(comp.rule, rx.source)
        extra: list[tuple[int, int, str]] = []
        for term in terms or ():
            key = normalize(term).text
            pos = vt.find(key) if key else -1
            while pos != -1:
                extra.append((pos, pos + len(key), key))
                pos = vt.find(key, pos + 1)
        out: list[Candidate] = []
        for s, e, idx, text in raw:
            comp = self.rules_[idx]
            reason = ctx.veto(comp, s, e)
            for theme in comp.rule.themes:
                out.append(
                    ctx.candidate(theme, comp.rule, text, s, e, "vetoed" if reason else "counted", reason)
                )
        out = _resolve_overlaps(out)
        for s, e, text in extra:
            out.append(ctx.candidate("", None, text, s, e, "unruled", ""))
        out.sort(key=lambda c: (c.start, -(c.end - c.start), c.theme, c.rule))
        return out


class _DocContext:
    """Per-document lookups: sentences, paragraphs, scopes and (lazily) token boundaries."""

    def __init__(self, doc: Document, view: Any, matcher: Matcher) -> None:
        self.doc = doc
        self.view = view
        self.vt: str = view.text
        self.matcher = matcher
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

    def text_for(self, rx: Pattern) -> str:
        """The view as ``rx``'s engine takes it (RE2: without lone surrogates)."""
        if rx.engine != "re2":
            return self.vt
        if self._safe is None:
            self._safe = utf8_safe(self.vt)
        return self._safe

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

    def quote(self, ss: int, se: int) -> str:
        """The text of [ss, se), one string per span however many hits quote it."""
        q = self._quotes.get((ss, se))
        if q is None:
            q = self._quotes[(ss, se)] = self.doc.text[ss:se]
        return q

    def candidate(
        self, theme: str, rule: Rule | None, text: str, s: int, e: int, status: str, reason: str
    ) -> Candidate:
        a, b = self.view.to_original(s, e)
        sentences = self.sentences
        si = bisect.bisect_right(self.sent_starts, a) - 1
        if si >= 0 and a < sentences[si][1]:
            ss, se = sentences[si]
        else:  # a match that starts on whitespace or punctuation outside any sentence
            si, ss, se = max(si, 0), a, b
            if sentences:
                ss, se = sentences[si]
        # A term broken across lines spans two "sentences": quote both so evidence holds the match.
        sj = bisect.bisect_left(self.sent_starts, b) - 1
        if sj > si and sj < len(sentences):
            se = max(se, sentences[sj][1])
        # A user's regex may take in the line break or space beside a sentence ("\r0"):
        # the evidence always holds the whole match.
        ss, se = min(ss, a), max(se, b)
        pi = bisect.bisect_right(self.par_starts, a) - 1
        return Candidate(
            doc_id=self.doc.doc_id,
            theme=theme,
            rule=rule.id if rule else "",
            term=text,
            start=a,
            end=b,
            sentence_index=si,
            sentence=self.quote(ss, se),
            sentence_start=ss,
            weight=rule.weight if rule else 0.0,
            paragraph_index=pi,
            status=status,
            reason=reason,
        )

    def scope(self, s: int, e: int, scope: str) -> tuple[int, int]:
        vt = self.vt
        if scope == "paragraph":
            lo = vt.rfind("\n", 0, s) + 1
            hi = vt.find("\n", e)
            return lo, len(vt) if hi == -1 else hi
        # the clause or sentence marks of the view, found in one pass per document:
        # walking to them from each hit is quadratic in a long unpunctuated text
        ends = self._ends.get(scope)
        if ends is None:
            rx = _CLAUSE_END_RE if scope == "clause" else _SENTENCE_END_RE
            ends = self._ends[scope] = [m.start() for m in rx.finditer(vt)]
        i = bisect.bisect_left(ends, s)
        lo = ends[i - 1] + 1 if i > 0 else 0
        j = bisect.bisect_left(ends, e)
        hi = ends[j] if j < len(ends) else len(vt)
        cap = self.matcher.max_sentence_chars
        return max(lo, s - cap), min(hi, e + cap)

    def near(self, ctx: Context, patterns: tuple[Pattern, ...], s: int, e: int, rule: Rule) -> str | None:
        """The context term found near [s, e), or None."""
        lo, hi = self.scope(s, e, ctx.scope)
        if ctx.window:
            lo, hi = max(lo, s - ctx.window), min(hi, e + ctx.window)
        if ctx.side == "before":
            hi = e
        elif ctx.side == "after":
            lo = s
        vt = self.vt
        for term in ctx.terms:
            # every occurrence of the term in the document, found once: searching each
            # hit's scope again is quadratic when a long sentence is full of hits
            occ = self._occurrences.get(term)
            if occ is None:
                occ = self._occurrences[term] = _positions(vt, term)
            n = len(term)
            for k in range(bisect.bisect_left(occ, lo), len(occ)):
                pos = occ[k]
                if pos + n > hi:
                    break
                # The occurrence itself does not count as its own context.
                if not (pos >= s and pos + n <= e):
                    return term
        if patterns:
            for rx in patterns:
                try:
                    found = rx.search(self.text_for(rx)[lo:hi], self.deadline)
                except TimeLimitError:
                    self.time_limited(rule, rx.source)
                    continue
                if found is not None:
                    return found
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

    def veto(self, comp: _Compiled, s: int, e: int) -> str:
        """Why the occurrence [s, e) of the view does not count ("" when it does)."""
        rule = comp.rule
        vt = self.vt
        for ex in rule.exclude_overlap:
            n = len(ex)
            if vt.find(ex, max(0, s - n + 1), e + n - 1) != -1:
                return f"exclude_overlap:{ex}"
        for c, pats in comp.exclude_near:
            found = self.near(c, pats, s, e, rule)
            if found is not None:
                return f"exclude_near:{c.id}({found})"
        for c, pats in comp.require_near:
            if self.near(c, pats, s, e, rule) is None:
                return f"require_near:{c.id}"
        if rule.boundary == "token" and not self.token_ok(s, e):
            return "boundary:token"
        return ""


def _resolve_overlaps(cands: list[Candidate]) -> list[Candidate]:
    """One mention, one hit: counted candidates of one theme that overlap or touch form a
    cluster, and only its longest member (the earliest on a tie) stays counted.

    Greedy longest-first selection is not enough: in 为基层减负赋能 it would keep 为基层减负
    and then 赋能 as well, because 赋能 overlaps only the discarded 减负赋能. Adjacent
    pieces (12345 + 政务服务便民热线) are one mention too.
    """
    by_theme: dict[str, list[int]] = {}
    for i, c in enumerate(cands):
        if c.status == "counted":
            by_theme.setdefault(c.theme, []).append(i)
    out = list(cands)
    for idxs in by_theme.values():
        idxs.sort(key=lambda i: (cands[i].start, -cands[i].end))
        clusters: list[list[int]] = []
        end = -1
        for i in idxs:
            if clusters and cands[i].start <= end:  # overlaps or touches the current cluster
                clusters[-1].append(i)
                end = max(end, cands[i].end)
            else:
                clusters.append([i])
                end = cands[i].end
        for cluster in clusters:
            best = min(cluster, key=lambda i: (-(cands[i].end - cands[i].start), cands[i].start))
            for i in cluster:
                if i != best:
                    c = cands[i]
                    out[i] = Candidate(
                        **{**c.__dict__, "status": "subsumed", "reason": f"subsumed_by:{cands[best].rule}"}
                    )
    # A vetoed short match inside a counted longer one (bare 共建 inside 共建共治共享) is
    # covered, not refused: say so, so kwic does not report a veto that changed nothing.
    # The counted candidates of a theme no longer overlap, so the one that starts last at
    # or before a vetoed candidate is the only one that can cover it (bisect, not a scan).
    counted: dict[str, tuple[list[int], list[Candidate]]] = {}
    for c in sorted((c for c in out if c.status == "counted"), key=lambda c: c.start):
        starts, kept = counted.setdefault(c.theme, ([], []))
        starts.append(c.start)
        kept.append(c)
    for i, c in enumerate(out):
        if c.status == "vetoed" and c.theme in counted:
            starts, kept = counted[c.theme]
            k = bisect.bisect_right(starts, c.start) - 1
            if k >= 0 and c.end <= kept[k].end:
                out[i] = Candidate(
                    **{**c.__dict__, "status": "subsumed", "reason": f"subsumed_by:{kept[k].rule}"}
                )
    return out


def _positions(text: str, term: str) -> list[int]:
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
