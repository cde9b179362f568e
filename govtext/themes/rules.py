"""The frozen objects a theme dictionary is loaded into: frameworks, themes, the rules
that find them and the contexts that qualify an occurrence (the file format is read by
``govtext.themes.dictionary``; docs/dictionary.md describes it).

>>> from govtext.themes.dictionary import load_dictionary
>>> d = load_dictionary()
>>> [r.id for r in d.themes["self_governance"].rules][:1], d.theme_names()["rule_of_law"]
(['terms'], '法治')
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govtext.normalize import normalize
from govtext.themes.patterns import required_literals

# Part of every theme's hash (``ThemeDictionary.theme_hashes``), so of the hits the store
# keeps: bump it when a change in govtext/themes/matcher.py alters any hit.
MATCHER_VERSION = "matcher-3"  # 3: sentences over MAX_SENTENCE_CHARS cut into windows

# The values a Context's scope and side and a Rule's boundary may take.
SCOPES: tuple[str, ...] = ("clause", "sentence", "paragraph")
SIDES: tuple[str, ...] = ("both", "before", "after")
BOUNDARIES: tuple[str, ...] = ("none", "token")


@dataclass(frozen=True)
class Context:
    """Words that must (or must not) appear near an occurrence.

    ``window`` is the number of characters on each side to look at (0: the whole
    scope); ``scope`` bounds the look to the clause, sentence or paragraph of the
    occurrence; ``side`` restricts it to text before or after the occurrence.
    """

    id: str
    terms: tuple[str, ...] = ()
    regex: tuple[str, ...] = ()
    window: int = 0
    scope: str = "sentence"
    side: str = "both"


@dataclass(frozen=True)
class Rule:
    """One way a theme shows in text: terms and/or regexes plus the conditions on them.

    ``themes`` holds every theme the rule counts for (one for a theme's own rules,
    several for an expression such as 共建共治共享).
    """

    id: str
    themes: tuple[str, ...]
    terms: tuple[str, ...] = ()
    regex: tuple[str, ...] = ()
    weight: float = 1.0
    boundary: str = "none"
    exclude_overlap: tuple[str, ...] = ()
    exclude_near: tuple[Context, ...] = ()
    require_near: tuple[Context, ...] = ()
    note: str = ""
    source: str = ""
    line: int = 0


@dataclass(frozen=True)
class Theme:
    id: str
    name: str
    name_en: str = ""
    description: str = ""
    framework: str = ""
    rules: tuple[Rule, ...] = ()
    source: str = ""
    line: int = 0


@dataclass(frozen=True)
class Framework:
    id: str
    name: str
    name_en: str = ""
    description: str = ""
    themes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ThemeDictionary:
    """Frameworks, themes and the rules that find them; what a Matcher is fitted with."""

    frameworks: list[Framework]
    themes: dict[str, Theme]
    expressions: tuple[Rule, ...] = ()
    source_paths: tuple[Path, ...] = ()
    hash: str = ""

    def rules(self) -> list[Rule]:
        """Every rule: each theme's own rules, then the multi-theme expressions."""
        out = [r for t in self.themes.values() for r in t.rules]
        return out + list(self.expressions)

    def theme_names(self) -> dict[str, str]:
        return {t.id: t.name for t in self.themes.values()}

    def terms_by_theme(self) -> dict[str, list[str]]:
        """Every literal term that can count for each theme (seed words for topic models)."""
        out: dict[str, list[str]] = {tid: [] for tid in self.themes}
        for rule in self.rules():
            for tid in rule.themes:
                if tid in out:
                    out[tid].extend(t for t in rule.terms if t not in out[tid])
        return out

    def theme_hashes(self) -> dict[str, str]:
        """A hash per theme of everything that decides its hits: the rules that count for
        it (in order, restricted to it) and the matcher's version.

        A theme's hits depend on nothing else (exclusions, contexts and overlaps are
        resolved within a theme), so the store keeps hits per (document, theme hash): a
        dictionary change re-matches the themes it touched and no other.
        """
        out = {}
        for tid in self.themes:
            rules = [{**_rule_dict(r), "themes": [tid]} for r in self.rules() if tid in r.themes]
            raw = json.dumps([MATCHER_VERSION, tid, rules], ensure_ascii=False, sort_keys=True)
            out[tid] = hashlib.sha256(raw.encode()).hexdigest()[:16]
        return out

    def literals_of(self, themes: Iterable[str]) -> tuple[str, ...] | None:
        """Strings one of which a text's normalised view must contain for any of
        ``themes`` to have a hit there; None when no such list can be given (a rule
        with a regex that has no required string).
        """
        wanted = set(themes)
        out: dict[str, None] = {}
        for rule in self.rules():
            if not wanted & set(rule.themes):
                continue
            for term in rule.terms:
                out[normalize(term).text] = None
            for rx in rule.regex:
                groups = required_literals(re.compile(normalize(rx).text))
                if not groups:
                    return None
                # any one group will do: each is required; the longest strings are rarest
                best = max(groups, key=lambda g: min(map(len, g)))
                out.update(dict.fromkeys(best))
        return tuple(k for k in out if k)

    def to_dict(self) -> dict[str, Any]:
        """A plain, JSON-able view (what the hash is computed over)."""
        return {
            "frameworks": [f.__dict__ for f in self.frameworks],
            "themes": {tid: _theme_dict(t) for tid, t in self.themes.items()},
            "expressions": [_rule_dict(r) for r in self.expressions],
        }


def _rule_dict(r: Rule) -> dict[str, Any]:
    d = {k: v for k, v in r.__dict__.items() if k not in ("source", "line")}
    d["exclude_near"] = [c.__dict__ for c in r.exclude_near]
    d["require_near"] = [c.__dict__ for c in r.require_near]
    return d


def _theme_dict(t: Theme) -> dict[str, Any]:
    d = {k: v for k, v in t.__dict__.items() if k not in ("source", "line", "rules")}
    d["rules"] = [_rule_dict(r) for r in t.rules]
    return d
