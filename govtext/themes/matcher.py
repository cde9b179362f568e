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

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, NamedTuple

from govtext.documents import Document
from govtext.errors import ConfigError, DictionaryError, NotFittedError
from govtext.normalize import Normalized, normalize
from govtext.themes.conditions import DocContext, RuleChecks, any_of, evidence_windows, positions
from govtext.themes.dictionary import load_dictionary
from govtext.themes.overlaps import covered, covers, resolve_overlaps
from govtext.themes.patterns import (
    Pattern,
    PatternError,
    TimeLimitError,
    compile_pattern,
    regex_time_limit,
    required_literals,
    required_one_of,
    utf8_safe,
    window_width,
)
from govtext.themes.rules import Rule, ThemeDictionary

__all__ = ["MAX_SENTENCE_CHARS", "Candidate", "Matcher", "ThemeHit", "evidence_windows"]

# A "sentence" longer than this (a flattened table, OCR without stops) is cut into
# windows for evidence, and contexts look no further than this either side of a hit.
MAX_SENTENCE_CHARS = 2000


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


# A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``: for
# a hit that is 1.3 µs, half of what the matcher spends on it. ``_hit`` and
# ``_candidate`` fill the instance's ``__dict__`` at once (equal objects in every way;
# tests/test_themes_matcher.py holds them to the constructors and their fields).
_new = object.__new__


def _hit(
    d: str, theme: str, rule: str, term: str, start: int, end: int, si: int, sentence: str, ss: int,
    weight: float, pi: int,
) -> ThemeHit:  # fmt: skip
    """``ThemeHit`` with all eleven fields given, in their order."""
    hit = _new(ThemeHit)
    hit.__dict__.update(
        doc_id=d, theme=theme, rule=rule, term=term, start=start, end=end, sentence_index=si,
        sentence=sentence, sentence_start=ss, weight=weight, paragraph_index=pi,
    )  # fmt: skip
    return hit


def _candidate(
    d: str, theme: str, rule: str, term: str, start: int, end: int, si: int, sentence: str, ss: int,
    weight: float, pi: int, status: str, reason: str,
) -> Candidate:  # fmt: skip
    """``Candidate`` with all thirteen fields given, in their order."""
    cand = _new(Candidate)
    cand.__dict__.update(
        doc_id=d, theme=theme, rule=rule, term=term, start=start, end=end, sentence_index=si,
        sentence=sentence, sentence_start=ss, weight=weight, paragraph_index=pi, status=status,
        reason=reason,
    )  # fmt: skip
    return cand


def _compile(rx: str, rule: Rule) -> Pattern:
    try:
        return compile_pattern(rx)
    except PatternError as exc:  # a dictionary built by hand, not through load_dictionary
        raise DictionaryError(
            f"regular expression {rx!r} of rule '{rule.id}': {exc.reason}; fix: {exc.fix}",
            path=rule.source or None,
            line=rule.line or None,
        ) from None


class _Scanner:
    """Every term and required string in one ahocorasick-rs automaton: each occurrence,
    overlapping ones included, as (string index, start, end) from one call. Rebuilt from
    its strings when unpickled (the Rust object does not pickle; fitted Matchers go to
    worker processes)."""

    def __init__(self, strings: tuple[str, ...]) -> None:
        import ahocorasick_rs

        self.strings = strings
        self._automaton = ahocorasick_rs.AhoCorasick(
            list(strings), matchkind=ahocorasick_rs.MatchKind.Standard
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_Scanner, (self.strings,))

    def matches(self, text: str) -> list[tuple[int, int, int]]:
        """``text`` must hold no lone surrogate (UTF-8 cannot): pass ``utf8_safe(text)``."""
        return self._automaton.find_matches_as_indexes(text, overlapping=True)


def _compile_rule(rule: Rule) -> RuleChecks:
    """A rule with its regexes (on the normalised view, as the text is matched) compiled."""
    views = [normalize(rx).text for rx in rule.regex]
    return RuleChecks.build(
        rule,
        regex=tuple(_compile(rx, rule) for rx in views),
        literals=tuple(re.compile(rx) for rx in views),
        exclude_near=tuple((c, tuple(_compile(rx, rule) for rx in c.regex)) for c in rule.exclude_near),
        require_near=tuple((c, tuple(_compile(rx, rule) for rx in c.regex)) for c in rule.require_near),
    )


class _Regex(NamedTuple):
    """A rule's regex as the matcher runs it: ``groups`` are the strings its matches
    must contain (one of each group; those of two or more characters, found by the
    Aho-Corasick pass); for each group, ``others`` holds the alternations of the other
    required strings; ``width`` is the longest match when it can be searched in windows
    (``patterns.window_width``)."""

    rule: int  # index in Matcher.rules_
    pattern: Pattern
    width: int | None
    groups: tuple[tuple[str, ...], ...]
    others: tuple[tuple[Any, ...], ...]


def _count(found: dict[str, list[int]], group: tuple[str, ...]) -> int:
    """How many occurrences of the strings of ``group`` ``found`` holds."""
    n = 0
    for s in group:
        if s in found:
            n += len(found[s])
    return n


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
        compiled: list[RuleChecks] = []
        payloads: dict[str, list[int]] = {}
        # Regexes need not run on a text that lacks every string of one of their
        # required groups, nor anywhere but around those strings (``_regex_matches``).
        anchors: set[str] = set()
        regexes: list[_Regex] = []
        for rule in dictionary.rules():
            themes = tuple(t for t in rule.themes if wanted is None or t in wanted)
            if not themes:
                continue
            if themes != rule.themes:
                rule = Rule(**{**rule.__dict__, "themes": themes})
            idx = len(compiled)
            compiled.append(_compile_rule(rule))
            for term in rule.terms:
                payloads.setdefault(normalize(term).text, []).append(idx)
            for k, rx in enumerate(compiled[-1].literals):
                # a top-level alternation requires one string of its branches' groups
                required = required_literals(rx) or [g for g in [required_one_of(rx)] if g]
                # a single character is in nearly every text: not worth a gate
                groups = tuple(g for g in required if min(map(len, g)) >= 2)
                anchors.update(lit for g in groups for lit in g)
                pattern = compiled[-1].regex[k]
                width = window_width(rx) if pattern.engine == "re2" else None
                # for each group that may be the rarest in a text: the others' alternations
                others = tuple(tuple(any_of(h) for h in required if h != g) for g in groups)
                regexes.append(_Regex(idx, pattern, width, groups, others))
        self._index_gates(regexes)
        keys = [
            (key, tuple(payloads.get(key, ())), key in anchors)
            for key in sorted(payloads.keys() | anchors)
            if key
        ]
        # ahocorasick_rs takes UTF-8: a string with a lone surrogate, or with the U+FFFD
        # that stands for one in the scanned text, is looked for with str.find instead.
        scanned = [k for k in keys if "\ufffd" not in k[0] and utf8_safe(k[0]) == k[0]]
        self.scanner_ = _Scanner(tuple(k for k, _, _ in scanned)) if scanned else None
        self.keys_ = tuple(scanned)
        self.unscanned_ = tuple(k for k in keys if "\ufffd" in k[0] or utf8_safe(k[0]) != k[0])
        self.time_limit_ = float(limit)
        self.dictionary_ = dictionary
        self.rules_ = tuple(compiled)
        self.covers_ = covers(self.rules_, payloads)
        self.regexes_ = tuple(regexes)
        self.n_terms_ = len(payloads)
        return self

    def _index_gates(self, regexes: list[_Regex]) -> None:
        """``gates_``: for each string, the regexes (numbers in ``regexes_``) that need it
        or another string of the same group, one group per regex (the one of fewest
        strings); ``always_``: the regexes without a gate. A text's strings then name the
        few regexes worth a look, where asking each of a hundred regexes costs more."""
        gates: dict[str, list[int]] = {}
        for j, r in enumerate(regexes):
            if r.groups:
                for lit in min(r.groups, key=len):
                    gates.setdefault(lit, []).append(j)
        self.gates_ = {lit: tuple(js) for lit, js in gates.items()}
        self.always_ = tuple(j for j, r in enumerate(regexes) if not r.groups)

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
        ctx, rows = self._verdicts(doc, view, everything=False)
        rows = [r for r in rows if r[5] == "counted"]
        rows.sort(key=_TEXT_ORDER)
        doc_id = doc.doc_id
        return [
            _hit(doc_id, r[2], r[8], r[4], r[0], r[1], si, sentence, ss, r[3].weight, pi)
            for r, (si, sentence, ss, pi) in zip(rows, ctx.locate(rows), strict=True)
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
        ctx, rows = self._verdicts(doc, view, everything=True)
        vt = ctx.vt
        for term in terms or ():
            key = normalize(term).text
            pos = vt.find(key) if key else -1
            while pos != -1:
                a, b = ctx.view.to_original(pos, pos + len(key))
                rows.append([a, b, "", None, key, "unruled", "", a - b, ""])
                pos = vt.find(key, pos + 1)
        rows.sort(key=_TEXT_ORDER)
        out = []
        doc_id = doc.doc_id
        for r, (si, sentence, ss, pi) in zip(rows, ctx.locate(rows), strict=True):
            a, b, theme, rule, text, status, reason = r[:7]
            weight = rule.weight if rule is not None else 0.0
            out.append(
                _candidate(doc_id, theme, r[8], text, a, b, si, sentence, ss, weight, pi, status, reason)
            )
        return out

    # ---------------------------------------------------------------- internal
    def _verdicts(
        self, doc: Document, view: Normalized | None, *, everything: bool
    ) -> tuple[DocContext, list[Any]]:
        """Every occurrence as ``[start, end, theme, rule, text, status, reason, start - end,
        rule id]`` (original offsets), overlaps resolved, in the order found; the vetoed
        ones only when ``everything`` (a hit never depends on them), and without it no
        occurrence of a rule with conditions inside a longer term of the same theme that
        counts (``overlaps.covers``)."""
        self._check()
        if view is None:
            view = normalize(doc.text)
        ctx = DocContext(doc, view, self)
        rules = self.rules_
        to_original = view.to_original
        vt = view.text
        rows: list[Any] = []
        held = self.covers_ if not everything else {}
        for s, e, idx, text in self._occurrences(ctx):
            checks = rules[idx]
            rule = checks.rule
            if not checks.conditional:
                reason = ""
            elif (idx, text) in held and covered(vt, held[(idx, text)], s):
                continue  # inside a longer occurrence that counts: subsumed whatever its verdict
            else:
                reason = ctx.veto(checks, s, e)
                if reason and not everything:
                    continue
            a, b = to_original(s, e)
            status = "vetoed" if reason else "counted"
            for theme in rule.themes:
                rows.append([a, b, theme, rule, text, status, reason, a - b, rule.id])
        resolve_overlaps(rows, vetoed=everything)
        return ctx, rows

    def _occurrences(self, ctx: DocContext) -> list[tuple[int, int, int, str]]:
        """(view start, view end, rule index, matched text) of every match of every rule:
        the terms' in the Aho-Corasick pass, then each regex's in rule order."""
        vt = ctx.vt
        raw: list[tuple[int, int, int, str]] = []
        found: dict[str, list[int]] = {}  # where each string a regex requires starts
        if vt:
            keys = self.keys_
            found_keys = self.scanner_.matches(ctx.safe) if self.scanner_ is not None else []
            for i, start, end in found_keys:
                key, entries, anchor = keys[i]
                for idx in entries:
                    raw.append((start, end, idx, key))
                if anchor:
                    if key in found:
                        found[key].append(start)
                    else:
                        found[key] = [start]
            for key, entries, anchor in self.unscanned_:
                for start in positions(vt, key):
                    raw.extend((start, start + len(key), idx, key) for idx in entries)
                    if anchor:
                        found.setdefault(key, []).append(start)
        self._regex_matches(ctx, found, raw)
        return raw

    def _regex_matches(self, ctx: DocContext, found: dict[str, list[int]], raw: list[Any]) -> None:
        """Append each regex's matches to ``raw``, in rule order. ``found``: where each
        string that a regex requires starts in the view."""
        vt = ctx.vt
        present = found.keys()
        gates = self.gates_
        todo = set(self.always_)
        for lit in present:
            if lit in gates:
                todo.update(gates[lit])
        windows = ctx.safe is vt  # RE2 sees the view itself: no lone surrogate replaced
        regexes = self.regexes_
        for j in sorted(todo):
            idx, rx, width, groups, others = regexes[j]
            rarest, fewest = 0, -1
            for i, group in enumerate(groups):
                if present.isdisjoint(group):
                    break  # a string every match contains is not in the text
                if width is not None:  # the group found least often (the first on a tie)
                    n = _count(found, group)
                    if fewest < 0 or n < fewest:
                        rarest, fewest = i, n
            else:
                if not groups or width is None or not windows:
                    self._scan_whole(ctx, idx, rx, raw)
                    continue
                spans = [(p, p + len(s)) for s in groups[rarest] if s in found for p in found[s]]
                for lo, hi in _regions(spans, others[rarest], width, vt):
                    for ms, me in rx.spans(vt[lo:hi]):
                        if me > ms:
                            raw.append((lo + ms, lo + me, idx, vt[lo + ms : lo + me]))

    def _scan_whole(self, ctx: DocContext, idx: int, rx: Pattern, raw: list[Any]) -> None:
        """Append the matches of ``rx`` (of rule ``idx``) in the whole view to ``raw``."""
        vt = ctx.vt
        try:
            for ms, me, _ in rx.finditer(ctx.text_for(rx), ctx.deadline):
                if me > ms:
                    raw.append((ms, me, idx, vt[ms:me]))
        except TimeLimitError:
            ctx.time_limited(self.rules_[idx].rule, rx.source)


# Hits in text order, the longest first where they start together: (start, start - end,
# theme, rule id) of a row (see ``Matcher._verdicts``), in a stable sort.
_TEXT_ORDER = itemgetter(0, 7, 2, 8)


def _regions(
    spans: list[tuple[int, int]], others: tuple[Any, ...], width: int, vt: str
) -> list[tuple[int, int]]:
    """Where in the view ``vt`` a regex can match: it has no look-around or anchor, its
    matches are at most ``width`` long (patterns.window_width), and each contains one
    of the strings found at ``spans`` and a match of each of ``others``
    (alternations of the other strings it requires).

    Every match lies within ``width`` of the occurrence it contains, so in the window
    around it; windows that overlap or touch are merged into one stretch, and a stretch
    without each of ``others`` is dropped. Any match that reaches into a stretch (any
    match at all, not only those a whole-text search reports) then lies inside it,
    so searched one by one, the stretches give exactly the matches of the whole view.
    """
    n = len(vt)
    windows = [(q - width if q > width else 0, p + width if p + width < n else n) for p, q in spans]
    windows.sort()
    out: list[tuple[int, int]] = []
    lo, hi = windows[0]
    for a, b in windows:
        if a <= hi:
            if b > hi:
                hi = b
            continue
        if _holds(others, vt, lo, hi):
            out.append((lo, hi))
        lo, hi = a, b
    if _holds(others, vt, lo, hi):
        out.append((lo, hi))
    return out


def _holds(alternations: tuple[Any, ...], vt: str, lo: int, hi: int) -> bool:
    """Whether ``vt[lo:hi]`` holds a match of each of ``alternations``."""
    for alt in alternations:
        if alt.search(vt, lo, hi) is None:
            return False
    return True
