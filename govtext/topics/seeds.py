"""Seed words for seeded topics: from a theme dictionary or a plain mapping.

The protocol is a mapping ``topic key -> seed words``; keys are theme (or framework)
ids and name the seeded topics. ``seeds_from_dictionary`` builds it from the theme
dictionary the keyword rules use, so rules and topics share one vocabulary.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govtext.errors import ConfigError

SEED_LEVELS: tuple[str, ...] = ("theme", "framework")


def load_theme_dictionary(path: str | Path | None = None) -> Any:
    """``govtext.themes.load_dictionary(path)``, or None when that package is not installed."""
    try:
        from govtext.themes import load_dictionary  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        if path is not None:
            raise ConfigError(
                f"cannot read the theme dictionary {path}: govtext.themes is not installed"
            ) from None
        return None
    return load_dictionary(path)


def _terms_of(obj: Any) -> list[str]:
    """The plain terms a theme (or rule) object exposes, whatever it calls them."""
    if isinstance(obj, str):
        return [obj]
    for attr in ("seed_terms", "seeds", "terms", "keywords", "patterns", "words"):
        value = getattr(obj, attr, None)
        if value is None and isinstance(obj, Mapping):
            value = obj.get(attr)
        if callable(value):
            value = value()
        if value:
            return [t for v in value for t in _terms_of(v)]
    rules = getattr(obj, "rules", None)
    if rules is None and isinstance(obj, Mapping):
        rules = obj.get("rules")
    if rules:
        return [t for r in rules for t in _terms_of(r)]
    return []


def _dedupe(words: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for w in words:
        w = w.strip()
        if w:
            seen.setdefault(w, None)
    return list(seen)


def _frameworks(dictionary: Any) -> dict[str, Any]:
    """Framework id → framework object, whether the dictionary holds a list or a mapping."""
    frameworks = getattr(dictionary, "frameworks", None) or {}
    if isinstance(frameworks, Mapping):
        return {str(k): v for k, v in frameworks.items()}
    return {str(getattr(f, "id", f)): f for f in frameworks}


def seeds_from_dictionary(dictionary: Any, level: str = "theme") -> dict[str, list[str]]:
    """Seed words per theme id (``level="theme"``) or per framework id (``"framework"``).

    ``dictionary`` is what ``govtext.themes.load_dictionary()`` returns: its
    ``terms_by_theme()`` gives every literal term that counts for a theme (expressions
    such as 共建共治共享 count for each of their themes, so a word may seed several
    topics). A framework's seeds are the union of its themes' terms. Regex rules and
    exclusions have no topic-model counterpart and are not used.
    """
    if level not in SEED_LEVELS:
        raise ConfigError(
            f"The 'seed_level' parameter of TopicModel must be one of {SEED_LEVELS}. Got {level!r}."
        )
    themes = getattr(dictionary, "themes", None)
    if not isinstance(themes, Mapping):
        raise ConfigError(
            f"seeds_from_dictionary: expected a theme dictionary with a .themes mapping, got {type(dictionary).__name__}"
        )
    by_theme_fn = getattr(dictionary, "terms_by_theme", None)
    if callable(by_theme_fn):
        by_theme = {str(k): list(v) for k, v in by_theme_fn().items()}
    else:
        by_theme = {str(tid): _terms_of(theme) for tid, theme in themes.items()}
    if level == "theme":
        return {tid: _dedupe(terms) for tid, terms in by_theme.items()}
    out: dict[str, list[str]] = {}
    for fid, framework in _frameworks(dictionary).items():
        members = getattr(framework, "themes", None) or [
            tid for tid, t in themes.items() if str(getattr(t, "framework", "")) == fid
        ]
        out[fid] = _dedupe(w for tid in members for w in by_theme.get(str(tid), []))
    for tid, theme in themes.items():  # themes whose framework is not declared
        fid = str(getattr(theme, "framework", ""))
        if fid and fid not in out:
            out[fid] = _dedupe(by_theme.get(str(tid), []))
    return out


def names_from_dictionary(dictionary: Any, level: str = "theme") -> dict[str, str]:
    """Display names per theme or framework id (falls back to the id)."""
    items: Mapping[str, Any]
    if level == "framework":
        items = _frameworks(dictionary)
    else:
        items = getattr(dictionary, "themes", None) or {}
    return {str(key): str(getattr(obj, "name", None) or key) for key, obj in items.items()}


@dataclass(frozen=True)
class ResolvedSeeds:
    """Seeds checked against a vocabulary."""

    topics: tuple[str, ...]  # seeded topics kept, in the order given
    present: Mapping[str, tuple[str, ...]]  # topic -> its seeds found in the vocabulary
    missing: Mapping[str, tuple[str, ...]]  # topic -> its seeds absent (every topic given)
    dropped: tuple[str, ...]  # topics whose seeds are absent or too rare
    occurrences: Mapping[str, int] = field(default_factory=dict)  # topic -> seed tokens (-1: not counted)


def resolve_seeds(
    seeds: Mapping[str, Sequence[str]],
    vocabulary: Sequence[str],
    counts: Mapping[str, int] | None = None,
    min_count: int = 1,
) -> ResolvedSeeds:
    """Split each topic's seeds into present and absent; drop topics whose present seeds
    occur fewer than ``min_count`` times in all (``counts``: word → occurrences; without it
    a topic is dropped only when none of its seeds is in the vocabulary)."""
    vocab = set(vocabulary)
    present: dict[str, tuple[str, ...]] = {}
    missing: dict[str, tuple[str, ...]] = {}
    occurrences: dict[str, int] = {}
    kept: list[str] = []
    dropped: list[str] = []
    for topic, words in seeds.items():
        if isinstance(words, str):
            raise ConfigError(
                f"seeds[{topic!r}] must be a list of words, got the string {words!r}; write [{words!r}]"
            )
        words = _dedupe(words)
        present[topic] = tuple(w for w in words if w in vocab)
        missing[topic] = tuple(w for w in words if w not in vocab)
        occurrences[topic] = sum(counts.get(w, 0) for w in present[topic]) if counts is not None else -1
        enough = bool(present[topic]) and (counts is None or occurrences[topic] >= max(min_count, 1))
        (kept if enough else dropped).append(topic)
    return ResolvedSeeds(
        topics=tuple(kept),
        present={t: present[t] for t in kept},
        missing=missing,
        dropped=tuple(dropped),
        occurrences=occurrences,
    )


def seed_prior(
    resolved: ResolvedSeeds,
    vocabulary: Sequence[str],
    n_topics: int,
    n_tokens: int,
    *,
    weight: float = 0.02,
    base: float | None = None,
) -> Any:
    """The ``eta`` prior (topics × vocabulary) of a seeded LDA.

    Every cell starts at ``base`` (gensim's symmetric default 1/K); each (seeded topic,
    present seed word) cell gets pseudo-counts so that all seeds together weigh
    ``weight`` × the corpus's tokens (the convention of R's seededlda). Seeded topics
    come first, in ``resolved.topics`` order; the rest are free.
    """
    import numpy as np

    index = {w: i for i, w in enumerate(vocabulary)}
    eta = np.full((n_topics, len(vocabulary)), base if base is not None else 1.0 / n_topics)
    pairs = sum(len(resolved.present[t]) for t in resolved.topics)
    if pairs and weight > 0:
        boost = weight * n_tokens / pairs
        if not math.isfinite(boost):
            raise ConfigError(f"The 'seed_weight' parameter of TopicModel must be finite. Got {weight!r}.")
        for t, topic in enumerate(resolved.topics):
            for w in resolved.present[topic]:
                eta[t, index[w]] += boost
    return eta
