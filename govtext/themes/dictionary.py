"""Theme dictionaries: TOML files of frameworks → themes → rules, loaded into frozen objects.

The format is documented in docs/dictionary.md. In short::

    version = 1

    [[framework]]
    id = "three_governance"
    name = "三治融合"
    themes = ["self_governance", "rule_of_law", "rule_of_virtue"]

    [[theme]]
    id = "self_governance"
    framework = "three_governance"
    name = "自治"
    terms = ["居民自治", "村民自治"]          # an implicit rule with id "terms"

      [[theme.rule]]
      id = "bare"
      terms = ["自治"]
      exclude_overlap = ["自治区", "自治州"]  # vetoes 自治 inside 广西壮族自治区
      exclude_near = [{ id = "ethnic", terms = ["民族"], scope = "clause" }]
      require_near = [{ terms = ["居民", "村民"], window = 10 }]

    [[expression]]                          # one expression, several themes
    id = "co_slogan"
    themes = ["co_construction", "co_governance", "shared_benefits"]
    terms = ["共建共治共享"]

Extra files given to :func:`load_dictionary` extend or override the base: a theme or
framework with a known id updates the fields it names, a rule with a known id replaces
that rule, ``disabled = true`` removes a theme, rule or expression.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from govtext.errors import DictionaryError
from govtext.themes.checks import (
    FRAMEWORK_KEYS,
    THEME_KEYS,
    TOP_KEYS,
    Issue,
    Reporter,
    check_keys,
    merge_id,
    parse_rule,
    strs,
    tables,
)
from govtext.themes.rules import Framework, Rule, Theme, ThemeDictionary
from govtext.themes.source import ParsedFile, SourceMap, read_toml

FORMAT_VERSION = 1


def shipped_validity(dictionary_hash: str) -> dict[str, Any] | None:
    """The measured precision and recall of the shipped dictionary on the blind-labelled
    paragraphs (``data/default.validity.json``, written by
    ``tests/devset/evaluate_paragraphs.py --write``), or None when ``dictionary_hash`` is
    not the dictionary they were measured on: figures never travel to other rules."""
    path = default_dictionary_path().with_name("default.validity.json")
    figures: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return figures if figures.get("dictionary_hash") == dictionary_hash else None


def default_dictionary_path() -> Path:
    """The governance dictionary shipped with govtext (all twelve themes of THEMES.md)."""
    return Path(str(resources.files("govtext.themes") / "data" / "default.toml"))


# --------------------------------------------------------------------------- building
@dataclass
class DictionaryBuilder:
    """Accumulates frameworks, themes and expressions over the base file and extra files.

    ``add_file`` each file in order, then ``finish``; ``issues`` holds every problem found.
    """

    frameworks: dict[str, dict[str, Any]] = field(default_factory=dict)
    themes: dict[str, dict[str, Any]] = field(default_factory=dict)
    expressions: dict[str, Rule] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    def add_file(self, parsed: ParsedFile, *, base: bool) -> None:
        data, src = parsed.data, parsed.source
        report = Reporter(self.issues, str(parsed.path), src)
        if not any(data.get(k) for k in ("theme", "expression", "framework")):
            report.error(
                1,
                "the dictionary is empty: it defines no [[theme]], [[expression]] or [[framework]]",
                'add a [[theme]] with id, name and terms = ["…"] (see docs/dictionary.md)',
            )
        check_keys(
            data,
            TOP_KEYS,
            "the top level",
            report,
            (1, (src.headers[0][0] if src.headers else len(src.lines) + 1)),
        )
        version = data.get("version", FORMAT_VERSION)
        if version != FORMAT_VERSION:
            report.error(
                report.line((1, len(src.lines) + 1), key="version"),
                f"unsupported dictionary format version {version!r}",
                f"set version = {FORMAT_VERSION}",
            )
        self._add_frameworks(data, report)
        self._add_themes(data, report)
        self._add_expressions(data, report)

    def _add_frameworks(self, data: dict[str, Any], report: Reporter) -> None:
        seen: dict[str, int] = {}
        for i, fw in enumerate(tables(data.get("framework"), "framework", report)):
            span = report.src.block("framework", i)
            check_keys(fw, FRAMEWORK_KEYS, "a framework", report, span)
            fid = fw.get("id")
            if not isinstance(fid, str) or not fid:
                report.error(span[0], "framework without an 'id'", 'add id = "my_framework"')
                continue
            if not merge_id(
                self.frameworks,
                seen,
                fid,
                fw,
                report.line(span, key="id"),
                report,
                f"duplicate framework id '{fid}'",
                "rename one of them or merge them",
            ):
                continue
            entry = self.frameworks.setdefault(
                fid, {"id": fid, "name": "", "name_en": "", "description": "", "themes": []}
            )
            for key in ("name", "name_en", "description"):
                if key in fw:
                    entry[key] = str(fw[key])
            if "themes" in fw:
                themes_line = report.line(span, key="themes")
                entry["themes"] = list(strs(fw["themes"], "themes", report, themes_line))
                entry["themes_at"] = (report.path, themes_line)  # where an unknown theme is reported
            if not entry["name"]:
                report.error(span[0], f"framework '{fid}' has no name", 'add name = "…"')

    def _add_themes(self, data: dict[str, Any], report: Reporter) -> None:
        seen: dict[str, int] = {}
        for i, th in enumerate(tables(data.get("theme"), "theme", report)):
            span = report.src.block("theme", i)
            check_keys(th, THEME_KEYS, "a theme", report, span)
            tid = th.get("id")
            if not isinstance(tid, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", tid or ""):
                report.error(
                    report.line(span, key="id"),
                    f"theme id {tid!r} is not an ASCII slug",
                    'use lower-case letters, digits and _, e.g. id = "self_governance"',
                )
                continue
            if not merge_id(
                self.themes,
                seen,
                tid,
                th,
                report.line(span, key="id"),
                report,
                f"duplicate theme id '{tid}'",
                "rename one of them or merge their rules",
            ):
                continue
            entry = self.themes.setdefault(
                tid,
                {
                    "id": tid,
                    "name": "",
                    "name_en": "",
                    "description": "",
                    "framework": "",
                    "rules": {},
                    "source": report.path,
                    "line": seen[tid],
                },
            )
            for key in ("name", "name_en", "description", "framework"):
                if key in th:
                    entry[key] = str(th[key])
            rules: dict[str, Rule] = entry["rules"]
            if "terms" in th or "regex" in th:
                implicit: dict[str, Any] = {k: th[k] for k in ("terms", "regex", "weight") if k in th}
                rules["terms"] = parse_rule(implicit, (tid,), "rule", report, span, "terms")
            seen_rules: dict[str, int] = {}
            for j, raw in enumerate(tables(th.get("rule"), "theme.rule", report)):
                rspan = report.src.block("theme", i, "rule", j)
                rule = parse_rule(raw, (tid,), "rule", report, rspan, f"rule{j + 1}")
                if merge_id(
                    rules,
                    seen_rules,
                    rule.id,
                    raw,
                    report.line(rspan, key="id"),
                    report,
                    f"duplicate rule id '{rule.id}' in theme '{tid}'",
                    "give each rule of a theme its own id",
                ):
                    rules[rule.id] = rule

    def _add_expressions(self, data: dict[str, Any], report: Reporter) -> None:
        seen: dict[str, int] = {}
        for i, raw in enumerate(tables(data.get("expression"), "expression", report)):
            span = report.src.block("expression", i)
            themes = strs(raw.get("themes"), "themes", report, report.line(span, key="themes"))
            rule = parse_rule(raw, themes, "expression", report, span, f"expression{i + 1}")
            if not merge_id(
                self.expressions,
                seen,
                rule.id,
                raw,
                report.line(span, key="id"),
                report,
                f"duplicate expression id '{rule.id}'",
                "give each expression its own id",
            ):
                continue
            if len(themes) < 1:
                report.error(
                    span[0],
                    f"expression '{rule.id}' names no themes",
                    'add themes = ["co_construction", "co_governance"]',
                )
                continue
            self.expressions[rule.id] = rule

    def finish(self, sources: Sequence[Path]) -> ThemeDictionary:
        """The merged dictionary, its cross-references checked (issues go to ``issues``)."""
        # Issues found here sit where a theme or expression was defined, in whichever file.
        report = Reporter(self.issues, str(sources[0]) if sources else "", SourceMap(""))
        frameworks = [
            Framework(f["id"], f["name"], f["name_en"], f["description"], list(f["themes"]))
            for f in self.frameworks.values()
        ]
        themes = self._finish_themes(
            {f.id for f in frameworks}, {tid: f.id for f in frameworks for tid in f.themes}, report
        )
        # A framework lists its themes; themes that name a framework join its list.
        for f in frameworks:
            at_path, at_line = self.frameworks[f.id].get("themes_at", (report.path, 1))
            for tid in f.themes:
                if tid not in themes:
                    report.error(
                        at_line,
                        f"framework '{f.id}' lists unknown theme '{tid}'",
                        "define the theme or remove it from the list",
                        path=at_path,
                    )
            f.themes.extend(tid for tid, t in themes.items() if t.framework == f.id and tid not in f.themes)
        for e in self.expressions.values():
            for tid in e.themes:
                if tid not in themes:
                    report.error(
                        e.line,
                        f"expression '{e.id}' names unknown theme '{tid}'",
                        f"use one of: {', '.join(themes)}",
                        path=e.source,
                    )
        if not themes and sources and not any(i.level == "error" for i in self.issues):
            report.error(
                1,
                "the dictionary has no themes left (every theme is disabled or none is defined)",
                "define a [[theme]] or drop disabled = true from one",
                path=str(sources[-1]),
            )
        d = ThemeDictionary(frameworks, themes, tuple(self.expressions.values()), tuple(sources))
        digest = hashlib.sha256(
            json.dumps(d.to_dict(), ensure_ascii=False, sort_keys=True).encode()
        ).hexdigest()[:16]
        return ThemeDictionary(d.frameworks, d.themes, d.expressions, d.source_paths, digest)

    def _finish_themes(self, fw_ids: set[str], listed: dict[str, str], report: Reporter) -> dict[str, Theme]:
        themes: dict[str, Theme] = {}
        for tid, t in self.themes.items():
            framework = t["framework"] or listed.get(tid, "")
            line, path = t["line"], t["source"]
            if not t["name"]:
                report.error(
                    line,
                    f"theme '{tid}' has no name",
                    'add name = "…" (the Chinese name reports show)',
                    path=path,
                )
            if framework and framework not in fw_ids:
                report.error(
                    line,
                    f"theme '{tid}' names unknown framework '{framework}'",
                    f"use one of: {', '.join(sorted(fw_ids)) or '(define a [[framework]])'}",
                    path=path,
                )
            if not t["rules"] and not any(tid in e.themes for e in self.expressions.values()):
                report.error(
                    line,
                    f"theme '{tid}' is empty: it has no terms, regex or rules",
                    'add terms = ["…"] or disable it with disabled = true',
                    path=path,
                )
            themes[tid] = Theme(
                tid,
                t["name"],
                t["name_en"],
                t["description"],
                framework,
                tuple(t["rules"].values()),
                t["source"],
                t["line"],
            )
        return themes


def build_dictionary(
    path: str | Path | None = None, extra: Iterable[str | Path] = ()
) -> tuple[ThemeDictionary, list[Issue]]:
    """Parse and merge dictionary files, returning the dictionary and every issue found.

    Syntax errors raise DictionaryError at once (nothing else can be checked).
    """
    base = Path(path) if path else default_dictionary_path()
    sources = [base, *(Path(p) for p in extra)]
    builder = DictionaryBuilder()
    for n, src in enumerate(sources):
        builder.add_file(read_toml(src), base=n == 0)
    d = builder.finish(sources)
    return d, builder.issues


def load_dictionary(path: str | Path | None = None, extra: Iterable[str | Path] = ()) -> ThemeDictionary:
    """Load a theme dictionary: ``path`` (None: the shipped default) extended by ``extra`` files.

    Raises DictionaryError naming file and line for the first error found.

    >>> d = load_dictionary()
    >>> d.themes["self_governance"].name
    '自治'
    """
    d, issues = build_dictionary(path, extra)
    errors = [i for i in issues if i.level == "error"]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more; run `govtext dict validate`)" if len(errors) > 1 else ""
        fix = f"; fix: {first.fix}" if first.fix else ""
        raise DictionaryError(f"{first.message}{fix}{more}", path=first.path, line=first.line)
    return d
