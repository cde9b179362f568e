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
    from sklearn.metrics import roc_auc_score

    checks = []
    renamed = []
    for t, row in enumerate(rows):
        theme = row.get("named_for", row["theme"])
        if not theme:
            continue
        y = [theme in presence.get(uid, ()) for uid in unit_ids]
        n_pos = sum(y)
        auc = float(roc_auc_score(y, doc_topic[:, t])) if 0 < n_pos < len(y) else math.nan
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
