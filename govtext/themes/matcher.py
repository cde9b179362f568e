"""The theme matcher: every rule of a dictionary applied to a document, with its evidence.

Matching runs on the normalised view of the text (``govtext.normalize``) with one
Aho-Corasick automaton for all terms plus the rules' regexes; every candidate
occurrence is then checked against its rule's exclusions and context requirements,
and among the occurrences that count for the same theme overlapping ones are reduced
to the longest (共建共治共享 counts once for 共建, not also through a bare 共建 rule).
Spans in hits are offsets into the ORIGINAL text.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from govtext.documents import Document
from govtext.errors import ConfigError, NotFittedError
from govtext.normalize import Normalized, normalize
from govtext.sentences import split_sentences
from govtext.themes.dictionary import Context, Rule, ThemeDictionary, load_dictionary

# Part of every theme's hash in the store: bump it when a change here alters any hit.
MATCHER_VERSION = "matcher-2"

# Characters that close a clause / a sentence in the normalised view (full-width
# punctuation other than the ideographic comma survives normalisation unchanged).
_CLAUSE_END = set("，,；;。！？!?：:\n")
_SENTENCE_END = set("。！？!?；;\n")
_CLAUSE_RX = re.compile("[" + re.escape("".join(sorted(_CLAUSE_END))) + "]")
_SENTENCE_RX = re.compile("[" + re.escape("".join(sorted(_SENTENCE_END))) + "]")
_PARAGRAPH_RX = re.compile("\n")
# A "sentence" longer than this is a flattened table, an OCR page or a scraped block
# without punctuation: context rules and evidence then look at a window around the match
# (a quarter of it on each side), so matching stays linear in the text.
MAX_SENTENCE_CHARS = 2_000
_HALF_WINDOW = MAX_SENTENCE_CHARS // 4
# The evidence quoted for a hit in such a block: enough to read the match in context, small
# enough that a block of a hundred thousand hits does not copy itself into every one.
_EVIDENCE_SIDE = 120


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


def required_literals(pattern: re.Pattern[str]) -> list[tuple[str, ...]]:
    """Groups of strings such that every match of ``pattern`` contains one string of
    each group ([] when none is evident).

    Looks at the pattern's top-level sequence only (a branch or an optional part may
    be skipped by a match; a top-level item may not): runs of literal characters,
    groups of literal alternatives (?:街道|乡镇), small character classes, and
    repeats of these with a minimum of one. The matcher looks these up in its
    Aho-Corasick pass and runs the regex only on texts that contain one string of
    every group, which spares most regex scans (a regex starting with an alternation
    or a lookbehind gets no fast prefix search in ``re``).

    >>> required_literals(re.compile("(?:村|社区)[^，]{0,8}两委"))
    [('村', '社区'), ('两委',)]
    >>> required_literals(re.compile("(?<![0-9])12345(?![0-9])"))
    [('12345',)]
    >>> required_literals(re.compile("(?:a|b)?c*"))
    []
    """
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    if pattern.flags & re.IGNORECASE:
        return []
    try:
        items = list(_parser.parse(pattern.pattern, pattern.flags))
    except Exception:  # the pattern compiled, so this is a parser difference: no prefilter
        return []

    def literal_seq(seq: Any) -> str | None:
        out = []
        for op, av in seq:
            if op is not c.LITERAL:
                return None
            out.append(chr(av))
        return "".join(out) or None

    def alternatives(op: Any, av: Any) -> list[str] | None:
        if op is c.BRANCH:
            alts = [literal_seq(branch) for branch in av[1]]
            return None if any(a is None for a in alts) else [a for a in alts if a]
        if op is c.SUBPATTERN:
            if av[1] & re.IGNORECASE:  # (?i:…): the literals may match in another case
                return None
            sub = list(av[-1])
            if len(sub) == 1:
                return alternatives(*sub[0])
            seq = literal_seq(sub)
            return [seq] if seq else None
        if op is c.IN and all(o is c.LITERAL for o, _ in av) and len(av) <= 16:
            return [chr(v) for _, v in av]
        if op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
            inner = list(av[2])
            if len(inner) == 1:
                return alternatives(*inner[0])
            seq = literal_seq(inner)
            return [seq] if seq else None
        return None

    candidates: list[list[str]] = []
    run: list[str] = []
    for op, av in items:
        if op is c.LITERAL:
            run.append(chr(av))
            continue
        if run:
            candidates.append(["".join(run)])
            run = []
        alts = alternatives(op, av)
        if alts:
            candidates.append(alts)
    if run:
        candidates.append(["".join(run)])
    return [tuple(dict.fromkeys(alts)) for alts in candidates]


@dataclass(frozen=True)
class _Compiled:
    rule: Rule
    regex: tuple[re.Pattern[str], ...]
    exclude_near: tuple[tuple[Context, tuple[re.Pattern[str], ...]], ...]
    require_near: tuple[tuple[Context, tuple[re.Pattern[str], ...]], ...]


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
    ) -> None:
        self.dictionary = dictionary
        self.themes = themes
        self.segmenter = segmenter

    def get_params(self) -> dict[str, Any]:
        return {"dictionary_hash": self.dictionary.hash if self.dictionary else None, "themes": self.themes}

    def fit(self, documents: Iterable[Document] | None = None) -> Matcher:
        """Compile the rules (the documents are not needed; accepted for the estimator contract)."""
        import ahocorasick

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
            compiled.append(
                _Compiled(
                    rule=rule,
                    regex=tuple(re.compile(normalize(rx).text) for rx in rule.regex),
                    exclude_near=tuple(
                        (c, tuple(re.compile(rx) for rx in c.regex)) for c in rule.exclude_near
                    ),
                    require_near=tuple(
                        (c, tuple(re.compile(rx) for rx in c.regex)) for c in rule.require_near
                    ),
                )
            )
            for term in rule.terms:
                key = normalize(term).text
                payloads.setdefault(key, []).append((idx, term))
            for k, rx in enumerate(compiled[-1].regex):
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
        return [
            ThemeHit(
                c.doc_id,
                c.theme,
                c.rule,
                c.term,
                c.start,
                c.end,
                c.sentence_index,
                c.sentence,
                c.sentence_start,
                c.weight,
                c.paragraph_index,
            )
            for c in self.explain(doc, view=view)
            if c.status == "counted"
        ]

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
        for idx, comp in enumerate(self.rules_):
            for k, rx in enumerate(comp.regex):
                need = gates.get((idx, k))
                if need is not None and open_gates.get((idx, k), 0) < need:
                    continue
                for m in rx.finditer(vt):
                    if m.end() > m.start():
                        raw.append((m.start(), m.end(), idx, m.group(0)))
        extra: list[tuple[int, int, str]] = []
        for term in terms or ():
            key = normalize(term).text
            pos = vt.find(key) if key else -1
            while pos != -1:
                extra.append((pos, pos + len(key), key))
                pos = vt.find(key, pos + 1)
        ctx = _DocContext(doc, view, self)
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
        self._stops: dict[str, list[int]] = {}

    # Split on first need: most documents of a large corpus have no candidate at all.
    @property
    def sentences(self) -> list[tuple[int, int]]:
        if self._sentences is None:
            self._sentences = split_sentences(self.doc.text)
            self.sent_starts = [a for a, _ in self._sentences]
            self.par_starts = [a for a, _ in self.doc.paragraphs]
        return self._sentences

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
        if se - ss > MAX_SENTENCE_CHARS:  # no real sentence: the evidence is a window around the match
            ss, se = max(ss, a - _EVIDENCE_SIDE), min(se, max(b, a) + _EVIDENCE_SIDE)
        pi = bisect.bisect_right(self.par_starts, a) - 1
        return Candidate(
            doc_id=self.doc.doc_id,
            theme=theme,
            rule=rule.id if rule else "",
            term=text,
            start=a,
            end=b,
            sentence_index=si,
            sentence=self.doc.text[ss:se],
            sentence_start=ss,
            weight=rule.weight if rule else 0.0,
            paragraph_index=pi,
            status=status,
            reason=reason,
        )

    def scope(self, s: int, e: int, scope: str) -> tuple[int, int]:
        """The clause, sentence or paragraph of the view around [s, e), found by bisecting
        boundaries listed once per document (walking to the sentence's end for every hit
        made a text without punctuation quadratic). A scope longer than
        ``MAX_SENTENCE_CHARS`` is no real sentence (a flattened table, OCR): it is cut to a
        window around the match."""
        stops = self._stops.get(scope)
        if stops is None:
            pattern = (
                _PARAGRAPH_RX if scope == "paragraph" else _CLAUSE_RX if scope == "clause" else _SENTENCE_RX
            )
            stops = self._stops[scope] = [m.start() for m in pattern.finditer(self.vt)]
        i = bisect.bisect_left(stops, s)  # the first boundary at or after the match's start
        lo = stops[i - 1] + 1 if i > 0 else 0
        j = bisect.bisect_left(stops, e)
        hi = stops[j] if j < len(stops) else len(self.vt)
        if hi - lo > MAX_SENTENCE_CHARS:
            lo, hi = max(lo, s - _HALF_WINDOW), min(hi, e + _HALF_WINDOW)
        return lo, hi

    def near(self, ctx: Context, patterns: tuple[re.Pattern[str], ...], s: int, e: int) -> str | None:
        """The context term found near [s, e), or None."""
        lo, hi = self.scope(s, e, ctx.scope)
        if ctx.window:
            lo, hi = max(lo, s - ctx.window), min(hi, e + ctx.window)
        if ctx.side == "before":
            hi = e
        elif ctx.side == "after":
            lo = s
        window = self.vt[lo:hi]
        for term in ctx.terms:
            pos = window.find(term)
            while pos != -1:
                # The occurrence itself does not count as its own context.
                if not (lo + pos >= s and lo + pos + len(term) <= e):
                    return term
                pos = window.find(term, pos + 1)
        for rx in patterns:
            m = rx.search(window)
            if m:
                return m.group(0)
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
            found = self.near(c, pats, s, e)
            if found is not None:
                return f"exclude_near:{c.id}({found})"
        for c, pats in comp.require_near:
            if self.near(c, pats, s, e) is None:
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
    # A theme's counted hits are disjoint after the clustering above, so the one that can
    # cover a vetoed match is the last to start at or before it: found by bisection (a scan
    # of every counted hit per veto was quadratic on a page of thousands of look-alikes).
    counted: dict[str, tuple[list[int], list[Candidate]]] = {}
    for c in sorted((c for c in out if c.status == "counted"), key=lambda c: c.start):
        starts, items = counted.setdefault(c.theme, ([], []))
        starts.append(c.start)
        items.append(c)
    for i, c in enumerate(out):
        if c.status == "vetoed" and c.theme in counted:
            starts, items = counted[c.theme]
            j = bisect.bisect_right(starts, c.start) - 1
            cover = items[j] if j >= 0 and c.end <= items[j].end else None
            if cover is not None:
                out[i] = Candidate(
                    **{**c.__dict__, "status": "subsumed", "reason": f"subsumed_by:{cover.rule}"}
                )
    return out
