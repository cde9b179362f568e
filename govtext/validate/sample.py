"""Draw coding units from a corpus, stratified by predicted theme, with sampling weights.

Each unit (a paragraph or a sentence) is tagged on its own text, so ``score`` can re-tag
it from the workbook alone, with the same or another dictionary, and get the same hits
the sample was drawn with. A unit's stratum under ``stratify="theme"`` is its rarest
predicted theme (``none`` for units without a hit): every theme then has a stratum of
its own, however rare. Strata get an equal share of the sample (capped at their size,
the rest shared out among the larger ones), which oversamples the rare themes; each
sampled unit carries the weight N_h / n_h (the inverse of its inclusion probability),
so weighted counts estimate counts in the whole corpus.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from govtext.documents import Corpus, Document
from govtext.errors import ConfigError
from govtext.sentences import split_sentences
from govtext.themes import Matcher, ThemeDictionary, load_dictionary

UNITS = ("paragraph", "sentence")
STRATIFY = ("theme", "group", "none")
NO_THEME = "none"
CONTEXT_CHARS = 300  # of the neighbouring text shown to coders on each side
# Excel keeps at most this many characters in a cell: a longer unit (a flattened table)
# cannot be coded in the workbook, so it is left out of the population (and counted).
MAX_UNIT_CHARS = 32_000
# Control characters Excel refuses in a cell (openpyxl raises on them): removed from
# the unit before it is tagged, so the workbook holds exactly the text that was tagged.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def clean(text: str) -> str:
    return _ILLEGAL.sub("", text)


@dataclass
class Sample:
    """The drawn units and what is needed to score them later.

    ``units`` has one row per unit: unit_id, doc_id, text, context, stratum,
    stratum_size (N_h), stratum_sampled (n_h), weight (N_h/n_h) and predicted (a
    sorted list of theme ids).
    """

    units: pd.DataFrame
    dictionary: ThemeDictionary
    unit: str
    stratify: str
    seed: int
    coders: list[str] = field(default_factory=lambda: ["coder1", "coder2"])
    population: int = 0
    too_long: int = 0  # units left out: longer than an Excel cell holds

    @property
    def themes(self) -> list[str]:
        return list(self.dictionary.themes)

    def meta(self) -> dict[str, Any]:
        return {
            "dictionary_hash": self.dictionary.hash,
            "themes": ",".join(self.themes),
            "coders": ",".join(self.coders),
            "unit": self.unit,
            "stratify": self.stratify,
            "seed": self.seed,
            "population": self.population,
            "too_long": self.too_long,
        }


def unit_spans(doc: Document, unit: str) -> list[tuple[int, int]]:
    """The (start, end) spans of a document's units, in text order."""
    if unit == "paragraph":
        return list(doc.paragraphs)
    return [(a, b) for a, b in split_sentences(doc.text) if doc.text[a:b].strip()]


def _context(doc: Document, spans: list[tuple[int, int]], i: int) -> str:
    a, b = spans[i]
    before = clean(doc.text[max(0, a - CONTEXT_CHARS) : a]).strip()
    after = clean(doc.text[b : b + CONTEXT_CHARS]).strip()
    return f"{before} 【…】 {after}".strip()


def predict(matcher: Matcher, unit_ids: Sequence[str], texts: Sequence[str]) -> list[list[Any]]:
    """The counted hits of each unit text tagged on its own."""
    return [matcher.transform(Document(uid, text)) for uid, text in zip(unit_ids, texts, strict=True)]


def _allocate(sizes: dict[str, int], n: int) -> dict[str, int]:
    """Equal shares per stratum, capped at the stratum's size, the remainder shared out
    again among the strata that still have units (so rare strata are taken whole)."""
    alloc = dict.fromkeys(sizes, 0)
    left = min(n, sum(sizes.values()))
    open_ = [s for s in sizes if sizes[s] > 0]
    while left > 0 and open_:
        share, extra = divmod(left, len(open_))
        for k, s in enumerate(sorted(open_, key=lambda s: (sizes[s] - alloc[s], s))):
            take = min(share + (1 if k < extra else 0), sizes[s] - alloc[s])
            alloc[s] += take
            left -= take
        open_ = [s for s in open_ if alloc[s] < sizes[s]]
    return alloc


def _check_draw(n: int, unit: str, stratify: str, by: str | None, coders: int | Sequence[str]) -> list[str]:
    """The coders' names, once draw_sample's parameters are known to be usable."""
    if unit not in UNITS:
        raise ConfigError(f"unit must be one of {', '.join(UNITS)}; got {unit!r}")
    if stratify not in STRATIFY:
        raise ConfigError(f"stratify must be one of {', '.join(STRATIFY)}; got {stratify!r}")
    if stratify == "group" and not by:
        raise ConfigError("stratify='group' needs by=FIELD (a document field such as province or year)")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConfigError(f"n must be a whole number ≥ 1; got {n!r}")
    names = [f"coder{i + 1}" for i in range(coders)] if isinstance(coders, int) else list(coders)
    if not names or len(set(names)) != len(names) or any(not c or c.startswith("_") for c in names):
        raise ConfigError(f"coders must be ≥ 1 distinct names not starting with '_'; got {coders!r}")
    return names


def _choose(strata: list[str], alloc: dict[str, int], rng: np.random.Generator) -> list[int]:
    """Positions of the units drawn: ``alloc[s]`` at random from each stratum ``s``, the
    strata in sorted order (the draw depends on the seed alone)."""
    by_stratum: dict[str, list[int]] = {}
    for k, s in enumerate(strata):
        by_stratum.setdefault(s, []).append(k)
    chosen: list[int] = []
    for s in sorted(by_stratum):
        members = by_stratum[s]
        pick = list(rng.choice(len(members), size=alloc[s], replace=False)) if alloc[s] else []
        chosen.extend(members[j] for j in pick)
    return chosen


def draw_sample(
    corpus: Corpus | Sequence[Document],
    n: int = 300,
    *,
    unit: str = "paragraph",
    stratify: str = "theme",
    by: str | None = None,
    seed: int = 0,
    coders: int | Sequence[str] = 2,
    dictionary: ThemeDictionary | None = None,
) -> Sample:
    """Draw ``n`` units from ``corpus`` (see the module docstring for the design)."""
    names = _check_draw(n, unit, stratify, by, coders)
    d = dictionary or load_dictionary()
    matcher = Matcher(dictionary=d).fit()
    rows: list[dict[str, Any]] = []
    too_long = 0
    docs = list(corpus.documents if isinstance(corpus, Corpus) else corpus)
    for doc in docs:
        spans = unit_spans(doc, unit)
        for i, (a, b) in enumerate(spans):
            uid = f"{doc.doc_id}#{unit[0]}{i}"
            text = clean(doc.text[a:b])
            if len(text) > MAX_UNIT_CHARS:
                too_long += 1
                continue
            rows.append({"unit_id": uid, "doc_id": doc.doc_id, "text": text, "_doc": doc, "_i": i})
    if not rows:
        raise ConfigError(f"the corpus has no {unit}s to sample (documents read: {len(docs)})")
    # Tag every unit: the strata depend on it (Aho-Corasick makes this cheap).
    hits = predict(matcher, [r["unit_id"] for r in rows], [r["text"] for r in rows])
    predicted = [sorted({h.theme for h in hs}) for hs in hits]
    freq = Counter(t for p in predicted for t in p)
    for r, p in zip(rows, predicted, strict=True):
        r["predicted"] = p
        if stratify == "theme":
            # the rarest theme (ties by id) so every theme gets a stratum of its own
            r["stratum"] = min(p, key=lambda t: (freq[t], t)) if p else NO_THEME
        elif stratify == "group":
            r["stratum"] = r["_doc"].field(by) or "(blank)"
        else:
            r["stratum"] = "all"
    sizes = Counter(r["stratum"] for r in rows)
    alloc = _allocate(dict(sorted(sizes.items())), n)
    rng = np.random.default_rng(seed)
    chosen = _choose([r["stratum"] for r in rows], alloc, rng)
    rng.shuffle(chosen)  # coders see the units in random order, not grouped by stratum
    out = []
    spans_cache: dict[str, list[tuple[int, int]]] = {}
    for k in chosen:
        r = rows[k]
        doc = r["_doc"]
        spans = spans_cache.setdefault(doc.doc_id, unit_spans(doc, unit))
        s = r["stratum"]
        out.append(
            {
                "unit_id": r["unit_id"],
                "doc_id": r["doc_id"],
                "text": r["text"],
                "context": _context(doc, spans, r["_i"]),
                "stratum": s,
                "stratum_size": sizes[s],
                "stratum_sampled": alloc[s],
                "weight": sizes[s] / alloc[s],
                "predicted": r["predicted"],
            }
        )
    return Sample(
        units=pd.DataFrame(out),
        dictionary=d,
        unit=unit,
        stratify=stratify,
        seed=seed,
        coders=names,
        population=len(rows),
        too_long=too_long,
    )


def sample(
    paths: Sequence[str | Path],
    out: str | Path,
    n: int = 300,
    *,
    unit: str = "paragraph",
    stratify: str = "theme",
    by: str | None = None,
    seed: int = 0,
    coders: int | Sequence[str] = 2,
    dictionary: str | Path | None = None,
    extra: Sequence[str | Path] = (),
    text_column: str | None = None,
) -> Sample:
    """Read ``paths``, draw a sample and write the coding workbook to ``out``."""
    from govtext import read_corpus
    from govtext.validate.workbook import write_workbook

    corpus = read_corpus(list(paths), text_column=text_column)
    d = load_dictionary(dictionary, extra=extra)
    s = draw_sample(corpus, n, unit=unit, stratify=stratify, by=by, seed=seed, coders=coders, dictionary=d)
    write_workbook(s, out)
    return s
