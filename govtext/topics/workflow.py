"""From documents to a fitted topic model and its tables: what the CLI and pipeline call.

``fit_topics`` builds the units (joining the dictionary's seed phrases into tokens so
seeds and labels can match) and fits a ``TopicModel``; ``topic_tables`` returns the
model's tables by name; ``write_topic_tables`` writes them as CSV (UTF-8 with BOM, so
Excel opens the Chinese correctly).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govtext.documents import Corpus, Document
from govtext.errors import InputError
from govtext.tokens import Tokens
from govtext.topics.model import DEFAULT_METHOD, TopicModel, TopicWarning
from govtext.topics.seeds import load_theme_dictionary, seeds_from_dictionary
from govtext.topics.units import DEFAULT_KEEP_POS, Units, build_units

if TYPE_CHECKING:
    import pandas as pd


def fit_topics(
    documents: Sequence[Document],
    tokens: Sequence[Tokens],
    *,
    method: str = DEFAULT_METHOD,
    k: int | str = "auto",
    unit: str = "paragraph",
    dictionary: Any = None,
    seed_level: str = "theme",
    compound_seeds: bool = True,
    min_df: float = 2,
    max_df: float = 0.5,
    keep_pos: Collection[str] | None = DEFAULT_KEEP_POS,
    stopwords: Collection[str] | None = None,
    name_min_auc: float = 0.85,
    cache: Any = None,
    refit: bool = False,
    hits: Sequence[Sequence[Any]] | None = None,
    **params: Any,
) -> TopicModel:
    """Build units from ``documents``/``tokens`` and fit a TopicModel on them.

    ``dictionary`` (default: ``govtext.themes.load_dictionary()`` when installed) gives
    the seeds of ``method="seeded"`` and the theme terms every method is labelled with;
    with ``compound_seeds`` its multi-word terms become single tokens first. Other
    keyword arguments go to ``TopicModel`` (``k_range``, ``n_free``, ``random_state`` …).

    A topic keeps a theme's name only when it earns it (``TopicModel.check_names``): the
    rules of the same dictionary tag the documents, and the topic's unit shares must
    agree with those hits (ROC AUC ≥ ``name_min_auc``).

    ``cache`` (a ``govtext.store.Store``) keeps fitted models under the hash of their
    inputs (``model_key``): the same documents, tokens, settings and dictionary load the stored model
    (``reused_`` is True) unless ``refit``. ``hits``: the documents' rule hits when the
    caller has them (one list per document), so the names are checked without matching again.

    The work is ``prepare_topics`` (the stored model, or the units to fit), ``fit_job``
    and ``keep_fitted``; the pipeline runs ``fit_job`` in a second process
    (``govtext.topics.child``) while it makes the comparison tables.
    """
    job = prepare_topics(
        documents,
        tokens,
        method=method,
        k=k,
        unit=unit,
        dictionary=dictionary,
        seed_level=seed_level,
        compound_seeds=compound_seeds,
        min_df=min_df,
        max_df=max_df,
        keep_pos=keep_pos,
        stopwords=stopwords,
        name_min_auc=name_min_auc,
        cache=cache,
        refit=refit,
        hits=hits,
        **params,
    )
    if isinstance(job, TopicModel):
        return job
    return keep_fitted(job, *fit_job(job), cache=cache)


@dataclass
class TopicJob:
    """A model to fit and everything its fit needs, picklable: the unfitted ``model``
    (its dictionary included), the ``units``, the rules' ``presence`` per unit for the
    name checks (None: no dictionary to check against), and the store ``key``."""

    model: TopicModel
    units: Units
    presence: dict[str, set[str]] | None
    min_auc: float
    key: str

    def handed_over(self) -> TopicJob:
        """This job without its units and rule hits (no units, presence None): what the
        run keeps once the fit's own process has them. Its model (the run's dictionary
        on it) and key are what the run still needs."""
        empty = Units(unit_ids=(), doc_ids=(), token_lists=(), vocabulary=(), settings=self.units.settings)
        return replace(self, units=empty, presence=None)


# long: fit_topics' parameters, passed on one by one
def prepare_topics(
    documents: Sequence[Document],
    tokens: Sequence[Tokens],
    *,
    method: str = DEFAULT_METHOD,
    k: int | str = "auto",
    unit: str = "paragraph",
    dictionary: Any = None,
    seed_level: str = "theme",
    compound_seeds: bool = True,
    min_df: float = 2,
    max_df: float = 0.5,
    keep_pos: Collection[str] | None = DEFAULT_KEEP_POS,
    stopwords: Collection[str] | None = None,
    name_min_auc: float = 0.85,
    cache: Any = None,
    refit: bool = False,
    hits: Sequence[Sequence[Any]] | None = None,
    before_units: Callable[[], Any] | None = None,
    **params: Any,
) -> TopicModel | TopicJob:
    """``fit_topics``' first half: the model stored under the inputs' key (unless
    ``refit``), else a ``TopicJob`` with the units built. ``before_units`` is called
    when no stored model serves, before the units are built (the pipeline starts the
    fit's own process there, so that it imports while they are built)."""
    if dictionary is None and params.get("seeds") is None:
        dictionary = load_theme_dictionary()
    compounds = _seed_phrases(params.get("seeds"), dictionary, seed_level) if compound_seeds else []
    model = TopicModel(method=method, k=k, dictionary=dictionary, seed_level=seed_level, **params)
    unit_settings = {
        "unit": unit,
        "min_df": min_df,
        "max_df": max_df,
        "keep_pos": sorted(keep_pos) if keep_pos is not None else None,
        "stopwords": sorted(stopwords) if stopwords is not None else None,
        "compounds": compounds,
    }
    key = model_key(documents, tokens, unit_settings, model, dictionary, name_min_auc)
    if cache is not None and not refit:
        loaded = _load_stored(cache, key, dictionary)
        if loaded is not None:
            return loaded
    if before_units is not None:
        before_units()
    units = build_units(
        documents,
        tokens,
        unit=unit,
        min_df=min_df,
        max_df=max_df,
        keep_pos=keep_pos,
        stopwords=stopwords,
        compounds=compounds,
    )
    presence = None
    if dictionary is not None and hasattr(dictionary, "themes"):
        presence = rule_presence(documents, dictionary, unit, hits)
    return TopicJob(model, units, presence, name_min_auc, key)


# A warning met while fitting, as it can cross to another process: message, category,
# file, line.
Caught = tuple[Warning | str, type[Warning], str, int]


def fit_job(job: TopicJob) -> tuple[TopicModel, list[Caught]]:
    """Fit ``job.model`` on its units and check its names; the warnings met on the way
    are returned, not shown (``keep_fitted`` shows them where the model is used)."""
    model = job.model
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(job.units)
    model.fit_warnings_ = tuple(str(w.message) for w in caught if issubclass(w.category, TopicWarning))
    if job.presence is not None:
        model.check_names(job.presence, min_auc=job.min_auc)
    model.reused_ = False
    return model, [(w.message, w.category, w.filename, w.lineno) for w in caught]


def keep_fitted(
    job: TopicJob, model: TopicModel, caught: Sequence[Caught], *, cache: Any = None
) -> TopicModel:
    """Pass on the fit's warnings as they came and keep the model in ``cache``."""
    for message, category, filename, lineno in caught:
        warnings.warn_explicit(message, category, filename, lineno)
    # the store keeps the model's unit shares once under this key (Store.put_topic_assignments)
    model.inputs_key_ = job.key
    if cache is not None:
        cache.put_topic_model(job.key, _pickle(model))
    return model


def _seed_phrases(seeds: Any, dictionary: Any, seed_level: str) -> list[str]:
    """Every seed word or phrase (``seeds``, else the dictionary's at ``seed_level``), sorted."""
    if seeds is None and dictionary is not None:
        seeds = seeds_from_dictionary(dictionary, seed_level)
    return sorted({w for words in (seeds or {}).values() for w in words})


def _load_stored(cache: Any, key: str, dictionary: Any) -> TopicModel | None:
    """The model stored under ``key``, or None (none there, or it no longer unpickles)."""
    stored = cache.get_topic_model(key)
    loaded = _unpickle(stored) if stored is not None else None
    if loaded is None:
        return None
    loaded.dictionary = dictionary
    loaded.reused_ = True
    loaded.inputs_key_ = key
    # what fitting warned about holds for the loaded model too: say it again
    for message in getattr(loaded, "fit_warnings_", ()):
        warnings.warn(message, TopicWarning, stacklevel=3)
    return loaded


# Bump when a stored model would no longer be what fit() gives for the same inputs.
MODEL_FORMAT = "topics-3"  # 2: fit warnings kept with the model; 3: fitted on a sample


def model_key(
    documents: Sequence[Document],
    tokens: Sequence[Tokens],
    unit_settings: dict[str, Any],
    model: TopicModel,
    dictionary: Any,
    name_min_auc: float,
) -> str:
    """The hash of everything a fitted model depends on: each document's id and text
    (hence its paragraphs), the segmenter settings of its tokens, how units are built,
    the model's parameters, the dictionary (seeds, names and the rules' hits) and the
    naming threshold.

    It is computed from the inputs, not from the units, so a re-run that finds its model
    in the store does not build the units at all (3 s of the 7 s re-run on
    ../shared/corpus went there)."""
    import hashlib
    import json

    from govtext import __version__
    from govtext.documents import content_hash

    h = hashlib.blake2b(digest_size=16)
    params = {k: v for k, v in model.get_params().items() if k != "dictionary"}
    for part in (
        MODEL_FORMAT,
        __version__,
        json.dumps(unit_settings, sort_keys=True, default=str, ensure_ascii=False),
        json.dumps(params, sort_keys=True, default=str),
        str(getattr(dictionary, "hash", "") or ""),
        repr(name_min_auc),
    ):
        h.update(part.encode("utf-8"))
        h.update(b"\x1f")
    for doc in documents:
        h.update(f"{doc.doc_id}\x1e{content_hash(doc.text)}\x1d".encode())
    # tokens are matched to documents by id (in any order): their settings, in id order
    for doc_id, settings, tagged in sorted((t.doc_id, t.settings_hash, t.pos is not None) for t in tokens):
        h.update(f"{doc_id}\x1e{settings}\x1e{int(tagged)}\x1d".encode())
    return h.hexdigest()


def _pickle(model: TopicModel) -> bytes:
    import copy
    import pickle

    # The dictionary (compiled patterns) is the caller's: it is given back on load.
    light = copy.copy(model)
    light.dictionary = None
    return pickle.dumps(light, protocol=pickle.HIGHEST_PROTOCOL)


def _unpickle(blob: bytes) -> TopicModel | None:
    import pickle

    try:
        model = pickle.loads(blob)  # our own store, written by _pickle
    except Exception:  # a model pickled by another version: refit rather than fail
        return None
    return model if isinstance(model, TopicModel) else None


def rule_presence(
    documents: Sequence[Document], dictionary: Any, unit: str, hits: Sequence[Sequence[Any]] | None = None
) -> dict[str, set[str]]:
    """Unit id → the themes the dictionary's rules find in that unit (paragraph or document),
    the yardstick a topic's name is checked against. ``hits`` (one list per document) are
    used when given; otherwise the documents are matched here."""
    if hits is None:
        from govtext.themes import Matcher

        matcher = Matcher(dictionary=dictionary).fit()
        hits = [matcher.transform(doc) for doc in documents]
    out: dict[str, set[str]] = {}
    for doc, doc_hits in zip(documents, hits, strict=True):
        for hit in doc_hits:
            uid = doc.doc_id if unit == "document" else f"{doc.doc_id}#p{hit.paragraph_index}"
            out.setdefault(uid, set()).add(hit.theme)
    return out


def topics_from_paths(
    paths: Sequence[str | Path],
    *,
    text_column: str | None = None,
    user_dicts: Sequence[str | Path] = (),
    dictionary_path: str | Path | None = None,
    **fit_params: Any,
) -> tuple[Corpus, TopicModel]:
    """Read files and folders (``govtext.ingest.read_corpus``), segment them with POS and
    fit topics (``fit_topics`` parameters). Returns the corpus and the fitted model."""
    import inspect

    from govtext.ingest import read_corpus  # type: ignore[import-not-found,unused-ignore]
    from govtext.segment import Segmenter

    # Reject bad model parameters before reading and segmenting a possibly large corpus.
    accepted = set(inspect.signature(TopicModel).parameters)
    TopicModel(**{key: v for key, v in fit_params.items() if key in accepted}).validate()

    corpus = read_corpus(list(paths), text_column=text_column)
    if not len(corpus):
        raise InputError(
            f"no documents read from {', '.join(map(str, paths))}: "
            "check the paths (run `govtext ingest` to see why files were skipped)"
        )
    segmenter = Segmenter(user_dicts=user_dicts, pos=True)
    tokens = [segmenter.tokens(doc) for doc in corpus]
    if dictionary_path is not None:
        fit_params["dictionary"] = load_theme_dictionary(dictionary_path)
    return corpus, fit_topics(corpus.documents, tokens, **fit_params)


def topic_tables(
    model: TopicModel, documents: pd.DataFrame | None = None, by: str | None = None, n_terms: int = 10
) -> dict[str, pd.DataFrame]:
    """The model's tables by name, in report order.

    ``topic_summary``, ``topic_terms``, ``topic_k_curve``, ``doc_topics`` (long) and, when
    ``documents`` (one row per document, ``Corpus.to_frame()``) and ``by`` are given,
    ``topic_prevalence_by_<by>``.
    """
    tables = {
        "topic_summary": model.summary(n=n_terms),
        "topic_terms": model.topic_terms(n=n_terms),
        "topic_k_curve": model.k_curve_,
        "doc_topics": model.doc_topics_,
    }
    if documents is not None and by:
        tables[f"topic_prevalence_by_{by}"] = model.prevalence_by(documents, by)
    return tables


def write_topic_tables(tables: dict[str, pd.DataFrame], out_dir: str | Path) -> dict[str, Path]:
    """Write each table to ``out_dir/<name>.csv``; returns the paths by name."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, frame in tables.items():
        path = out / f"{name}.csv"
        frame.to_csv(path, index=False, encoding="utf-8-sig")
        paths[name] = path
    return paths
