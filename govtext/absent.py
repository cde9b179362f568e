"""Texts that cannot hold a theme, found without matching (``govtext.reuse``).

After a dictionary change most texts do not contain a changed theme's strings at all:
they get an empty hit set for it here, and only the rest go to the matcher.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govtext.documents import Document
    from govtext.store import Store


def plain_literals(dictionary: Any, themes: Iterable[str]) -> tuple[str, ...] | None:
    """The strings ``themes`` need (``ThemeDictionary.literals_of``) when a text's
    whitespace-free form can be searched for them: None when a rule needs no string,
    or a string has ASCII or whitespace (the view folds and removes those)."""
    lits = dictionary.literals_of(themes)
    if lits is None or any(ch.isascii() or ch.isspace() for lit in lits for ch in lit):
        return None
    return tuple(lits)


def _finder(lits: tuple[str, ...]) -> Any:
    """A test 'does the text contain one of ``lits``': str.find for a few, Aho-Corasick for many."""
    if len(lits) <= 16:
        return lambda text: any(lit in text for lit in lits)
    import ahocorasick

    auto = ahocorasick.Automaton()
    for lit in lits:
        auto.add_word(lit, lit)
    auto.make_automaton()
    return lambda text: next(auto.iter(text), None) is not None


def skip_absent(
    groups: dict[tuple[bool, frozenset[str]], list[tuple[Document, str, str]]],
    store: Store,
    settings_hash: str,
    dictionary: Any,
    literals: dict[frozenset[str], Any],
    theme_hashes: dict[str, str],
    new_hits: dict[str, list[Any]],
) -> None:
    """Record, without matching, that documents whose text holds none of the strings the
    missing themes need have no hits for them (after a dictionary change most texts do
    not contain a new theme's terms at all).

    The view joins lines, folds width and converts traditional characters, so a term
    can be in the view of a text that lacks it. Hence a text without traditional
    characters (the store recorded it with their tokens) is searched itself, any other
    text in its view as stored with its tokens; both with their whitespace removed and
    only for strings without ASCII characters. Documents left go to the engine.
    """
    for (need_t, themes), items in list(groups.items()):
        if need_t or not themes:
            continue
        if themes not in literals:
            literals[themes] = plain_literals(dictionary, themes)
        lits = literals[themes]
        if lits is None:
            continue
        views = store.searchable((tk, settings_hash) for _, tk, _ in items)
        has = _finder(lits)
        keep, empty = [], []
        for item in items:
            d, tk, hk = item
            if tk in views and not has("".join((views[tk] or d.text).split())):  # whitespace out, in C
                empty.append((hk, ()))
                new_hits[hk] = []
            else:
                keep.append(item)
        if empty:
            store.put_hits(empty, {t: theme_hashes[t] for t in themes})
        groups[(need_t, themes)] = keep
