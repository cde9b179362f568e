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

import time
import warnings
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govtext.errors import ConfigError, InputError, NotFittedError
from govtext.topics.fitting import (
    METHODS,
    UNITS_PER_TOPIC,
    TopicWarning,
    candidate_ks,
    check_params,
    fit_lda,
    fit_nmf,
    max_topics,
    sample_indices,
    select_k,
    warn_about_seeds,
)
from govtext.topics.inference import bow_rows, count_matrix, lda_infer, normalise_rows
from govtext.topics.naming import check_rows, label_rows
from govtext.topics.persist import (
    FORMAT_VERSION,
    NativeKeptApart,
    jsonable,
    read_state,
    restore_fitted,
    save_model,
)
from govtext.topics.seeds import (
    ResolvedSeeds,
    load_theme_dictionary,
    names_from_dictionary,
    resolve_seeds,
    seeds_from_dictionary,
)
from govtext.topics.tables import SUMMARY_COLUMNS, doc_topics_frame, prevalence_frame, summary_frame
from govtext.topics.units import Units

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = [
    "DEFAULT_K_RANGE",
    "DEFAULT_METHOD",
    "DEFAULT_SAMPLE_SIZE",
    "FORMAT_VERSION",
    "METHODS",
    "SUMMARY_COLUMNS",
    "UNITS_PER_TOPIC",
    "TopicModel",
    "TopicWarning",
    "max_topics",
]


# The defaults of `govtext run`, `govtext topics` and the API, in one place.
DEFAULT_METHOD = "seeded"
DEFAULT_K_RANGE = (2, 8, 2)
# Units the candidate models (and the chosen one) are fitted on, drawn with the random
# seed: beyond this the cost of choosing K stops growing with the corpus; every unit's
# shares then come from inference under the chosen model.
DEFAULT_SAMPLE_SIZE = 1000


class TopicModel(NativeKeptApart):
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
    inputs_key_: str | None = None  # hash of the inputs it was fitted from (fit_topics), if any

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
        check_params(self.get_params())

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
        from gensim.corpora import Dictionary

        self.validate()
        if len(units) == 0 or not units.vocabulary:
            raise InputError(
                "TopicModel.fit: the units are empty (no content word survived build_units); "
                "lower min_df, raise max_df or widen keep_pos"
            )
        started = time.perf_counter()
        vocab = list(units.vocabulary)
        gdict = Dictionary([vocab])
        # Dictionary assigns ids in sorted order of new tokens, and the vocabulary is sorted.
        if any(gdict.token2id[w] != i for i, w in enumerate(vocab)):
            raise AssertionError("gensim Dictionary ids do not follow the sorted vocabulary")
        counts_all = units.counts()
        sample = self._sample(len(units))
        theme_terms, names = self._theme_terms()
        resolved: ResolvedSeeds | None = None
        if self.method == "seeded":
            # seeds are resolved on every unit: the sample must not decide which themes exist
            word_counts = np.asarray(counts_all.sum(axis=0)).ravel()
            counts = {w: int(word_counts[i]) for i, w in enumerate(vocab) if word_counts[i]}
            resolved = resolve_seeds(theme_terms, vocab, counts, self.min_seed_count)
            warn_about_seeds(resolved, self.min_seed_count)
        candidates = self._candidates(resolved, len(units))
        fit_one, tfidf = self._fitter(vocab, gdict, resolved, counts_all, sample)
        chosen, curve, (native, phi, seconds) = select_k(
            candidates,
            fit_one,
            vocab,
            [units.token_lists[i] for i in sample],
            k_rule=self.k_rule,
            top_n=self.top_n,
            diversity_n=self.diversity_n,
        )
        # Every unit (the sample's too, so all are treated alike) gets its shares from the
        # chosen model by inference.
        if self.method == "nmf":
            native = (tfidf, native)
            theta = normalise_rows(native[1].transform(tfidf.transform(counts_all)))
        else:
            theta = self._infer(counts_all, native)
        self._keep_fit(units, chosen, curve, native, phi, theta, gdict, resolved, theme_terms, names)
        self.n_sample_ = len(sample)
        self.fit_seconds_ = seconds
        self.total_seconds_ = time.perf_counter() - started
        self._label()
        self._warn_after_fit()
        return self

    def _fitter(
        self, vocab: list[str], gdict: Any, resolved: ResolvedSeeds | None, counts_all: Any, sample: Any
    ) -> tuple[Any, Any]:
        """``fit(k) -> (native, phi)`` on the sample for this method, and NMF's TF-IDF."""
        x_sample = counts_all[sample]
        if self.method == "nmf":
            from sklearn.feature_extraction.text import TfidfTransformer

            # idf from every unit, so the sample's weights are the corpus's
            tfidf = TfidfTransformer(sublinear_tf=True).fit(counts_all)
            rows = tfidf.transform(x_sample)
            return (
                lambda k: fit_nmf(k, rows, max_iter=self.max_iter, random_state=self.random_state),
                tfidf,
            )
        bow = [bow_rows(x_sample, r) for r in range(x_sample.shape[0])]

        def fit_one(k: int) -> tuple[Any, Any]:
            return fit_lda(
                k,
                bow,
                gdict,
                counts=x_sample,
                counts_all=counts_all,
                alpha=self.alpha,
                passes=self.passes,
                iterations=self.iterations,
                random_state=self.random_state,
                resolved=resolved if self.method == "seeded" else None,
                vocab=vocab,
                seed_weight=self.seed_weight,
                seed_noise=self.seed_noise,
            )

        return fit_one, None

    def _infer(self, counts: Any, lda: Any) -> np.ndarray:
        import numpy as np

        return lda_infer(
            counts,
            np.asarray(lda.expElogbeta, dtype=float),
            np.asarray(lda.alpha, dtype=float),
            random_state=self.random_state,
            iterations=self.iterations,
            threads=self.n_threads,
        )

    def _keep_fit(
        self,
        units: Units,
        chosen: int,
        curve: list[tuple[int, Any]],
        native: Any,
        phi: Any,
        theta: Any,
        gdict: Any,
        resolved: ResolvedSeeds | None,
        theme_terms: Mapping[str, Sequence[str]],
        names: Mapping[str, str],
    ) -> None:
        """The learned state (attributes ending in ``_``) of a fit."""
        import pandas as pd

        self.k_ = chosen
        self.model_ = native
        self.dictionary_ = gdict
        self.vocabulary_ = tuple(units.vocabulary)
        self.topic_term_ = phi
        self.doc_topic_ = theta
        self.unit_ids_ = tuple(units.unit_ids)
        self.doc_ids_ = tuple(units.doc_ids)
        self.units_settings_ = dict(units.settings)
        self.units_hash_ = units.hash()
        self.quality_ = dict(curve)[chosen]
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

    def _warn_after_fit(self) -> None:
        if self.method == "seeded" and self.n_free_ == 0:
            warnings.warn(
                f"no free topics beside the {self.n_seeded_} seeded ones (k={self.k!r}): the corpus's common "
                "content has nowhere to go but the seeded topics; give n_free or a larger k",
                TopicWarning,
                stacklevel=3,
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
                stacklevel=3,
            )

    def _candidates(self, resolved: ResolvedSeeds | None, n_units: int | None = None) -> list[int]:
        return candidate_ks(self.method, self.k, self.k_range, self.n_free, resolved, n_units)

    def _sample(self, n: int) -> Any:
        """Sorted indices of the units the candidates are fitted on (all when ``n`` ≤ the cap)."""
        return sample_indices(n, self.sample_size, self.random_state)

    def transform(self, units: Units) -> np.ndarray:
        """Topic shares (units × topics) of new units under the fitted model."""
        self._check_fitted()
        if self.model_ is None:
            raise NotFittedError("TopicModel.transform: this model was loaded without its native model file")
        index = {w: i for i, w in enumerate(self.vocabulary_)}
        # words the model never saw carry no topic information
        lists = [tuple(w for w in toks if w in index) for toks in units.token_lists]
        counts = count_matrix(lists, index)
        if self.method == "nmf":
            tfidf, nmf = self.model_
            return normalise_rows(nmf.transform(tfidf.transform(counts)))
        return self._infer(counts, self.model_)

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
        self._label_rows = label_rows(
            [self._top(t, self.label_n) for t in range(self.k_)],
            n_seeded=self.n_seeded_,
            seed_topics=self.seed_topics_,
            theme_terms=self.theme_terms_,
            theme_names=self.theme_names_,
            label_threshold=self.label_threshold,
        )
        self.topic_labels_ = tuple(row["label"] for row in self._label_rows)

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
        import pandas as pd

        self._check_fitted()
        checks, renamed = check_rows(
            self._label_rows,
            [self._top(t, self.label_n) for t in range(len(self._label_rows))],
            self.doc_topic_,
            self.unit_ids_,
            presence,
            seeds_used=self.seeds_used_,
            theme_terms=self.theme_terms_,
            min_auc=min_auc,
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
        self._check_fitted()
        return doc_topics_frame(self.doc_topic_, self.unit_ids_, self.doc_ids_, wide=wide)

    def summary(self, n: int = 10) -> pd.DataFrame:
        """One row per topic: label, kind (seeded/free), theme and its name (NA for none),
        top terms, prevalence, coherence."""
        self._check_fitted()
        return summary_frame(
            self._label_rows,
            self.topic_labels_,
            [self._top(t, n) for t in range(len(self._label_rows))],
            self.doc_topic_,
            self.quality_,
            theme_names=self.theme_names_,
            seeds_used=self.seeds_used_,
            missing_seeds=self.missing_seeds_,
        )

    def prevalence_by(self, documents: pd.DataFrame, field: str) -> pd.DataFrame:
        """Mean topic share of the units in each group of ``documents[field]``.

        ``documents`` has one row per document with a ``doc_id`` column (``Corpus.to_frame()``).
        Returns ``<field>, topic, label, prevalence, n_units`` (long), the field under its
        own name and typed as in ``govtext.compare.theme_density`` (a year is ``Int64``,
        a missing value NA).
        """
        self._check_fitted()
        return prevalence_frame(self.doc_topic_, self.doc_ids_, self.topic_labels_, documents, field)

    def settings(self) -> dict[str, Any]:
        """Parameters and what the fit found, JSON-ready for run.json."""
        from importlib.metadata import version

        out: dict[str, Any] = {"component": "TopicModel", **self.get_params()}
        out["k_range"] = list(self.k_range)
        # from the installed metadata: importing gensim only for its version takes a second
        out["versions"] = {"gensim": version("gensim"), "scikit-learn": version("scikit-learn")}
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
        return jsonable(out)

    # -- persistence ------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the fitted model to directory ``path`` (created): model.json, arrays.npz and
        the native gensim/scikit-learn model. Load with ``TopicModel.load(path)``."""
        self._check_fitted()
        return save_model(self, Path(path))

    @classmethod
    def load(cls, path: str | Path) -> TopicModel:
        """Read a model written by ``save``. The native model is unpickled: load only your own files."""
        path = Path(path)
        state = read_state(path)
        model = cls(**state["params"], seeds=state["seeds"], theme_names=state["theme_names_param"])
        restore_fitted(model, state["fitted"], path)
        model._label()
        return model
