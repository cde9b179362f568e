"""User regular expressions that cannot run away.

A dictionary's regexes come from users, and Python's backtracking ``re`` takes
exponential time on patterns such as ``(a+)+$``. So each pattern is parsed with
Python's own parser (the syntax users write and the docs describe), translated to
RE2, which runs in time linear in the text, and run there. What RE2 cannot express:

* back-references ``\\1`` (no linear-time engine can run them): refused;
* repeat counts above ``MAX_REPEAT`` (RE2's own limit; ``a{4294967296}`` overflows
  Python's parser): refused;
* look-around, ``\\b``/``\\B``, a ``$`` that may sit before a final newline, atomic
  groups and possessive repeats: run by the ``regex`` module, which
  matches like ``re``, under a time budget per document (``PythonPattern``); such a
  pattern with nested repeats (``(?<!x)(a+)+``) is refused, as the budget would
  only cut it short on every long text.

``compile_pattern`` raises ``PatternError`` with the reason and a fix; the
dictionary loader turns that into an error with file and line.

>>> p = compile_pattern("(?:村|社区)[^，]{0,8}两委")
>>> p.engine, [m[2] for m in p.finditer("推进社区党委两委换届")]
('re2', ['社区党委两委'])
>>> compile_pattern(r"(a+)+\\Z").engine
're2'
>>> compile_pattern("(a+)+$")
Traceback (most recent call last):
...
govtext.themes.patterns.PatternError: a repeat inside a repeat, with $ (it also matches before a final newline) that only Python's backtracking engine runs, can take exponential time
>>> compile_pattern("(a)\\\\1")
Traceback (most recent call last):
...
govtext.themes.patterns.PatternError: back-reference \\1 needs backtracking, which can take exponential time
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from re import _constants as _c  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

MAX_REPEAT = 1000  # RE2 refuses larger counts; Python's own limit is 2**32 - 1
DEFAULT_TIME_LIMIT = 1.0  # seconds of look-around matching per document
_SURROGATE = re.compile("[\ud800-\udfff]")


def regex_time_limit() -> float:
    """The default budget: ``GOVTEXT_REGEX_TIME_LIMIT`` seconds, or 1.0."""
    raw = os.environ.get("GOVTEXT_REGEX_TIME_LIMIT", "")
    if not raw.strip():
        return DEFAULT_TIME_LIMIT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        from govtext.errors import ConfigError

        raise ConfigError(f"GOVTEXT_REGEX_TIME_LIMIT must be a number of seconds > 0, got {raw!r}")
    return value


class PatternError(ValueError):
    """A pattern that cannot be run safely; ``fix`` says what to write instead."""

    def __init__(self, reason: str, fix: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.fix = fix


class TimeLimitError(Exception):
    """A look-around pattern used up the document's time budget."""


@dataclass(frozen=True)
class Deadline:
    """The time a document's look-around matching must end by (``time.monotonic``)."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        left = self.at - time.monotonic()
        if left <= 0:
            raise TimeLimitError()
        return left


class _Python(Exception):
    """Raised inside the translation: the pattern needs the backtracking engine."""

    def __init__(self, construct: str) -> None:
        super().__init__(construct)
        self.construct = construct


@dataclass(frozen=True)
class RE2Pattern:
    """A pattern run by RE2: linear in the text, no time budget needed."""

    source: str
    translated: str
    compiled: Any
    engine: str = "re2"
    utf8: Any = None  # the same program for UTF-8 bytes (``spans``)

    def finditer(self, text: str, deadline: Deadline | None = None) -> Iterator[tuple[int, int, str]]:
        """(start, end, matched text) of every non-overlapping match, like ``re.finditer``.

        ``text`` must have passed ``utf8_safe`` (the matcher does it once per document).
        """
        for m in self.compiled.finditer(text):
            s, e = m.span()
            yield s, e, text[s:e]

    def spans(self, text: str, deadline: Deadline | None = None) -> list[tuple[int, int]]:
        """(start, end) of the matches ``finditer`` finds in a short ``text``, searched as
        UTF-8 bytes: the str wrapper's per-call offset bookkeeping costs more than RE2's
        search of the few dozen characters the matcher hands it.
        """
        if self.utf8 is None:
            return [(s, e) for s, e, _ in self.finditer(text)]
        data = text.encode()
        out = []
        for m in self.utf8.finditer(data):
            bs, be = m.span()
            s = len(data[:bs].decode())
            out.append((s, s + len(data[bs:be].decode())))
        return out

    def search(self, text: str, deadline: Deadline | None = None) -> str | None:
        m = self.compiled.search(text)
        return None if m is None else text[m.start() : m.end()]


@dataclass(frozen=True)
class PythonPattern:
    """A pattern RE2 cannot express (look-around …), run by ``regex`` under a deadline."""

    source: str
    construct: str
    compiled: Any
    engine: str = "python"

    def finditer(self, text: str, deadline: Deadline | None = None) -> Iterator[tuple[int, int, str]]:
        """Like ``RE2Pattern.finditer``; raises TimeLimitError past ``deadline``."""
        timeout = deadline.remaining() if deadline else None
        try:
            for m in self.compiled.finditer(text, timeout=timeout):
                yield m.start(), m.end(), m.group(0)
        except TimeoutError:
            raise TimeLimitError() from None

    def spans(self, text: str, deadline: Deadline | None = None) -> list[tuple[int, int]]:
        """(start, end) of the matches ``finditer`` finds."""
        return [(s, e) for s, e, _ in self.finditer(text, deadline)]

    def search(self, text: str, deadline: Deadline | None = None) -> str | None:
        timeout = deadline.remaining() if deadline else None
        try:
            m = self.compiled.search(text, timeout=timeout)
        except TimeoutError:
            raise TimeLimitError() from None
        return None if m is None else m.group(0)


Pattern = RE2Pattern | PythonPattern


def utf8_safe(text: str) -> str:
    """``text`` with lone surrogates (which UTF-8, and so RE2, cannot hold) as U+FFFD:
    the same length, so every offset found in it holds in ``text``.
    """
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub("\ufffd", text)


@lru_cache(maxsize=4096)
def compile_pattern(rx: str) -> Pattern:
    """The safe compiled form of ``rx`` (Python ``re`` syntax); PatternError if none.

    >>> compile_pattern("(?<![0-9])12345(?![0-9])").engine
    'python'
    """
    try:
        parsed = _parser.parse(rx, 0)
    except re.error as exc:
        raise PatternError(
            f"not valid Python re syntax: {exc}",
            "fix the pattern (Python re syntax; escape literal brackets)",
        ) from None
    except OverflowError:
        raise PatternError(
            f"a repeat count is too large (RE2 allows at most {MAX_REPEAT})",
            f"use a count up to {MAX_REPEAT}, or + / * for any number",
        ) from None
    except (RecursionError, MemoryError):
        raise PatternError(
            "the pattern is nested too deeply to parse", "write it with fewer nested groups"
        ) from None
    flags = parsed.state.flags
    if parsed.getwidth()[0] == 0:
        raise PatternError("the pattern can match the empty string", "make it require at least one character")
    try:
        body = _emit(parsed.data, flags)
    except _Python as need:
        _refuse_nested_repeats(parsed.data, need.construct)
        import regex

        try:
            compiled = regex.compile(rx, regex.VERSION0)
        except (regex.error, OverflowError, RecursionError, MemoryError) as exc:
            raise PatternError(f"the pattern does not compile: {exc}", "simplify it") from None
        return PythonPattern(rx, need.construct, compiled)
    import re2

    options = re2.Options()
    options.log_errors = False  # the reason comes back in the exception
    try:
        compiled = re2.compile(body, options)
        utf8 = re2.compile(body.encode(), options)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise PatternError(f"RE2 cannot run the pattern: {reason}", "simplify it") from None
    return RE2Pattern(rx, body, compiled, utf8=utf8)


def _refuse_nested_repeats(data: Any, construct: str) -> None:
    """A backtracking engine is exponential on a repeat inside an unbounded repeat."""

    def walk(items: Any, inside: bool) -> None:
        for op, av in items:
            if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
                lo, hi, item = av
                if lo > MAX_REPEAT or (hi != _c.MAXREPEAT and hi > MAX_REPEAT):
                    raise PatternError(
                        f"a repeat count is above the limit of {MAX_REPEAT}",
                        f"use a count up to {MAX_REPEAT}, or + / * for any number",
                    )
                if inside and hi > 1:
                    raise PatternError(
                        f"a repeat inside a repeat, with {construct} that only Python's backtracking "
                        "engine runs, can take exponential time",
                        (
                            "write \\Z for the end of the text instead of $"
                            if construct.startswith("$")
                            else f"drop the {construct} or the outer repeat (RE2 then runs it in linear time)"
                        ),
                    )
                walk(item, inside or hi > 1)
            elif op is _c.BRANCH:
                for branch in av[1]:
                    walk(branch, inside)
            elif op is _c.SUBPATTERN:
                walk(av[-1], inside)
            elif op in (_c.ASSERT, _c.ASSERT_NOT):
                walk(av[1], inside)
            elif op is _c.ATOMIC_GROUP:
                walk(av, inside)
            elif op is _c.GROUPREF_EXISTS:
                walk(av[1], inside)
                if av[2] is not None:
                    walk(av[2], inside)

    walk(data, False)


# ---------------------------------------------------------------- translation to RE2
def _lit(cp: int) -> str:
    ch = chr(cp)
    if ch.isascii() and not ch.isalnum():
        return f"\\x{{{cp:x}}}"
    if 0xD800 <= cp <= 0xDFFF or not ch.isprintable():
        return f"\\x{{{cp:x}}}"
    return ch


@lru_cache(maxsize=8)
def _ranges(kind: str) -> str:
    """Python's Unicode \\w or \\s as RE2 class ranges (exact: taken from str methods)."""
    test = {"word": lambda ch: ch.isalnum() or ch == "_", "space": str.isspace}[kind]
    out: list[str] = []
    start = None
    for cp in range(0x110001):
        inside = cp <= 0x10FFFF and not (0xD800 <= cp <= 0xDFFF) and test(chr(cp))
        if inside and start is None:
            start = cp
        elif not inside and start is not None:
            out.append(f"\\x{{{start:x}}}-\\x{{{cp - 1:x}}}")
            start = None
    return "".join(out)


def _category(cat: Any, flags: int, in_class: bool) -> str:
    ascii_ = bool(flags & re.ASCII)
    table = {
        _c.CATEGORY_DIGIT: ("[0-9]", r"\p{Nd}", False),
        _c.CATEGORY_NOT_DIGIT: ("[^0-9]", r"\P{Nd}", True),
        _c.CATEGORY_SPACE: (r"[\t\n\x0b\f\r ]", None, False),
        _c.CATEGORY_NOT_SPACE: (r"[^\t\n\x0b\f\r ]", None, True),
        _c.CATEGORY_WORD: ("[0-9A-Za-z_]", None, False),
        _c.CATEGORY_NOT_WORD: ("[^0-9A-Za-z_]", None, True),
    }
    if cat not in table:
        raise _Python(f"\\{cat}")
    ascii_form, unicode_form, negated = table[cat]
    if ascii_:
        form = ascii_form
    elif unicode_form is not None:
        form = unicode_form
    else:
        kind = "space" if cat in (_c.CATEGORY_SPACE, _c.CATEGORY_NOT_SPACE) else "word"
        form = ("[^" if negated else "[") + _ranges(kind) + "]"
    if in_class:
        if negated:
            # a negated class inside a class cannot be spliced; let Python's engine run it
            raise _Python("a negated \\D, \\S or \\W inside a character class")
        return form[1:-1] if form.startswith("[") else form
    return form


def _emit(items: Any, flags: int) -> str:
    return "".join(_emit_one(op, av, flags) for op, av in items)


def _emit_one(op: Any, av: Any, flags: int) -> str:
    if op is _c.LITERAL:
        return _cased(_lit(av), flags)
    if op is _c.NOT_LITERAL:
        return _cased(f"[^{_lit(av)}]", flags)
    if op is _c.ANY:
        return "(?s:.)" if flags & re.DOTALL else "(?-s:.)"
    if op is _c.IN:
        negate = ""
        parts = []
        for iop, iav in av:
            if iop is _c.NEGATE:
                negate = "^"
            elif iop is _c.LITERAL:
                parts.append(_lit(iav))
            elif iop is _c.RANGE:
                parts.append(f"{_lit(iav[0])}-{_lit(iav[1])}")
            elif iop is _c.CATEGORY:
                parts.append(_category(iav, flags, True))
            else:
                raise _Python(str(iop))
        if not parts:
            raise _Python("an empty character class")
        return _cased(f"[{negate}{''.join(parts)}]", flags)
    if op is _c.BRANCH:
        return "(?:" + "|".join(_emit(b, flags) for b in av[1]) + ")"
    if op is _c.SUBPATTERN:
        group, add, dele, sub = av
        inner = _emit(sub, (flags | add) & ~dele)
        return f"({inner})" if group is not None else f"(?:{inner})"
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
        lo, hi, item = av
        if lo > MAX_REPEAT or (hi != _c.MAXREPEAT and hi > MAX_REPEAT):
            raise PatternError(
                f"a repeat count of {max(lo, 0 if hi == _c.MAXREPEAT else hi)} is above RE2's limit of {MAX_REPEAT}",
                f"use a count up to {MAX_REPEAT}, or + / * for any number",
            )
        inner = _emit(item, flags)
        quant = f"{{{lo},}}" if hi == _c.MAXREPEAT else (f"{{{lo}}}" if lo == hi else f"{{{lo},{hi}}}")
        return f"(?:{inner}){quant}" + ("?" if op is _c.MIN_REPEAT else "")
    if op is _c.AT:
        if av is _c.AT_BEGINNING:
            return "(?m:^)" if flags & re.MULTILINE else r"\A"
        if av is _c.AT_BEGINNING_STRING:
            return r"\A"
        if av is _c.AT_END_STRING:
            return r"\z"
        if av is _c.AT_END and flags & re.MULTILINE:
            return "(?m:$)"
        if av is _c.AT_END:
            raise _Python("$ (it also matches before a final newline)")
        raise _Python(r"\b or \B")
    if op is _c.CATEGORY:
        return _cased(_category(av, flags, False), flags)
    if op in (_c.GROUPREF, _c.GROUPREF_EXISTS):
        ref = av if op is _c.GROUPREF else av[0]
        raise PatternError(
            f"back-reference \\{ref} needs backtracking, which can take exponential time",
            "repeat the group's text instead of referring back to it",
        )
    if op in (_c.ASSERT, _c.ASSERT_NOT):
        raise _Python("look-around")
    if op is _c.ATOMIC_GROUP:
        raise _Python("an atomic group (?>")
    if op is _c.POSSESSIVE_REPEAT:
        raise _Python("a possessive repeat")
    raise _Python(str(op))


def _cased(text: str, flags: int) -> str:
    return f"(?i:{text})" if flags & re.IGNORECASE else text


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
    if pattern.flags & re.IGNORECASE:
        return []
    try:
        items = list(_parser.parse(pattern.pattern, pattern.flags))
    except Exception:  # the pattern compiled, so this is a parser difference: no prefilter
        return []

    return _sequence_groups(items)


def required_one_of(pattern: re.Pattern[str]) -> tuple[str, ...]:
    """For a pattern that is an alternation at its top level (where ``required_literals``
    finds nothing): strings one of which every match contains, each branch giving its
    required group of fewest strings (of two or more characters: a single character is
    in nearly every text); () when a branch has none.

    >>> required_one_of(re.compile("(?:提高|讲求)效率|效率(?:低下|不高)|办事效能"))
    ('效率', '办事效能')
    >>> required_one_of(re.compile("[^，]{2}议|事"))
    ()
    """
    if pattern.flags & re.IGNORECASE:
        return ()
    try:
        items = list(_parser.parse(pattern.pattern, pattern.flags))
    except Exception:  # the pattern compiled, so this is a parser difference: no prefilter
        return ()
    if len(items) != 1 or items[0][0] is not _c.BRANCH:
        return ()
    out: list[str] = []
    for branch in items[0][1][1]:
        groups = [g for g in _sequence_groups(list(branch)) if min(map(len, g)) >= 2]
        if not groups:
            return ()
        fewest: tuple[str, ...] = min(groups, key=len)
        out.extend(fewest)
    return tuple(dict.fromkeys(out))


def _literal_seq(seq: Any) -> str | None:
    out = []
    for op, av in seq:
        if op is not _c.LITERAL:
            return None
        out.append(chr(av))
    return "".join(out) or None


def _alternatives(op: Any, av: Any) -> list[str] | None:
    """The strings one of which the item ``(op, av)`` always matches (None if not evident)."""
    if op is _c.BRANCH:
        alts = [_literal_seq(branch) for branch in av[1]]
        return None if any(a is None for a in alts) else [a for a in alts if a]
    if op is _c.SUBPATTERN:
        if av[1] & re.IGNORECASE:  # (?i:…): the literals may match in another case
            return None
        sub = list(av[-1])
        if len(sub) == 1:
            return _alternatives(*sub[0])
        seq = _literal_seq(sub)
        return [seq] if seq else None
    if op is _c.IN and all(o is _c.LITERAL for o, _ in av) and len(av) <= 16:
        return [chr(v) for _, v in av]
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and av[0] >= 1:
        inner = list(av[2])
        if len(inner) == 1:
            return _alternatives(*inner[0])
        seq = _literal_seq(inner)
        return [seq] if seq else None
    return None


def _sequence_groups(items: list[Any]) -> list[tuple[str, ...]]:
    """``required_literals`` of the parsed sequence ``items``."""
    candidates: list[list[str]] = []
    run: list[str] = []
    for op, av in items:
        if op is _c.LITERAL:
            run.append(chr(av))
            continue
        if run:
            candidates.append(["".join(run)])
            run = []
        alts = _alternatives(op, av)
        if alts:
            candidates.append(alts)
    if run:
        candidates.append(["".join(run)])
    return [tuple(dict.fromkeys(alts)) for alts in candidates]


# Anything whose match depends on text outside the match itself.
_CONTEXT_OPS = frozenset((_c.AT, _c.ASSERT, _c.ASSERT_NOT, _c.GROUPREF, _c.GROUPREF_EXISTS))


def window_width(pattern: re.Pattern[str], limit: int = 1000) -> int | None:
    """The longest match ``pattern`` can have, when it is at most ``limit`` characters
    and no part of the pattern looks outside its own match (no ``^ $ \\A \\Z \\b``, no
    look-around, no back-reference); None otherwise.

    Such a pattern finds the same matches in a slice of the text that holds them as in
    the whole text: the matcher searches only around the strings a match must contain.

    >>> window_width(re.compile("吹哨[^，]{0,6}报到")), window_width(re.compile("a+"))
    (10, None)
    >>> window_width(re.compile("(?<![0-9])12345")) is None
    True
    """
    try:
        parsed = _parser.parse(pattern.pattern, pattern.flags)
    except Exception:  # the pattern compiled, so this is a parser difference: no windows
        return None

    def looks_outside(items: Any) -> bool:
        for op, av in items:
            if op in _CONTEXT_OPS:
                return True
            if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT) and looks_outside(av[2]):
                return True
            if op is _c.BRANCH and any(looks_outside(b) for b in av[1]):
                return True
            if op is _c.SUBPATTERN and looks_outside(av[-1]):
                return True
            if op is _c.ATOMIC_GROUP and looks_outside(av):
                return True
        return False

    width = parsed.getwidth()[1]
    if width > limit or looks_outside(parsed.data):
        return None
    return int(width)
