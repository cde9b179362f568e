"""Fitting the topic models: the candidate K, the sample, one model per K and the seeded start.

``TopicModel.fit`` calls these in order: ``sample_indices`` (the units the candidates are
fitted on), ``warn_about_seeds`` (seeded: which themes could not be fitted),
``candidate_ks``, then ``fit_one`` per K and ``select_k`` to score them on the sample.
Each takes plain parameters, so a fit can be followed without the estimator around it.
"""

from __future__ import annotations

import functools
import time
import warnings
from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from govtext.errors import ConfigError
from govtext.topics.inference import gensim_block_inference, normalise_rows
from govtext.topics.quality import K_RULES, TopicQuality, choose_k, unit_coherence
from govtext.topics.seeds import SEED_LEVELS, ResolvedSeeds, seed_prior

if TYPE_CHECKING:
    import numpy as np

METHODS: tuple[str, ...] = ("lda", "nmf", "seeded")
# Candidate K (free topics, for seeded) is capped at one topic per this many units: a
# topic needs units to rest on, and ten articles cannot hold twenty topics.
UNITS_PER_TOPIC = 10


class TopicWarning(UserWarning):
    """Something in a topic fit the user should know about (absent seeds, dropped topics)."""


def max_topics(n_units: int) -> int:
    """The largest K worth trying on ``n_units`` units (at least 2).

    >>> max_topics(74), max_topics(6539)
    (7, 653)
    """
    return max(2, n_units // UNITS_PER_TOPIC)


def check_params(params: Mapping[str, Any]) -> None:
    """Raise ConfigError naming the first TopicModel parameter (``get_params()``) whose value
    is not allowed."""
    p = SimpleNamespace(**params)
    if p.method not in METHODS:
        raise ConfigError(f"The 'method' parameter of TopicModel must be one of {METHODS}. Got {p.method!r}.")
    if p.k != "auto" and not (isinstance(p.k, int) and not isinstance(p.k, bool) and p.k >= 1):
        raise ConfigError(f"The 'k' parameter of TopicModel must be a positive int or 'auto'. Got {p.k!r}.")
    if p.k == "auto":
        try:
            ks = list(range(*p.k_range))
        except TypeError:
            ks = []
        if not ks or min(ks) < 1:
            raise ConfigError(
                "The 'k_range' parameter of TopicModel must be (start, stop[, step]) giving at least one "
                f"K ≥ 1, as for range(). Got {p.k_range!r}."
            )
    if p.k_rule not in K_RULES:
        raise ConfigError(f"The 'k_rule' parameter of TopicModel must be one of {K_RULES}. Got {p.k_rule!r}.")
    if p.seed_level not in SEED_LEVELS:
        raise ConfigError(
            f"The 'seed_level' parameter of TopicModel must be one of {SEED_LEVELS}. Got {p.seed_level!r}."
        )
    if not isinstance(p.min_seed_count, int) or p.min_seed_count < 1:
        raise ConfigError(
            f"The 'min_seed_count' parameter of TopicModel must be an int ≥ 1. Got {p.min_seed_count!r}."
        )
    for name in ("sample_size", "n_threads"):
        value = getattr(p, name)
        low = 0 if name == "sample_size" else 1
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ConfigError(
                f"The {name!r} parameter of TopicModel must be an int ≥ {low}"
                + (" (0: every unit)" if name == "sample_size" else "")
                + f". Got {value!r}."
            )
    if p.n_free is not None and (not isinstance(p.n_free, int) or p.n_free < 0):
        raise ConfigError(f"The 'n_free' parameter of TopicModel must be an int ≥ 0. Got {p.n_free!r}.")


def sample_indices(n: int, cap: int, random_state: int) -> Any:
    """Sorted indices of the units the candidates are fitted on (all when ``n`` ≤ ``cap``; 0: all)."""
    import numpy as np

    if not cap or n <= cap:
        return np.arange(n)
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(n, size=int(cap), replace=False))


def warn_about_seeds(resolved: ResolvedSeeds, min_seed_count: int) -> None:
    """A TopicWarning for each seeded topic dropped, and one for seeds absent from the units."""
    for topic in resolved.dropped:
        n = resolved.occurrences.get(topic, 0)
        why = (
            f"its seeds occur only {n} time(s) (min_seed_count={min_seed_count}), too few to fit a topic"
            if n > 0
            else f"none of its seeds occur in the units ({', '.join(resolved.missing[topic]) or 'no seeds given'})"
        )
        warnings.warn(f"seeded topic {topic!r} dropped: {why}", TopicWarning, stacklevel=3)
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
            stacklevel=3,
        )


def candidate_ks(
    method: str,
    k: int | str,
    k_range: Sequence[int],
    n_free: int | None,
    resolved: ResolvedSeeds | None,
    n_units: int | None = None,
) -> list[int]:
    """The K to fit: one, or (``k="auto"``) each of ``range(*k_range)`` up to ``max_topics``;
    for ``seeded`` K counts the seeded topics plus the free ones the range names."""
    n_seeded = len(resolved.topics) if resolved else 0
    cap = max_topics(n_units) if n_units is not None and k == "auto" else None
    if method == "seeded":
        declared = len(resolved.topics) + len(resolved.dropped) if resolved else 0
        if n_free is not None:
            ks = [n_seeded + n_free]
        elif k == "auto":
            # The seeded topics are fixed by the dictionary; what K chooses is how many
            # free topics sit beside them (too few, and common content fills the seeded ones).
            frees = list(range(*k_range))
            if cap is not None:  # free topics scaled to the units there are
                frees = [f for f in frees if f <= cap] or [min(frees[0], cap)]
            ks = [n_seeded + f for f in frees]
        else:
            ks = [n_seeded + max(int(k) - declared, 0)]
    else:
        ks = list(range(*k_range)) if k == "auto" else [int(k)]
        if cap is not None:
            ks = [x for x in ks if x <= cap] or [min(ks[0], cap)]
    ks = sorted(set(ks))
    if not ks or ks[0] < 1:
        raise ConfigError(
            "TopicModel: no topic left to fit (every seeded topic was dropped and n_free is 0); "
            "give n_free ≥ 1 or seeds that occur in the corpus"
        )
    return ks


def fit_nmf(k: int, tfidf_rows: Any, *, max_iter: int, random_state: int) -> tuple[Any, np.ndarray]:
    """scikit-learn NMF at ``k`` on TF-IDF rows: the model and its topic × term weights."""
    from sklearn.decomposition import NMF

    nmf = NMF(n_components=k, init="nndsvda", max_iter=max_iter, random_state=random_state)
    nmf.fit(tfidf_rows)
    return nmf, normalise_rows(nmf.components_)


def fit_lda(
    k: int,
    bow: list[list[tuple[int, int]]],
    gdict: Any,
    *,
    counts: Any,
    counts_all: Any,
    alpha: str | float,
    passes: int,
    iterations: int,
    random_state: int,
    resolved: ResolvedSeeds | None = None,
    vocab: Sequence[str] = (),
    seed_weight: float = 0.02,
    seed_noise: float = 1.0,
) -> tuple[Any, np.ndarray]:
    """gensim LDA at ``k`` on the sample's bags of words (``counts``: the same as a matrix);
    with ``resolved`` seeds, seeded LDA: a seed prior and a start on the seeds' counts in
    every unit (``counts_all``)."""
    import numpy as np
    from gensim.models import LdaModel

    eta: Any = None
    if resolved is not None:
        eta = seed_prior(resolved, list(vocab), k, int(counts.sum()), weight=seed_weight, base=1.0 / k)
    # One chunk holding every unit of the sample makes the result independent of
    # chunking; the sample is capped, so it fits in memory.
    lda = LdaModel(
        corpus=None,
        id2word=gdict,
        num_topics=k,
        alpha=alpha,
        eta=eta,
        passes=passes,
        iterations=iterations,
        chunksize=max(len(bow), 1),
        update_every=1,
        eval_every=None,
        random_state=random_state,
    )
    if resolved is not None:
        seed_start(lda, resolved, vocab, counts_all, seed_noise)
    # gensim's E-step, by blocks of units (see gensim_block_inference), and its M-step
    # without its log; removed before the model is kept, so it saves, pickles and loads
    # as a plain LdaModel.
    lda.inference = functools.partial(gensim_block_inference, lda, counts=counts)
    lda.do_mstep = functools.partial(quiet_mstep, lda)
    try:
        lda.update(bow)
    finally:
        del lda.inference, lda.do_mstep
    return lda, np.asarray(lda.get_topics(), dtype=float)


def quiet_mstep(lda: Any, rho: float, other: Any, extra_pass: bool = False) -> None:
    """``LdaModel.do_mstep`` without what only feeds its log: the topics' change since
    the last pass (one more digamma over topics × vocabulary) and their top words
    printed. The same update: a tenth of a candidate fit went there."""
    lda.state.blend(rho, other)
    lda.sync_state(lda.state.get_Elogbeta())
    if lda.num_topics > 5:
        # printing five topics draws a jitter for their order from the model's random
        # state, which the next E-step's start draws from: draw it all the same
        lda.random_state.rand(len(lda.alpha))
    if lda.optimize_eta:
        lda.update_eta(lda.state.get_lambda(), rho)
    if not extra_pass:
        lda.num_updates += other.numdocs


def seed_start(
    lda: Any, resolved: ResolvedSeeds, vocab: Sequence[str], counts_all: Any, seed_noise: float
) -> None:
    """Start as seeded LDA's Gibbs samplers do: every occurrence of a seed word is first
    assigned to the topic(s) it seeds, so the first E-step already pulls passages using
    the seeds, and their other words, into those topics."""
    import numpy as np
    from gensim.matutils import dirichlet_expectation

    index = {w: i for i, w in enumerate(vocab)}
    # The seeds' occurrences in every unit, not only the sample's: the random start
    # (about 1 per topic and word) does not shrink with the sample, and the seeds must
    # outweigh it as they do on the whole corpus.
    word_counts = np.asarray(counts_all.sum(axis=0)).ravel().astype(float)
    n_seeding: dict[str, int] = {}
    for seeded_topic in resolved.topics:
        for w in resolved.present[seeded_topic]:
            n_seeding[w] = n_seeding.get(w, 0) + 1
    # Damp the random start of seeded topics so that, at first, they are their seeds.
    lda.state.sstats[: len(resolved.topics)] *= seed_noise
    for t, topic in enumerate(resolved.topics):
        for w in resolved.present[topic]:
            lda.state.sstats[t, index[w]] += word_counts[index[w]] / n_seeding[w]
    lda.expElogbeta = np.exp(dirichlet_expectation(lda.state.sstats)).astype(lda.dtype)


def select_k(
    candidates: Sequence[int],
    fit: Any,
    vocab: Sequence[str],
    sample_lists: Sequence[Sequence[str]],
    *,
    k_rule: str,
    top_n: int,
    diversity_n: int,
) -> tuple[int, list[tuple[int, TopicQuality]], tuple[Any, np.ndarray, float]]:
    """Fit each candidate K with ``fit(k) -> (native, phi)``, score its top terms on the
    sample's units and keep the one ``k_rule`` picks: (chosen K, the curve, (native, phi,
    seconds) of the chosen model)."""
    import numpy as np

    curve: list[tuple[int, TopicQuality]] = []
    fits: dict[int, tuple[Any, np.ndarray, float]] = {}
    for k in candidates:
        t0 = time.perf_counter()
        native, phi = fit(k)
        seconds = time.perf_counter() - t0
        order = np.argsort(-phi, axis=1, kind="stable")
        top = [[vocab[i] for i in row[:top_n]] for row in order]
        longer = [[vocab[i] for i in row[:diversity_n]] for row in order]
        curve.append((k, unit_coherence(top, sample_lists, diversity_terms=longer)))
        fits[k] = (native, phi, seconds)
    chosen = choose_k(curve, k_rule)
    return chosen, curve, fits[chosen]
