"""TopicModel: LDA, NMF and keyword-seeded LDA with coherence, a chosen K and theme labels.

One estimator, three methods:

- ``"lda"``: gensim ``LdaModel`` (online variational Bayes, run in batch on small corpora).
- ``"nmf"``: scikit-learn ``NMF`` on TF-IDF of the same units.
- ``"seeded"``: gensim ``LdaModel`` whose topic-word prior ``eta`` gives each seeded topic
  pseudo-counts on its seed words (taken from the theme dictionary), beside ``n_free``
  unseeded topics. Seeded topics come first; a word may seed several topics; seeds absent
  from the vocabulary are reported in ``missing_seeds_`` and a topic whose seeds are all
  absent is dropped with a ``TopicWarning``.

Outputs (after ``fit``):

- ``topic_terms(n)``: long DataFrame ``topic, rank, term, weight`` (weights of a topic sum to 1
  over the whole vocabulary).
- ``doc_topics_``: long DataFrame ``unit_id, doc_id, topic, share``, one row per unit and
  topic (shares of a unit sum to 1; an NMF unit with no weight has all shares 0).
  ``doc_topics(wide=True)`` gives units × topics.
- ``summary()``: one row per topic: ``topic, label, kind, theme, name, top_terms, prevalence,
  npmi, c_v, overlap, seeds, missing_seeds``; ``prevalence`` is the mean share over units.
- ``k_curve_``: ``k, npmi, c_v, diversity, quality, chosen`` for every K tried.
- ``prevalence_by(documents, field)``: mean share per value of a metadata field.
"""

from __future__ import annotations

import functools
import json
import pickle
import time
import warnings
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govtext.errors import ConfigError, InputError, NotFittedError
from govtext.topics.quality import K_RULES, TopicQuality, choose_k, unit_coherence
from govtext.topics.seeds import (
    SEED_LEVELS,
    ResolvedSeeds,
    load_theme_dictionary,
    names_from_dictionary,
    resolve_seeds,
    seed_prior,
    seeds_from_dictionary,
)
from govtext.topics.units import Units

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

METHODS: tuple[str, ...] = ("lda", "nmf", "seeded")
FORMAT_VERSION = 2  # 2: NMF kept as (TfidfTransformer, NMF); n_sample_


class TopicWarning(UserWarning):
    """Something in a topic fit the user should know about (absent seeds, dropped topics)."""


# The defaults of `govtext run`, `govtext topics` and the API, in one place.
DEFAULT_METHOD = "seeded"
DEFAULT_K_RANGE = (2, 8, 2)
# Candidate K (free topics, for seeded) is capped at one topic per this many units: a
# topic needs units to rest on, and ten articles cannot hold twenty topics.
UNITS_PER_TOPIC = 10
SUMMARY_COLUMNS = [
    "topic",
    "label",
    "kind",
    "theme",
    "name",
    "top_terms",
    "prevalence",
    "npmi",
    "c_v",
    "overlap",
    "auc",
    "seeds",
    "missing_seeds",
]
# Units the candidate models (and the chosen one) are fitted on, drawn with the random
# seed: beyond this the cost of choosing K stops growing with the corpus; every unit's
# shares then come from inference under the chosen model.
DEFAULT_SAMPLE_SIZE = 1000


def max_topics(n_units: int) -> int:
    """The largest K worth trying on ``n_units`` units (at least 2).

    >>> max_topics(74), max_topics(6539)
    (7, 653)
    """
    return max(2, n_units // UNITS_PER_TOPIC)


class TopicModel:
    """Topic model over ``Units`` (see ``build_units``).

    Parameters
    ----------
    method : "lda" | "nmf" | "seeded"
    k : int or "auto"
        Number of topics (for ``seeded``: seeded + free). ``"auto"`` fits every K in
        ``range(*k_range)`` and keeps the one ``k_rule`` picks (see ``choose_k``); for
        ``seeded``, ``k_range`` counts the free topics beside the seeded ones.
    n_free : int, optional
        ``seeded`` only: free topics beside the seeded ones; overrides ``k``.
    seeds : mapping topic id → seed words, optional
        ``seeded``: the seeds (default: the theme dictionary at ``seed_level``). ``lda`` and
        ``nmf``: only used to label topics.
    dictionary : theme dictionary, optional
        Source of seeds, theme terms for labels and display names (default:
        ``govtext.themes.load_dictionary()`` when available).
    theme_names : mapping topic id → display name, optional
    seed_weight : float
        Pseudo-counts of all seeds together, as a share of the corpus's tokens, added to the
        seeded topics' prior (``eta``).
    min_seed_count : int
        ``seeded``: a seeded topic whose seeds occur fewer times than this in the units is
        dropped with a warning (a topic cannot be fitted around a word or two; the keyword
        rules still count them).
    seed_noise : float
        Scale of the random start of seeded topics (free topics start at 1). Below 1 the
        seeded topics stay close to their seeds: smaller, purer, less coherent topics.
    label_n, label_threshold : topics are labelled with a theme when the theme's terms carry
        at least ``label_threshold`` of the weight of the topic's top ``label_n`` terms.
    top_n : terms per topic for coherence; ``diversity_n`` terms for diversity.
    passes, iterations, alpha : gensim LDA settings; ``max_iter``: NMF iterations.
    sample_size : int
        The candidate models, and the chosen one, are fitted and scored on at most this
        many units, drawn with ``random_state`` (0: every unit); every unit's shares
        then come from the chosen model by inference. Beyond it, the cost of a fit stops
        growing with the corpus.
    n_threads : int
        Threads for that inference (blocks of units; the shares do not depend on it).
    random_state : int; the same inputs and settings give identical numbers.
    """

    reused_: bool = False  # loaded from a store rather than fitted (fit_topics' cache)
    fit_warnings_: tuple[str, ...] = ()  # what fitting warned about, said again when loaded

    def __init__(
        self,
        method: str = DEFAULT_METHOD,
        k: int | str = "auto",
        *,
        k_range: Sequence[int] = DEFAULT_K_RANGE,
        k_rule: str = "quality",
        n_free: int | None = None,
        seeds: Mapping[str, Sequence[str]] | None = None,
        seed_level: str = "theme",
        dictionary: Any = None,
        theme_names: Mapping[str, str] | None = None,
        seed_weight: float = 0.02,
        seed_noise: float = 1.0,
        min_seed_count: int = 5,
        alpha: str | float = "symmetric",
        passes: int = 10,
        iterations: int = 100,
        max_iter: int = 400,
        sample_size: int = DEFAULT_SAMPLE_SIZE,
        n_threads: int = 2,
        top_n: int = 10,
        diversity_n: int = 25,
        label_n: int = 20,
        label_threshold: float = 0.1,
        random_state: int = 0,
    ) -> None:
        self.method = method
        self.k = k
        self.k_range = k_range
        self.k_rule = k_rule
        self.n_free = n_free
        self.seeds = seeds
        self.seed_level = seed_level
        self.dictionary = dictionary
        self.theme_names = theme_names
        self.seed_weight = seed_weight
        self.seed_noise = seed_noise
        self.min_seed_count = min_seed_count
        self.alpha = alpha
        self.passes = passes
        self.iterations = iterations
        self.max_iter = max_iter
        self.sample_size = sample_size
        self.n_threads = n_threads
        self.top_n = top_n
        self.diversity_n = diversity_n
        self.label_n = label_n
        self.label_threshold = label_threshold
        self.random_state = random_state

    # -- parameters -------------------------------------------------------------------

    def get_params(self) -> dict[str, Any]:
        keys = (
            "method k k_range k_rule n_free seed_level seed_weight seed_noise min_seed_count alpha passes iterations max_iter "
            "top_n diversity_n label_n label_threshold sample_size n_threads random_state"
        ).split()
        return {key: getattr(self, key) for key in keys}

    def set_params(self, **params: Any) -> TopicModel:
        """Change parameters (any ``__init__`` argument); returns ``self``. Refit afterwards."""
        import inspect

        allowed = set(inspect.signature(type(self).__init__).parameters) - {"self"}
        for key, value in params.items():
            if key not in allowed:
                raise ConfigError(f"TopicModel has no parameter {key!r}; valid: {', '.join(sorted(allowed))}")
            setattr(self, key, value)
        return self

    def validate(self) -> None:
        """Raise ConfigError naming the first parameter whose value is not allowed."""
        if self.method not in METHODS:
            raise ConfigError(
                f"The 'method' parameter of TopicModel must be one of {METHODS}. Got {self.method!r}."
            )
        if self.k != "auto" and not (
            isinstance(self.k, int) and not isinstance(self.k, bool) and self.k >= 1
        ):
            raise ConfigError(
                f"The 'k' parameter of TopicModel must be a positive int or 'auto'. Got {self.k!r}."
            )
        if self.k == "auto":
            try:
                ks = list(range(*self.k_range))
            except TypeError:
                ks = []
            if not ks or min(ks) < 1:
                raise ConfigError(
                    "The 'k_range' parameter of TopicModel must be (start, stop[, step]) giving at least one "
                    f"K ≥ 1, as for range(). Got {self.k_range!r}."
                )
        if self.k_rule not in K_RULES:
            raise ConfigError(
                f"The 'k_rule' parameter of TopicModel must be one of {K_RULES}. Got {self.k_rule!r}."
            )
        if self.seed_level not in SEED_LEVELS:
            raise ConfigError(
                f"The 'seed_level' parameter of TopicModel must be one of {SEED_LEVELS}. Got {self.seed_level!r}."
            )
        if not isinstance(self.min_seed_count, int) or self.min_seed_count < 1:
            raise ConfigError(
                f"The 'min_seed_count' parameter of TopicModel must be an int ≥ 1. Got {self.min_seed_count!r}."
            )
        for name in ("sample_size", "n_threads"):
            value = getattr(self, name)
            low = 0 if name == "sample_size" else 1
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ConfigError(
                    f"The {name!r} parameter of TopicModel must be an int ≥ {low}"
                    + (" (0: every unit)" if name == "sample_size" else "")
                    + f". Got {value!r}."
                )
        if self.n_free is not None and (not isinstance(self.n_free, int) or self.n_free < 0):
            raise ConfigError(
                f"The 'n_free' parameter of TopicModel must be an int ≥ 0. Got {self.n_free!r}."
            )

    def _theme_terms(self) -> tuple[dict[str, list[str]], dict[str, str]]:
        """Seeds / label terms and display names, from ``seeds`` or the theme dictionary."""
        dictionary = self.dictionary
        if self.seeds is not None:
            # A bare string is kept as is so resolve_seeds can name the mistake.
            terms: dict[str, Any] = {
                str(k): v if isinstance(v, str) else list(v) for k, v in self.seeds.items()
            }
            names = names_from_dictionary(dictionary, self.seed_level) if dictionary is not None else {}
        else:
            if dictionary is None:
                dictionary = load_theme_dictionary()
            if dictionary is None:
                if self.method == "seeded":
                    raise ConfigError(
                        "TopicModel(method='seeded') needs seed words: pass seeds={topic: [words]} "
                        "or a theme dictionary (govtext.themes is not available)"
                    )
                return {}, {}
            terms = dict(seeds_from_dictionary(dictionary, self.seed_level))
            names = names_from_dictionary(dictionary, self.seed_level)
        names.update({str(k): str(v) for k, v in (self.theme_names or {}).items()})
        return terms, {t: names.get(t, t) for t in terms}

    # -- fitting ----------------------------------------------------------------------

    def fit(self, units: Units) -> TopicModel:
        """Fit on ``units``; with ``k="auto"`` fit every candidate K and keep the chosen one.

        Candidates are fitted on at most ``sample_size`` units drawn with ``random_state``
        (all units when there are fewer) and scored on the same sample; every unit's
        shares then come from the chosen model by inference.
        """
        import numpy as np
        import pandas as pd
        from gensim.corpora import Dictionary

        self.validate()
        if len(units) == 0 or not units.vocabulary:
            raise InputError(
                "TopicModel.fit: the units are empty (no content word survived build_units); "
                "lower min_df, raise max_df or widen keep_pos"
            )
        started = time.perf_counter()
        vocab = list(units.vocabulary)
        index = {w: i for i, w in enumerate(vocab)}
        gdict = Dictionary([vocab])
        # Dictionary assigns ids in sorted order of new tokens, and the vocabulary is sorted.
        if any(gdict.token2id[w] != i for i, w in enumerate(vocab)):
            raise AssertionError("gensim Dictionary ids do not follow the sorted vocabulary")
        counts_all = _count_matrix(units.token_lists, index)
        sample = self._sample(len(units))
        x_sample = counts_all[sample]
        sample_lists = [units.token_lists[i] for i in sample]

        theme_terms, names = self._theme_terms()
        resolved: ResolvedSeeds | None = None
        if self.method == "seeded":
            # seeds are resolved on every unit: the sample must not decide which themes exist
            word_counts = np.asarray(counts_all.sum(axis=0)).ravel()
            counts = {w: int(word_counts[i]) for i, w in enumerate(vocab) if word_counts[i]}
            resolved = resolve_seeds(theme_terms, vocab, counts, self.min_seed_count)
            for topic in resolved.dropped:
                n = resolved.occurrences.get(topic, 0)
                why = (
                    f"its seeds occur only {n} time(s) (min_seed_count={self.min_seed_count}), too few to fit a topic"
                    if n > 0
                    else f"none of its seeds occur in the units ({', '.join(resolved.missing[topic]) or 'no seeds given'})"
                )
                warnings.warn(f"seeded topic {topic!r} dropped: {why}", TopicWarning, stacklevel=2)
            partly = {t: m for t, m in resolved.missing.items() if m and t not in resolved.dropped}
            if partly:
                warnings.warn(
                    "seed words absent from the units (see missing_seeds_): "
                    + "; ".join(
                        f"{t} {len(m)} of {len(m) + len(resolved.present[t])}"
                        + (f" ({', '.join(m)})" if len(m) <= 5 else "")
                        for t, m in partly.items()
                    ),
                    TopicWarning,
                    stacklevel=2,
                )
        candidates = self._candidates(resolved, len(units))
        tfidf: Any = None
        if self.method == "nmf":
            from sklearn.feature_extraction.text import TfidfTransformer

            # idf from every unit, so the sample's weights are the corpus's
            tfidf = TfidfTransformer(sublinear_tf=True).fit(counts_all)
            fit_input: Any = tfidf.transform(x_sample)
        else:
            fit_input = [_bow_rows(x_sample, r) for r in range(x_sample.shape[0])]
        curve: list[tuple[int, TopicQuality]] = []
        fits: dict[int, tuple[Any, np.ndarray, float]] = {}
        for k in candidates:
            t0 = time.perf_counter()
            native, phi = self._fit_one(k, fit_input, vocab, gdict, resolved, x_sample, counts_all)
            seconds = time.perf_counter() - t0
            order = np.argsort(-phi, axis=1, kind="stable")
            top = [[vocab[i] for i in row[: self.top_n]] for row in order]
            longer = [[vocab[i] for i in row[: self.diversity_n]] for row in order]
            quality = unit_coherence(top, sample_lists, diversity_terms=longer)
            curve.append((k, quality))
            fits[k] = (native, phi, seconds)
        chosen = choose_k(curve, self.k_rule)
        native, phi, seconds = fits[chosen]
        fits.clear()
        # Every unit (the sample's too, so all are treated alike) gets its shares from the
        # chosen model by inference.
        if self.method == "nmf":
            native = (tfidf, native)
            theta = _normalise_rows(native[1].transform(tfidf.transform(counts_all)))
        else:
            theta = _lda_infer(
                counts_all,
                np.asarray(native.expElogbeta, dtype=float),
                np.asarray(native.alpha, dtype=float),
                random_state=self.random_state,
                iterations=self.iterations,
                threads=self.n_threads,
            )
        quality_by_k = dict(curve)

        self.k_ = chosen
        self.model_ = native
        self.dictionary_ = gdict
        self.vocabulary_ = tuple(vocab)
        self.topic_term_ = phi
        self.doc_topic_ = theta
        self.unit_ids_ = tuple(units.unit_ids)
        self.doc_ids_ = tuple(units.doc_ids)
        self.units_settings_ = dict(units.settings)
        self.units_hash_ = units.hash()
        self.n_sample_ = len(sample)
        self.quality_ = quality_by_k[chosen]
        self.fit_seconds_ = seconds
        self.total_seconds_ = time.perf_counter() - started
        self.k_curve_ = pd.DataFrame(
            [
                {
                    "k": k,
                    "npmi": q.npmi,
                    "c_v": q.c_v,
                    "diversity": q.diversity,
                    "quality": q.quality,
                    "chosen": k == chosen,
                }
                for k, q in curve
            ]
        )
        seeded = list(resolved.topics) if resolved else []
        self.seed_topics_ = tuple(seeded)
        self.n_seeded_ = len(seeded)
        self.n_free_ = chosen - len(seeded)
        self.seeds_used_ = {t: tuple(resolved.present[t]) for t in seeded} if resolved else {}
        self.missing_seeds_ = {t: tuple(m) for t, m in resolved.missing.items() if m} if resolved else {}
        self.dropped_topics_ = tuple(resolved.dropped) if resolved else ()
        self.theme_terms_ = {t: tuple(v) for t, v in theme_terms.items()}
        self.theme_names_ = dict(names)
        self._label()
        if self.method == "seeded" and self.n_free_ == 0:
            warnings.warn(
                f"no free topics beside the {self.n_seeded_} seeded ones (k={self.k!r}): the corpus's common "
                "content has nowhere to go but the seeded topics; give n_free or a larger k",
                TopicWarning,
                stacklevel=2,
            )
        lost = [
            self.seed_topics_[t]
            for t in range(self.n_seeded_)
            if not {term for term, _ in self._top(t, self.label_n)}
            & set(self.seeds_used_[self.seed_topics_[t]])
        ]
        if lost:
            warnings.warn(
                f"seeded topic(s) {', '.join(lost)} have none of their seeds among their top {self.label_n} "
                "terms: the seeds are too rare here to hold a topic (raise seed_weight, lower seed_noise "
                "or add free topics)",
                TopicWarning,
                stacklevel=2,
            )
        return self

    def _candidates(self, resolved: ResolvedSeeds | None, n_units: int | None = None) -> list[int]:
        n_seeded = len(resolved.topics) if resolved else 0
        cap = max_topics(n_units) if n_units is not None and self.k == "auto" else None
        if self.method == "seeded":
            declared = len(resolved.topics) + len(resolved.dropped) if resolved else 0
            if self.n_free is not None:
                ks = [n_seeded + self.n_free]
            elif self.k == "auto":
                # The seeded topics are fixed by the dictionary; what K chooses is how many
                # free topics sit beside them (too few, and common content fills the seeded ones).
                frees = list(range(*self.k_range))
                if cap is not None:  # free topics scaled to the units there are
                    frees = [f for f in frees if f <= cap] or [min(frees[0], cap)]
                ks = [n_seeded + f for f in frees]
            else:
                ks = [n_seeded + max(int(self.k) - declared, 0)]
        else:
            ks = list(range(*self.k_range)) if self.k == "auto" else [int(self.k)]
            if cap is not None:
                ks = [k for k in ks if k <= cap] or [min(ks[0], cap)]
        ks = sorted(set(ks))
        if not ks or ks[0] < 1:
            raise ConfigError(
                "TopicModel: no topic left to fit (every seeded topic was dropped and n_free is 0); "
                "give n_free ≥ 1 or seeds that occur in the corpus"
            )
        return ks

    def _sample(self, n: int) -> Any:
        """Sorted indices of the units the candidates are fitted on (all when ``n`` ≤ the cap)."""
        import numpy as np

        cap = self.sample_size
        if not cap or n <= cap:
            return np.arange(n)
        rng = np.random.default_rng(self.random_state)
        return np.sort(rng.choice(n, size=int(cap), replace=False))

    def _fit_one(
        self,
        k: int,
        fit_input: Any,
        vocab: list[str],
        gdict: Any,
        resolved: ResolvedSeeds | None,
        counts: Any,
        counts_all: Any = None,
    ) -> tuple[Any, np.ndarray]:
        """One model at ``k`` on the sample (``counts``): the native model and its topic ×
        term weights. ``counts_all`` (every unit) gives the seeded start its weight."""
        import numpy as np

        if self.method == "nmf":
            from sklearn.decomposition import NMF

            nmf = NMF(n_components=k, init="nndsvda", max_iter=self.max_iter, random_state=self.random_state)
            nmf.fit(fit_input)
            return nmf, _normalise_rows(nmf.components_)

        from gensim.models import LdaModel

        bow = fit_input
        n_tokens = int(counts.sum())
        eta: Any = None
        if self.method == "seeded" and resolved is not None:
            eta = seed_prior(resolved, vocab, k, n_tokens, weight=self.seed_weight, base=1.0 / k)
        # One chunk holding every unit of the sample makes the result independent of
        # chunking; the sample is capped, so it fits in memory.
        lda = LdaModel(
            corpus=None,
            id2word=gdict,
            num_topics=k,
            alpha=self.alpha,
            eta=eta,
            passes=self.passes,
            iterations=self.iterations,
            chunksize=max(len(bow), 1),
            update_every=1,
            eval_every=None,
            random_state=self.random_state,
        )
        if eta is not None and resolved is not None:
            # Start as seeded LDA's Gibbs samplers do: every occurrence of a seed word is first
            # assigned to the topic(s) it seeds, so the first E-step already pulls passages
            # using the seeds, and their other words, into those topics.
            from gensim.matutils import dirichlet_expectation

            index = {w: i for i, w in enumerate(vocab)}
            # The seeds' occurrences in every unit, not only the sample's: the random start
            # (about 1 per topic and word) does not shrink with the sample, and the seeds
            # must outweigh it as they do on the whole corpus.
            source = counts_all if counts_all is not None else counts
            word_counts = np.asarray(source.sum(axis=0)).ravel().astype(float)
            n_seeding: dict[str, int] = {}
            for seeded_topic in resolved.topics:
                for w in resolved.present[seeded_topic]:
                    n_seeding[w] = n_seeding.get(w, 0) + 1
            # Damp the random start of seeded topics so that, at first, they are their seeds.
            lda.state.sstats[: len(resolved.topics)] *= self.seed_noise
            for t, topic in enumerate(resolved.topics):
                for w in resolved.present[topic]:
                    lda.state.sstats[t, index[w]] += word_counts[index[w]] / n_seeding[w]
            lda.expElogbeta = np.exp(dirichlet_expectation(lda.state.sstats)).astype(lda.dtype)
        # gensim's E-step, by blocks of units (see _gensim_block_inference); removed before
        # the model is kept, so it saves, pickles and loads as a plain LdaModel.
        lda.inference = functools.partial(_gensim_block_inference, lda)
        try:
            lda.update(bow)
        finally:
            del lda.inference
        return lda, np.asarray(lda.get_topics(), dtype=float)

    def transform(self, units: Units) -> np.ndarray:
        """Topic shares (units × topics) of new units under the fitted model."""
        import numpy as np

        self._check_fitted()
        if self.model_ is None:
            raise NotFittedError("TopicModel.transform: this model was loaded without its native model file")
        index = {w: i for i, w in enumerate(self.vocabulary_)}
        # words the model never saw carry no topic information
        lists = [tuple(w for w in toks if w in index) for toks in units.token_lists]
        counts = _count_matrix(lists, index)
        if self.method == "nmf":
            tfidf, nmf = self.model_
            return _normalise_rows(nmf.transform(tfidf.transform(counts)))
        return _lda_infer(
            counts,
            np.asarray(self.model_.expElogbeta, dtype=float),
            np.asarray(self.model_.alpha, dtype=float),
            random_state=self.random_state,
            iterations=self.iterations,
            threads=self.n_threads,
        )

    # -- labels and tables ------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "topic_term_"):
            raise NotFittedError("This TopicModel is not fitted yet; call fit(units) first")

    def _top(self, t: int, n: int) -> list[tuple[str, float]]:
        import numpy as np

        row = self.topic_term_[t]
        idx = np.argsort(-row, kind="stable")[:n]
        return [(self.vocabulary_[i], float(row[i])) for i in idx]

    def _label(self) -> None:
        """Kind, theme, overlap and a unique label per topic."""
        labels: list[dict[str, Any]] = []
        for t in range(self.k_):
            top = self._top(t, self.label_n)
            total = sum(w for _, w in top) or 1.0
            overlaps = {
                theme: sum(w for term, w in top if term in set(terms)) / total
                for theme, terms in self.theme_terms_.items()
            }
            best = max(overlaps, key=lambda th: (overlaps[th], -list(overlaps).index(th)), default="")
            words = "·".join(term for term, _ in top[:3])
            if t < self.n_seeded_:
                theme = self.seed_topics_[t]
                kind, label = "seeded", self.theme_names_.get(theme, theme)
                overlap = overlaps.get(theme, 0.0)
            elif best and overlaps[best] >= self.label_threshold:
                kind, theme, overlap = "free", best, overlaps[best]
                label = self.theme_names_.get(best, best)
            else:
                kind, theme, overlap, label = "free", "", overlaps.get(best, 0.0), words
            labels.append({"kind": kind, "theme": theme, "overlap": overlap, "label": label, "words": words})
        seen: dict[str, int] = {}
        for row in labels:
            seen[row["label"]] = seen.get(row["label"], 0) + 1
        for row in labels:
            if seen[row["label"]] > 1 and row["theme"]:
                row["label"] = f"{row['label']}: {row['words']}"
        self.topic_labels_ = tuple(row["label"] for row in labels)
        self._label_rows = labels

    def check_names(self, presence: Mapping[str, Collection[str]], *, min_auc: float = 0.85) -> TopicModel:
        """Keep a theme's name only on topics that earn it.

        A topic named for a theme (seeded with its seeds, or free with its terms on top)
        keeps the name when the theme's seeds or terms are among its top ``label_n``
        terms AND its share in each unit agrees with the rules: the ROC AUC of the
        topic's unit shares against the theme's presence by rule hits (``presence``:
        unit id → themes the rules found there) is at least ``min_auc``. A topic that
        fails is labelled by its top terms, kind ``seeded (unnamed)`` or ``free``, and
        listed in ``name_checks_`` and ``renamed_``; no table then carries the theme's
        name on it.
        """
        import math

        import pandas as pd
        from sklearn.metrics import roc_auc_score

        self._check_fitted()
        checks = []
        renamed = []
        for t, row in enumerate(self._label_rows):
            theme = row.get("named_for", row["theme"])
            if not theme:
                continue
            y = [theme in presence.get(uid, ()) for uid in self.unit_ids_]
            n_pos = sum(y)
            auc = float(roc_auc_score(y, self.doc_topic_[:, t])) if 0 < n_pos < len(y) else math.nan
            terms = set(self.seeds_used_.get(theme, ())) | set(self.theme_terms_.get(theme, ()))
            on_top = bool({term for term, _ in self._top(t, self.label_n)} & terms)
            named = on_top and not math.isnan(auc) and auc >= min_auc
            checks.append(
                {
                    "topic": t,
                    "theme": theme,
                    "seeds_on_top": on_top,
                    "auc": auc,
                    "units_with_theme": n_pos,
                    "named": named,
                }
            )
            row["auc"] = auc
            row["named_for"] = theme
            if not named:
                row["theme"] = ""
                row["label"] = row["words"]
                if row["kind"] == "seeded":
                    row["kind"] = "seeded (unnamed)"
                why = (
                    "its seeds are not among its top terms"
                    if not on_top
                    else (
                        f"ROC AUC {auc:.2f} < {min_auc} against the rule hits"
                        if not math.isnan(auc)
                        else "no unit holds the theme by the rules"
                    )
                )
                renamed.append((t, theme, why))
        seen: dict[str, int] = {}
        for row in self._label_rows:
            seen[row["label"]] = seen.get(row["label"], 0) + 1
        for i, row in enumerate(self._label_rows):
            if seen[row["label"]] > 1 and not row["label"].endswith(f"#{i}"):
                row["label"] = (
                    f"{row['label']} #{i}" if not row["theme"] else f"{row['label']}: {row['words']}"
                )
        self.topic_labels_ = tuple(row["label"] for row in self._label_rows)
        self.name_checks_ = pd.DataFrame(
            checks, columns=["topic", "theme", "seeds_on_top", "auc", "units_with_theme", "named"]
        )
        self.renamed_ = tuple(renamed)
        self.min_auc_ = min_auc
        return self

    def topic_terms(self, n: int = 10) -> pd.DataFrame:
        """Long table ``topic, label, rank, term, weight`` of each topic's top ``n`` terms."""
        import pandas as pd

        self._check_fitted()
        rows = [
            {"topic": t, "label": self.topic_labels_[t], "rank": r + 1, "term": term, "weight": w}
            for t in range(self.k_)
            for r, (term, w) in enumerate(self._top(t, n))
        ]
        return pd.DataFrame(rows, columns=["topic", "label", "rank", "term", "weight"])

    @property
    def doc_topics_(self) -> pd.DataFrame:
        """Long table ``unit_id, doc_id, topic, share``: one row per unit and topic."""
        return self.doc_topics(wide=False)

    def doc_topics(self, wide: bool = False) -> pd.DataFrame:
        """Unit × topic shares: long (default) or wide (index ``unit_id``, a ``doc_id`` column, one column per topic)."""
        import numpy as np
        import pandas as pd

        self._check_fitted()
        n_units, k = self.doc_topic_.shape
        if wide:
            frame = pd.DataFrame(self.doc_topic_, columns=list(range(k)))
            frame.insert(0, "doc_id", list(self.doc_ids_))
            frame.index = pd.Index(list(self.unit_ids_), name="unit_id")
            return frame
        return pd.DataFrame(
            {
                "unit_id": np.repeat(np.asarray(self.unit_ids_, dtype=object), k),
                "doc_id": np.repeat(np.asarray(self.doc_ids_, dtype=object), k),
                "topic": np.tile(np.arange(k), n_units),
                "share": self.doc_topic_.reshape(-1),
            }
        )

    def summary(self, n: int = 10) -> pd.DataFrame:
        """One row per topic: label, kind (seeded/free), theme and its name (NA for none),
        top terms, prevalence, coherence."""
        import pandas as pd

        self._check_fitted()
        prevalence = self.doc_topic_.mean(axis=0) if len(self.doc_topic_) else [0.0] * self.k_
        rows = []
        for t, info in enumerate(self._label_rows):
            theme = info["theme"]
            seeded = info["kind"] == "seeded"
            rows.append(
                {
                    "topic": t,
                    "label": self.topic_labels_[t],
                    "kind": info["kind"],
                    # the theme id and its Chinese name, as in every table; NA for none
                    "theme": theme or None,
                    "name": self.theme_names_.get(theme, theme) if theme else None,
                    "top_terms": " ".join(term for term, _ in self._top(t, n)),
                    "prevalence": float(prevalence[t]),
                    "npmi": self.quality_.npmi_per_topic[t],
                    "c_v": self.quality_.c_v_per_topic[t],
                    "overlap": float(info["overlap"]),
                    "auc": float(info.get("auc", float("nan"))),
                    # word lists: a free topic's is empty ('')
                    "seeds": " ".join(self.seeds_used_.get(theme, ())) if seeded else "",
                    "missing_seeds": " ".join(self.missing_seeds_.get(theme, ())) if seeded else "",
                }
            )
        return pd.DataFrame(rows, columns=SUMMARY_COLUMNS).astype(
            {c: "str" for c in ("label", "kind", "theme", "name", "top_terms", "seeds", "missing_seeds")}
        )

    def prevalence_by(self, documents: pd.DataFrame, field: str) -> pd.DataFrame:
        """Mean topic share of the units in each group of ``documents[field]``.

        ``documents`` has one row per document with a ``doc_id`` column (``Corpus.to_frame()``).
        Returns ``<field>, topic, label, prevalence, n_units`` (long), the field under its
        own name and typed as in ``govtext.compare.theme_density`` (a year is ``Int64``,
        a missing value NA).
        """
        self._check_fitted()
        if "doc_id" not in documents.columns or field not in documents.columns:
            have = ", ".join(map(str, documents.columns))
            raise InputError(
                f"prevalence_by: the documents table needs columns 'doc_id' and {field!r}; it has: {have}"
            )
        from govtext.compare import MISSING_GROUP, _name_group, group_labels, group_order

        labels = group_labels(documents.drop_duplicates("doc_id"), field)
        long = self.doc_topics_
        long["group"] = long["doc_id"].map(labels).fillna(MISSING_GROUP)
        out = (
            long.groupby(["group", "topic"], sort=False)
            .agg(prevalence=("share", "mean"), n_units=("unit_id", "nunique"))
            .reset_index()
        )
        rank = {g: i for i, g in enumerate(group_order(out["group"]))}
        out = out.sort_values(["group", "topic"], key=lambda c: c.map(rank) if c.name == "group" else c)
        out.insert(2, "label", [self.topic_labels_[t] for t in out["topic"]])
        # the field under its own name, typed like every grouped table (years as Int64)
        return _name_group(out.reset_index(drop=True), field, "topic_prevalence")

    def settings(self) -> dict[str, Any]:
        """Parameters and what the fit found, JSON-ready for run.json."""
        import gensim
        import sklearn

        out: dict[str, Any] = {"component": "TopicModel", **self.get_params()}
        out["k_range"] = list(self.k_range)
        out["versions"] = {"gensim": gensim.__version__, "scikit-learn": sklearn.__version__}
        if hasattr(self, "k_"):
            out.update(
                {
                    "k_chosen": int(self.k_),
                    "n_seeded": self.n_seeded_,
                    "n_free": self.n_free_,
                    "seed_topics": list(self.seed_topics_),
                    "seeds_used": {t: list(v) for t, v in self.seeds_used_.items()},
                    "dropped_topics": list(self.dropped_topics_),
                    "missing_seeds": {t: list(m) for t, m in self.missing_seeds_.items()},
                    "npmi": self.quality_.npmi,
                    "c_v": self.quality_.c_v,
                    "diversity": self.quality_.diversity,
                    "units": dict(self.units_settings_),
                    "units_hash": self.units_hash_,
                    "fit_seconds": round(self.fit_seconds_, 3),
                    "n_sample": self.n_sample_,
                }
            )
        return _jsonable(out)

    # -- persistence ------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the fitted model to directory ``path`` (created): model.json, arrays.npz and
        the native gensim/scikit-learn model. Load with ``TopicModel.load(path)``."""
        import numpy as np

        self._check_fitted()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        state = {
            "format": FORMAT_VERSION,
            "params": _jsonable({**self.get_params(), "k_range": list(self.k_range)}),
            "seeds": {k: list(v) for k, v in self.seeds.items()} if self.seeds is not None else None,
            "theme_names_param": dict(self.theme_names) if self.theme_names else None,
            "fitted": _jsonable(
                {
                    "k_": self.k_,
                    "vocabulary_": list(self.vocabulary_),
                    "unit_ids_": list(self.unit_ids_),
                    "doc_ids_": list(self.doc_ids_),
                    "units_settings_": self.units_settings_,
                    "units_hash_": self.units_hash_,
                    "n_sample_": self.n_sample_,
                    "seed_topics_": list(self.seed_topics_),
                    "seeds_used_": {k: list(v) for k, v in self.seeds_used_.items()},
                    "missing_seeds_": {k: list(v) for k, v in self.missing_seeds_.items()},
                    "dropped_topics_": list(self.dropped_topics_),
                    "theme_terms_": {k: list(v) for k, v in self.theme_terms_.items()},
                    "theme_names_": self.theme_names_,
                    "fit_seconds_": self.fit_seconds_,
                    "total_seconds_": self.total_seconds_,
                    "quality_": {
                        "npmi": self.quality_.npmi,
                        "c_v": self.quality_.c_v,
                        "diversity": self.quality_.diversity,
                        "npmi_per_topic": list(self.quality_.npmi_per_topic),
                        "c_v_per_topic": list(self.quality_.c_v_per_topic),
                    },
                    "k_curve_": self.k_curve_.to_dict(orient="list"),
                }
            ),
        }
        (path / "model.json").write_text(json.dumps(state, ensure_ascii=False, indent=1), encoding="utf-8")
        np.savez_compressed(path / "arrays.npz", topic_term=self.topic_term_, doc_topic=self.doc_topic_)
        if self.method == "nmf":
            with open(path / "nmf.pkl", "wb") as f:
                pickle.dump(self.model_, f)
        else:
            self.model_.save(str(path / "lda.gensim"))
        return path

    @classmethod
    def load(cls, path: str | Path) -> TopicModel:
        """Read a model written by ``save``. The native model is unpickled: load only your own files."""
        import numpy as np
        import pandas as pd
        from gensim.corpora import Dictionary

        path = Path(path)
        meta = path / "model.json"
        if not meta.is_file():
            raise InputError(f"TopicModel.load: {meta} not found; give the directory TopicModel.save wrote")
        state = json.loads(meta.read_text(encoding="utf-8"))
        if state.get("format") != FORMAT_VERSION:
            raise InputError(
                f"TopicModel.load: {meta} has format {state.get('format')!r}, expected {FORMAT_VERSION}"
            )
        params = dict(state["params"])
        params["k_range"] = tuple(params["k_range"])
        model = cls(**params, seeds=state["seeds"], theme_names=state["theme_names_param"])
        fitted = state["fitted"]
        arrays = np.load(path / "arrays.npz")
        model.k_ = int(fitted["k_"])
        model.vocabulary_ = tuple(fitted["vocabulary_"])
        model.unit_ids_ = tuple(fitted["unit_ids_"])
        model.doc_ids_ = tuple(fitted["doc_ids_"])
        model.units_settings_ = fitted["units_settings_"]
        model.units_hash_ = fitted["units_hash_"]
        model.n_sample_ = int(fitted["n_sample_"])
        model.seed_topics_ = tuple(fitted["seed_topics_"])
        model.n_seeded_ = len(model.seed_topics_)
        model.n_free_ = model.k_ - model.n_seeded_
        model.seeds_used_ = {k: tuple(v) for k, v in fitted["seeds_used_"].items()}
        model.missing_seeds_ = {k: tuple(v) for k, v in fitted["missing_seeds_"].items()}
        model.dropped_topics_ = tuple(fitted["dropped_topics_"])
        model.theme_terms_ = {k: tuple(v) for k, v in fitted["theme_terms_"].items()}
        model.theme_names_ = dict(fitted["theme_names_"])
        model.fit_seconds_ = float(fitted["fit_seconds_"])
        model.total_seconds_ = float(fitted["total_seconds_"])
        q = fitted["quality_"]
        model.quality_ = TopicQuality(
            npmi=q["npmi"],
            c_v=q["c_v"],
            diversity=q["diversity"],
            npmi_per_topic=tuple(q["npmi_per_topic"]),
            c_v_per_topic=tuple(q["c_v_per_topic"]),
        )
        model.k_curve_ = pd.DataFrame(fitted["k_curve_"])
        model.topic_term_ = arrays["topic_term"]
        model.doc_topic_ = arrays["doc_topic"]
        model.dictionary_ = Dictionary([list(model.vocabulary_)])
        if model.method == "nmf":
            native = path / "nmf.pkl"
            with open(native, "rb") as f:
                model.model_ = pickle.load(f)
        else:
            from gensim.models import LdaModel

            model.model_ = LdaModel.load(str(path / "lda.gensim"))
        model._label()
        return model


def _normalise_rows(m: Any) -> np.ndarray:
    import numpy as np

    m = np.asarray(m, dtype=float)
    sums = m.sum(axis=1, keepdims=True)
    return np.divide(m, sums, out=np.zeros_like(m), where=sums > 0)


def _jsonable(obj: Any) -> Any:
    """Plain JSON types (numpy scalars, tuples and NaN made safe)."""
    import math

    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _count_matrix(token_lists: Sequence[Sequence[str]], index: Mapping[str, int]) -> Any:
    """Units × vocabulary counts (CSR, sorted column indices), every token in ``index``."""
    import numpy as np
    from scipy.sparse import csr_matrix

    indptr = np.zeros(len(token_lists) + 1, dtype=np.int64)
    np.cumsum([len(t) for t in token_lists], out=indptr[1:])
    cols = np.fromiter(
        (index[w] for toks in token_lists for w in toks), dtype=np.int64, count=int(indptr[-1])
    )
    x = csr_matrix((np.ones(len(cols), dtype=np.float64), cols, indptr), shape=(len(token_lists), len(index)))
    x.sum_duplicates()  # also sorts the indices
    return x


def _bow_rows(x: Any, r: int) -> list[tuple[int, int]]:
    """Row ``r`` of a count matrix as a gensim bag of words."""
    a, b = x.indptr[r], x.indptr[r + 1]
    return list(zip(x.indices[a:b].tolist(), x.data[a:b].astype(int).tolist(), strict=True))


def _lda_infer(
    counts: Any,
    exp_elog_beta: Any,
    alpha: Any,
    *,
    random_state: int,
    iterations: int = 50,
    gamma_threshold: float = 0.001,
    chunk_units: int = 2048,
    threads: int = 1,
    progress: Any = None,
) -> np.ndarray:
    """Topic shares of every unit under a fitted LDA: gensim's variational E-step, run on
    a block of units at once with sparse products instead of one unit at a time.

    The same update as ``LdaModel.inference`` (start from Gamma(100, 1/100) draws, stop a
    unit when its mean change falls below ``gamma_threshold``). Each unit's start comes
    from one draw over all units and each unit stops on its own change, so a unit's
    shares depend neither on the block size nor on the other units.
    """
    import numpy as np

    gamma = np.random.RandomState(random_state).gamma(
        100.0, 1.0 / 100.0, (counts.shape[0], exp_elog_beta.shape[0])
    )
    _block_estep(
        counts,
        exp_elog_beta,
        alpha,
        gamma,
        iterations=iterations,
        gamma_threshold=gamma_threshold,
        chunk_units=chunk_units,
        threads=threads,
        progress=progress,
    )
    return _normalise_rows(gamma)


def _block_estep(
    counts: Any,
    exp_elog_beta: Any,
    alpha: Any,
    gamma_all: Any,
    *,
    iterations: int,
    gamma_threshold: float,
    chunk_units: int = 2048,
    threads: int = 1,
    progress: Any = None,
    collect_sstats: bool = False,
) -> Any:
    """The E-step over ``counts`` (units × vocabulary), updating ``gamma_all`` in place;
    with ``collect_sstats`` it returns Σ_d exp(E[log θ_d])ᵀ (n_dw / φnorm_dw), the
    sufficient statistics gensim's ``inference`` collects (before its × exp(E[log β]))."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from scipy.special import psi

    n = counts.shape[0]
    # float32 in the inner products halves the memory traffic (gensim fits in float32 too);
    # gamma, the running sum, stays float64.
    beta_t = np.ascontiguousarray(exp_elog_beta.T, dtype=np.float32)  # vocabulary × topics
    alpha = np.asarray(alpha, dtype=float)

    def exp_elog(g: Any) -> Any:
        return np.exp(psi(g) - psi(g.sum(axis=1))[:, None])

    def ratios(block: Any, th: Any) -> Any:
        """n_dw / Σ_k θ_dk β_kw at the block's nonzeros, as a sparse matrix."""
        rows = np.repeat(np.arange(block.shape[0]), np.diff(block.indptr))
        phinorm = np.einsum("ij,ij->i", th[rows], beta_t[block.indices]) + 1e-100
        return csr_matrix(
            ((block.data / phinorm).astype(np.float32), block.indices, block.indptr), shape=block.shape
        )

    def block_estep(start: int, stop: int) -> tuple[int, Any]:
        block = counts[start:stop]
        gamma = gamma_all[start:stop]  # a view: updated in place
        theta = exp_elog(gamma).astype(np.float32)
        active = np.arange(stop - start)
        for _ in range(max(iterations, 1)):
            th = theta[active]
            new = alpha + th * (ratios(block[active], th) @ beta_t)
            change = np.abs(new - gamma[active]).mean(axis=1)
            gamma[active] = new
            theta[active] = exp_elog(new)
            active = active[change >= gamma_threshold]
            if not len(active):
                break
        sstats = None
        if collect_sstats:
            sstats = np.asarray((ratios(block, theta).T @ theta).T, dtype=float)  # topics × vocabulary
        return stop - start, sstats

    blocks = [(a, min(a + chunk_units, n)) for a in range(0, n, chunk_units)]
    total: Any = None
    if threads > 1 and len(blocks) > 1:
        # numpy and scipy's sparse products release the GIL on arrays this size, so two
        # threads use two cores without forking (a store's DuckDB threads may be running).
        # Blocks write disjoint rows and are summed in order: the result does not depend
        # on the thread count.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=threads) as pool:
            results = pool.map(lambda ab: block_estep(*ab), blocks)
            for done, sstats in results:
                total = sstats if total is None else total + sstats if sstats is not None else total
                if progress is not None:
                    progress(done)
    else:
        for a, b in blocks:
            done, sstats = block_estep(a, b)
            total = sstats if total is None else total + sstats if sstats is not None else total
            if progress is not None:
                progress(done)
    return total


def _gensim_block_inference(lda: Any, chunk: Any, collect_sstats: bool = False) -> tuple[Any, Any]:
    """``LdaModel.inference`` by blocks (``_block_estep``): the same update and stopping
    rule, for the fit's E-steps, some two to three times faster than gensim's loop over
    documents. Installed on the instance only while it is fitted."""
    import numpy as np
    from scipy.sparse import csr_matrix

    docs = list(chunk)
    indptr = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum([len(d) for d in docs], out=indptr[1:])
    cols = np.fromiter((i for d in docs for i, _ in d), dtype=np.int64, count=int(indptr[-1]))
    vals = np.fromiter((c for d in docs for _, c in d), dtype=np.float64, count=int(indptr[-1]))
    counts = csr_matrix((vals, cols, indptr), shape=(len(docs), lda.num_terms))
    gamma = lda.random_state.gamma(100.0, 1.0 / 100.0, (len(docs), lda.num_topics))
    sstats = _block_estep(
        counts,
        np.asarray(lda.expElogbeta, dtype=float),
        lda.alpha,
        gamma,
        iterations=lda.iterations,
        gamma_threshold=lda.gamma_threshold,
        collect_sstats=collect_sstats,
    )
    if collect_sstats:
        sstats = (sstats * lda.expElogbeta).astype(lda.dtype, copy=False)
    return gamma.astype(lda.dtype, copy=False), sstats
