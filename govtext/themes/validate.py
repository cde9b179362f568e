"""``govtext dict validate``: every problem of a dictionary file, each with file, line and fix.

Errors make a dictionary unusable (syntax, unknown keys, duplicate ids, empty themes,
bad regexes, unknown themes or frameworks); warnings flag rules that will not do what
their author expects: a term jieba splits (it can never be one token, so a rule with
``boundary = "token"`` never fires and a seeded topic model never sees it), a term
vetoed by its own exclusion, a term listed twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from govtext.errors import DictionaryError
from govtext.themes.dictionary import DictionaryBuilder, Issue, default_dictionary_path
from govtext.themes.rules import ThemeDictionary
from govtext.themes.source import SourceMap, read_toml


def validate_dictionary(
    path: str | Path,
    *,
    extra: Iterable[str | Path] = (),
    check_tokens: bool = True,
    segmenter: Any = None,
) -> list[Issue]:
    """All issues of the dictionary at ``path``, errors first.

    A file that defines no ``[[framework]]`` is an extension: it is checked on top of
    the shipped default dictionary, the way ``load_dictionary(extra=[path])`` uses it.
    """
    path = Path(path)
    try:
        return _validate(path, extra, check_tokens, segmenter)
    except DictionaryError as exc:
        where = f"{exc.path}:{exc.line}: " if exc.path and exc.line else (f"{exc.path}: " if exc.path else "")
        return [Issue("error", exc.path or str(path), exc.line or 1, str(exc)[len(where) :])]


def _validate(path: Path, extra: Iterable[str | Path], check_tokens: bool, segmenter: Any) -> list[Issue]:
    parsed = read_toml(path)
    builder = DictionaryBuilder()
    sources = [path]
    if "framework" not in parsed.data and path.resolve() != default_dictionary_path().resolve():
        base = default_dictionary_path()
        builder.add_file(read_toml(base), base=True)
        builder.issues.clear()  # the shipped file's own warnings are not this file's
        sources = [base, path]
    builder.add_file(parsed, base=len(sources) == 1)
    for p in extra:
        builder.add_file(read_toml(Path(p)), base=False)
        sources.append(Path(p))
    dictionary = builder.finish(sources)
    issues = list(builder.issues)
    issues += _rule_warnings(dictionary, path, parsed.source)
    if check_tokens:
        issues += _token_warnings(dictionary, path, parsed.source, segmenter)
    own = str(path)
    issues = [i for i in issues if i.path == own or i.level == "error"]
    return sorted(issues, key=lambda i: (i.level != "error", i.path, i.line))


def _line_of(src: SourceMap, term: str, default: int) -> int:
    for i, text in enumerate(src.lines, start=1):
        if f'"{term}"' in text or f"'{term}'" in text:
            return i
    return default


def _rule_warnings(d: ThemeDictionary, path: Path, src: SourceMap) -> list[Issue]:
    issues = []
    own = str(path)
    for rule in d.rules():
        if rule.source != own:
            continue
        seen: set[str] = set()
        for term in rule.terms:
            line = _line_of(src, term, rule.line)
            if term in seen:
                issues.append(
                    Issue(
                        "warning",
                        own,
                        line,
                        f"term '{term}' is listed twice in rule '{rule.id}'",
                        "delete the second one",
                    )
                )
            seen.add(term)
            for ex in rule.exclude_overlap:
                if ex in term:
                    issues.append(
                        Issue(
                            "warning",
                            own,
                            line,
                            f"term '{term}' of rule '{rule.id}' contains its own exclusion '{ex}', so it can never count",
                            f"remove '{ex}' from exclude_overlap or move '{term}' to another rule",
                        )
                    )
    return issues


def _token_warnings(d: ThemeDictionary, path: Path, src: SourceMap, segmenter: Any) -> list[Issue]:
    if segmenter is None:
        from govtext.segment import Segmenter

        segmenter = Segmenter()
    issues = []
    own = str(path)
    for rule in d.rules():
        if rule.source != own:
            continue
        for term in rule.terms:
            # Phrases with punctuation (自治、法治、德治) are matched as text, never meant as tokens.
            if len(term) < 2 or any(not ch.isalnum() for ch in term):
                continue
            pieces = segmenter.cut(term)
            if len(pieces) <= 1:
                continue
            level: Literal["error", "warning"] = "error" if rule.boundary == "token" else "warning"
            what = (
                "so this token-boundary rule can never match"
                if level == "error"
                else "so it is never one token (topic seeds, token counts)"
            )
            issues.append(
                Issue(
                    level,
                    own,
                    _line_of(src, term, rule.line),
                    f"jieba splits '{term}' into {'/'.join(pieces)}, {what}",
                    f"add the line '{term} 100 nz' to a user dictionary (govtext/data/userdict.txt or one given to the segmenter)",
                )
            )
    return issues
