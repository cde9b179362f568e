"""Names for topics: a theme's name where the topic's top terms hold the theme, and only
where the topic earns it (``check_rows``); otherwise the topic's own top terms.

A label row is a dict ``kind, theme, overlap, label, words`` per topic (``auc`` and
``named_for`` once checked); ``TopicModel`` keeps them in ``_label_rows``.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from typing import Any

TopTerms = Sequence[tuple[str, float]]  # a topic's top terms and their weights


def label_rows(
    tops: Sequence[TopTerms],
    *,
    n_seeded: int,
    seed_topics: Sequence[str],
    theme_terms: Mapping[str, Sequence[str]],
    theme_names: Mapping[str, str],
    label_threshold: float,
) -> list[dict[str, Any]]:
    """Kind, theme, overlap and a unique label per topic (``tops``: each topic's top terms).

    A seeded topic is named for its theme; a free one for the theme whose terms carry at
    least ``label_threshold`` of its top terms' weight, else by its first three terms.
    """
    labels: list[dict[str, Any]] = []
    for t, top in enumerate(tops):
        total = sum(w for _, w in top) or 1.0
        overlaps = {
            theme: sum(w for term, w in top if term in set(terms)) / total
            for theme, terms in theme_terms.items()
        }
        best = max(overlaps, key=lambda th: (overlaps[th], -list(overlaps).index(th)), default="")
        words = "·".join(term for term, _ in top[:3])
        if t < n_seeded:
            theme = seed_topics[t]
            kind, label = "seeded", theme_names.get(theme, theme)
            overlap = overlaps.get(theme, 0.0)
        elif best and overlaps[best] >= label_threshold:
            kind, theme, overlap = "free", best, overlaps[best]
            label = theme_names.get(best, best)
        else:
            kind, theme, overlap, label = "free", "", overlaps.get(best, 0.0), words
        labels.append({"kind": kind, "theme": theme, "overlap": overlap, "label": label, "words": words})
    seen = _counts(labels)
    for row in labels:
        if seen[row["label"]] > 1 and row["theme"]:
            row["label"] = f"{row['label']}: {row['words']}"
    return labels


def check_rows(
    rows: list[dict[str, Any]],
    tops: Sequence[TopTerms],
    doc_topic: Any,
    unit_ids: Sequence[str],
    presence: Mapping[str, Collection[str]],
    *,
    seeds_used: Mapping[str, Sequence[str]],
    theme_terms: Mapping[str, Sequence[str]],
    min_auc: float,
) -> tuple[list[dict[str, Any]], list[tuple[int, str, str]]]:
    """Take a theme's name off each topic that does not earn it; ``rows`` are changed in place.

    A named topic keeps the name when the theme's seeds or terms are among its top terms
    (``tops``) AND the ROC AUC of its unit shares (``doc_topic`` column) against the
    theme's presence by the rules (``presence``: unit id → themes) is at least
    ``min_auc``. Returns the checks (one dict per named topic) and the renamed topics
    ``(topic, theme, why)``.
    """
    checks = []
    renamed = []
    for t, row in enumerate(rows):
        theme = row.get("named_for", row["theme"])
        if not theme:
            continue
        y = [theme in presence.get(uid, ()) for uid in unit_ids]
        n_pos = sum(y)
        auc = roc_auc(y, doc_topic[:, t]) if 0 < n_pos < len(y) else math.nan
        terms = set(seeds_used.get(theme, ())) | set(theme_terms.get(theme, ()))
        on_top = bool({term for term, _ in tops[t]} & terms)
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
            renamed.append((t, theme, _why_unnamed(on_top, auc, min_auc)))
    seen = _counts(rows)
    for i, row in enumerate(rows):
        if seen[row["label"]] > 1 and not row["label"].endswith(f"#{i}"):
            row["label"] = f"{row['label']} #{i}" if not row["theme"] else f"{row['label']}: {row['words']}"
    return checks, renamed


def _why_unnamed(on_top: bool, auc: float, min_auc: float) -> str:
    if not on_top:
        return "its seeds are not among its top terms"
    if math.isnan(auc):
        return "no unit holds the theme by the rules"
    return f"ROC AUC {auc:.2f} < {min_auc} against the rule hits"


def _counts(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    seen: dict[str, int] = {}
    for row in rows:
        seen[row["label"]] = seen.get(row["label"], 0) + 1
    return seen


def roc_auc(y_true: Sequence[bool], score: Any) -> float:
    """ROC AUC of ``score`` against the labels ``y_true`` (both classes present), computed
    as scikit-learn's ``roc_auc_score`` computes it, to the last bit (the name checks'
    table shows it; tests hold the two equal): scores sorted descending (stable), one
    point per distinct score, collinear points dropped, then the trapezoid rule.

    Here rather than scikit-learn because importing ``sklearn.metrics`` cost the topic
    child ~0.3 CPU-s before each fit, on the run's critical path (issue 20).
    """
    import numpy as np

    y = np.asarray(y_true) == True  # noqa: E712  (labels as given: bools, or 0/1)
    s = np.ravel(np.asarray(score))
    last = s.shape[0] - 1
    order = last - np.flip(np.argsort(np.flip(s), kind="stable"))  # descending, ties in order
    s = s[order]
    ends = np.concatenate([np.nonzero(np.diff(s))[0], np.asarray([last])])
    tps = np.cumsum(y[order].astype(np.float64))[ends]  # true positives above each threshold
    fps = 1 + ends.astype(np.float64) - tps
    if fps.shape[0] > 2:
        corner = np.logical_or(np.diff(fps, 2), np.diff(tps, 2))
        keep = np.where(np.concatenate([np.asarray([True]), corner, np.asarray([True])]))[0]
        fps, tps = fps[keep], tps[keep]
    fpr = np.concatenate([np.asarray([0.0]), fps]) / fps[-1]
    tpr = np.concatenate([np.asarray([0.0]), tps]) / tps[-1]
    width = fpr[1:] - fpr[:-1]
    return float(np.sum(width * (tpr[1:] + tpr[:-1]) / 2.0, dtype=np.float64))
