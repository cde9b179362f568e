"""The checks of one dictionary file's tables, each turned into its frozen object.

Every check puts what it finds on a :class:`Reporter` (line, what is wrong, the fix)
and goes on, so one run of ``govtext dict validate`` lists every problem of a file.
:mod:`govtext.themes.dictionary` walks the files and merges their entries.
"""

from __future__ import annotations

import difflib
import reprlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from govtext.themes.patterns import PatternError, compile_pattern
from govtext.themes.rules import BOUNDARIES, SCOPES, SIDES, Context, Rule
from govtext.themes.source import SourceMap

TOP_KEYS = {"version", "name", "description", "framework", "theme", "expression"}
FRAMEWORK_KEYS = {"id", "name", "name_en", "description", "themes", "disabled"}
THEME_KEYS = {
    "id",
    "name",
    "name_en",
    "description",
    "framework",
    "terms",
    "regex",
    "weight",
    "rule",
    "disabled",
}
RULE_KEYS = {
    "id",
    "terms",
    "regex",
    "weight",
    "boundary",
    "exclude_overlap",
    "exclude_near",
    "require_near",
    "note",
    "disabled",
}
EXPRESSION_KEYS = RULE_KEYS | {"themes"}
CONTEXT_KEYS = {"id", "terms", "regex", "window", "scope", "side"}


def short(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters: a message stays one short line."""
    try:
        text = reprlib.repr(value)
    except (RecursionError, MemoryError):
        text = f"<a {type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- issues
@dataclass
class Issue:
    """One problem found in a dictionary file: an error (unusable) or a warning."""

    level: Literal["error", "warning"]
    path: str
    line: int
    message: str
    fix: str = ""

    def __str__(self) -> str:
        fix = f" Fix: {self.fix}" if self.fix else ""
        return f"{self.path}:{self.line}: {self.level}: {self.message}{fix}"


# --------------------------------------------------------------------------- checking
@dataclass
class Reporter:
    """Where the checks of one file put what they find: each says the line, what is wrong
    and the fix; the reporter adds the file and keeps the issues in order."""

    issues: list[Issue]
    path: str
    src: SourceMap

    def error(self, line: int, message: str, fix: str = "", *, path: str | None = None) -> None:
        self.issues.append(Issue("error", self.path if path is None else path, line, message, fix))

    def line(self, span: tuple[int, int], key: str | None = None, value: str | None = None) -> int:
        """The line of ``key`` (or of the quoted ``value``) inside ``span`` (see SourceMap.find)."""
        return self.src.find(span, key=key, value=value)


def strs(value: Any, what: str, report: Reporter, line: int) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        report.error(
            line, f"'{what}' must be a list of strings, got {short(value)}", f'write {what} = ["…", "…"]'
        )
        return ()
    return tuple(v.strip() for v in value if v.strip())


def check_keys(
    table: Mapping[str, Any], allowed: set[str], what: str, report: Reporter, span: tuple[int, int]
) -> None:
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            fix = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(sorted(allowed))}"
            report.error(report.line(span, key=key), f"unknown key '{key}' in {what}", fix)


def parse_context(raw: Any, kind: str, n: int, report: Reporter, span: tuple[int, int]) -> Context | None:
    line = report.line(span, key=kind)
    if not isinstance(raw, dict):
        report.error(
            line,
            f"each {kind} entry must be a table, got {short(raw)}",
            f'write {kind} = [{{ terms = ["…"], scope = "clause" }}]',
        )
        return None
    check_keys(raw, CONTEXT_KEYS, kind, report, span)
    terms = strs(raw.get("terms"), f"{kind}.terms", report, line)
    regex = strs(raw.get("regex"), f"{kind}.regex", report, line)
    if not terms and not regex:
        report.error(line, f"{kind} entry {n} has neither terms nor regex", 'add terms = ["…"]')
    scope = raw.get("scope", "sentence")
    if scope not in SCOPES:
        report.error(
            line,
            f"The 'scope' of {kind} must be one of {{{', '.join(SCOPES)}}}. Got {scope!r} instead.",
            'use scope = "clause"',
        )
        scope = "sentence"
    side = raw.get("side", "both")
    if side not in SIDES:
        report.error(
            line,
            f"The 'side' of {kind} must be one of {{{', '.join(SIDES)}}}. Got {side!r} instead.",
            'use side = "both"',
        )
        side = "both"
    window = raw.get("window", 0)
    if not isinstance(window, int) or window < 0:
        report.error(
            line,
            f"'window' of {kind} must be a whole number of characters ≥ 0, got {short(window)}",
            "use window = 10 (0 means the whole scope)",
        )
        window = 0
    for rx in regex:
        check_regex(rx, report, report.line(span, value=rx))
    cid = raw.get("id") or (terms[0] if terms else regex[0] if regex else f"{kind}{n}")
    return Context(id=str(cid), terms=terms, regex=regex, window=window, scope=scope, side=side)


def check_regex(rx: str, report: Reporter, line: int) -> bool:
    try:
        compile_pattern(rx)
    except PatternError as exc:
        shown = rx if len(rx) <= 80 else rx[:77] + "…"
        report.error(line, f"bad regular expression {shown!r}: {exc.reason}", exc.fix)
        return False
    return True


def parse_rule(
    raw: dict[str, Any],
    themes: tuple[str, ...],
    kind: str,
    report: Reporter,
    span: tuple[int, int],
    default_id: str,
) -> Rule:
    allowed = EXPRESSION_KEYS if kind == "expression" else RULE_KEYS
    check_keys(raw, allowed, kind, report, span)
    line = span[0]
    rid = str(raw.get("id") or default_id)
    terms = strs(raw.get("terms"), "terms", report, report.line(span, key="terms"))
    regex = strs(raw.get("regex"), "regex", report, report.line(span, key="regex"))
    good_regex = tuple(rx for rx in regex if check_regex(rx, report, report.line(span, value=rx)))
    if not terms and not regex and not raw.get("disabled"):
        report.error(
            line, f"{kind} '{rid}' has neither terms nor regex", 'add terms = ["…"] or remove the rule'
        )
    weight = raw.get("weight", 1.0)
    if not isinstance(weight, int | float) or isinstance(weight, bool) or weight < 0:
        report.error(
            report.line(span, key="weight"),
            f"'weight' of {kind} '{rid}' must be a number ≥ 0, got {short(weight)}",
            "use weight = 1.0",
        )
        weight = 1.0
    boundary = raw.get("boundary", "none")
    if boundary not in BOUNDARIES:
        report.error(
            report.line(span, key="boundary"),
            f"The 'boundary' of {kind} '{rid}' must be one of {{none, token}}. Got {boundary!r} instead.",
            'use boundary = "token"',
        )
        boundary = "none"
    contexts: dict[str, list[Context]] = {"exclude_near": [], "require_near": []}
    for key in contexts:
        value = raw.get(key, [])
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list):
            report.error(
                report.line(span, key=key),
                f"'{key}' must be a list of tables, got {short(value)}",
                f'write {key} = [{{ terms = ["…"] }}]',
            )
            continue
        for n, item in enumerate(value):
            ctx = parse_context(item, key, n, report, span)
            if ctx:
                contexts[key].append(ctx)
    exclude_overlap = raw.get("exclude_overlap")
    return Rule(
        id=rid,
        themes=themes,
        terms=terms,
        regex=good_regex,
        weight=float(weight),
        boundary=str(boundary),
        exclude_overlap=strs(
            exclude_overlap, "exclude_overlap", report, report.line(span, key="exclude_overlap")
        ),
        exclude_near=tuple(contexts["exclude_near"]),
        require_near=tuple(contexts["require_near"]),
        note=str(raw.get("note", "")),
        source=report.path,
        line=line,
    )


def tables(value: Any, what: str, report: Reporter) -> list[dict[str, Any]]:
    if value is None:
        return []
    if isinstance(value, dict):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        report.error(1, f"'{what}' must be an array of tables", f"write [[{what}]] headers")
        return []
    return value


def merge_id(
    entries: dict[str, Any],
    seen: dict[str, int],
    eid: str,
    raw: Mapping[str, Any],
    line: int,
    report: Reporter,
    duplicate: str,
    fix: str,
) -> bool:
    """Whether the entry ``eid`` of this file (its ``id =`` at ``line``) goes on to be merged
    into ``entries``, the ids of its kind merged so far over all files.

    An id seen before in the same file is an error (``duplicate`` names it, the line of the
    first use is added); ``disabled = true`` drops the id from ``entries``, whichever file
    brought it. Otherwise the caller merges: a later file's entry updates an earlier one's.
    """
    if eid in seen:
        report.error(line, f"{duplicate} (first at line {seen[eid]})", fix)
        return False
    seen[eid] = line
    if raw.get("disabled"):
        entries.pop(eid, None)
        return False
    return True
