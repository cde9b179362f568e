"""Comparison tables: pure functions from (scores, metadata, grouping field) to DataFrames.

Every function takes DataFrames and returns a new DataFrame; nothing here renders or
writes. Inputs are the frames of a :class:`govtext.results.RunResult`:

- ``documents``: one row per document with ``doc_id``, ``n_chars`` and the grouping fields;
- ``scores``: one row per (doc_id, theme) with ``hits`` and ``present`` (rows may be
  missing for themes a document never mentions: they count as zero);
- ``themes``: one row per theme with ``theme``, ``name``, ``framework``, ``framework_name``.

Term counts for keyness and similarity (``doc_term_counts``) are a *long* DataFrame with
columns ``doc_id, term, count`` (one row per document and term that occurs in it); build
it from segmenter output with :func:`term_counts`, or give the same counts as a sparse
documents × terms matrix (:func:`doc_term_matrix`, a fraction of the memory).

Statistics (see docs/report.md for the formulas):

- density of hits per 10,000 characters with an exact Poisson interval (chi-square form
  of the Garwood interval) on the hit count;
- shares of documents with a Wilson score interval;
- keyness as the log-likelihood ratio G² of the 2×2 table (term / other terms × target /
  reference, Dunning 1993), p from χ²(1), Benjamini–Hochberg or Holm adjustment, and
  Hardie's Log Ratio (binary log of the ratio of relative frequencies) as effect size.

One module per table family: ``groups`` (labels and order), ``stats`` (intervals,
tests), ``density`` (theme density, trend, framework balance), ``terms`` (term counts),
``keyness``, ``similarity``, ``cooccurrence``; this package re-exports their public
functions and joins them in :func:`compare_all`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govtext.compare.cooccurrence import paragraph_presence, theme_cooccurrence
from govtext.compare.density import density_matrix, framework_balance, theme_density, trend
from govtext.compare.groups import (
    LIST_FIELDS,
    MISSING_GROUP,
    group_labels,
    group_membership,
    group_order,
    group_text,
    name_group,
    typed_groups,
)
from govtext.compare.keyness import keyness, keyness_by_group
from govtext.compare.similarity import group_similarity, similarity_matrix
from govtext.compare.stats import Correction, poisson_interval, wilson_interval
from govtext.compare.terms import DocTermMatrix, doc_term_matrix, group_term_matrix, term_counts

if TYPE_CHECKING:
    import pandas as pd

    from govtext.results import RunResult

__all__ = [
    "LIST_FIELDS",
    "MISSING_GROUP",
    "Correction",
    "DocTermMatrix",
    "compare_all",
    "density_matrix",
    "doc_term_matrix",
    "framework_balance",
    "group_labels",
    "group_membership",
    "group_order",
    "group_similarity",
    "group_term_matrix",
    "group_text",
    "keyness",
    "keyness_by_group",
    "name_group",
    "paragraph_presence",
    "poisson_interval",
    "similarity_matrix",
    "term_counts",
    "theme_cooccurrence",
    "theme_density",
    "topic_tables",
    "trend",
    "typed_groups",
    "wilson_interval",
    "with_topic_tables",
]


def topic_tables(topic_model: Any, documents: pd.DataFrame, by: str) -> dict[str, pd.DataFrame]:
    """``topics`` (the model's summary) and ``topic_prevalence`` (mean share by group)."""
    import pandas as pd

    out: dict[str, pd.DataFrame] = {}
    if topic_model is None:
        return out
    summary = topic_model.summary()
    if isinstance(summary, pd.DataFrame):
        out["topics"] = summary
    if hasattr(topic_model, "prevalence_by"):
        prev = topic_model.prevalence_by(documents, by)
        if isinstance(prev, pd.DataFrame):
            out["topic_prevalence"] = prev.reset_index() if prev.index.name else prev
    return out


def with_topic_tables(
    tables: dict[str, pd.DataFrame], topic_model: Any, documents: pd.DataFrame, by: str
) -> dict[str, pd.DataFrame]:
    """``tables`` (``compare_all``'s, made without a topic model) with the model's
    ``topic_tables`` put where ``compare_all`` puts them: before the co-occurrence and
    trend tables."""
    topics = topic_tables(topic_model, documents, by)
    if not topics:
        return tables
    out: dict[str, pd.DataFrame] = {}
    for name, frame in tables.items():
        if topics and name in ("cooccurrence", "trend"):
            out.update(topics)
            topics = {}
        out[name] = frame
    out.update(topics)
    return out


def compare_all(
    result: RunResult,
    doc_term_counts: pd.DataFrame | DocTermMatrix | None = None,
    *,
    min_group_chars: int = 0,
    min_group_docs: int = 0,
) -> dict[str, pd.DataFrame]:
    """Every comparison table of a run, named and in report order.

    ``theme_density``, ``framework_balance``, ``keyness`` and ``similarity`` (when
    ``doc_term_counts`` is given), ``topics`` and ``topic_prevalence`` (when the run has a
    topic model), ``cooccurrence`` (paragraphs when the corpus has them, else documents),
    ``trend`` (when the run has a time field).
    """
    by = result.by
    tables: dict[str, pd.DataFrame] = {
        "theme_density": theme_density(
            result.scores,
            result.documents,
            by,
            result.themes,
            min_chars=min_group_chars,
            min_docs=min_group_docs,
        ),
        "framework_balance": framework_balance(result.scores, result.documents, result.themes, by),
    }
    if doc_term_counts is not None and len(doc_term_counts):
        # the groups × terms counts both need, pooled once (3 s each on 100 MB)
        matrix = group_term_matrix(doc_term_counts, result.documents, by)
        tables["keyness"] = keyness_by_group(doc_term_counts, result.documents, by, matrix=matrix)
        tables["similarity"] = group_similarity(doc_term_counts, result.documents, by, matrix=matrix)
    tables.update(topic_tables(result.topic_model, result.documents, by))
    docs = list(result.corpus) if result.corpus is not None else []
    if docs and len(result.hits) and "char_start" in result.hits.columns:
        presence = paragraph_presence(result.hits, {d.doc_id: d.paragraphs for d in docs})
        n_par = sum(len(d.paragraphs) for d in docs)
        tables["cooccurrence"] = theme_cooccurrence(presence, result.themes, unit="unit_id", n_units=n_par)
    else:
        tables["cooccurrence"] = theme_cooccurrence(
            result.scores, result.themes, n_units=len(result.documents)
        )
    if result.time_field:
        tables["trend"] = trend(
            result.scores,
            result.documents,
            result.time_field,
            result.themes,
            min_chars=min_group_chars,
            min_docs=min_group_docs,
        )
    return tables
