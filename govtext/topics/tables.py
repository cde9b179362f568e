"""The tables of a fitted topic model: unit × topic shares, one row per topic, and the
mean share per group. Pure functions of the model's arrays and label rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from govtext.errors import InputError
from govtext.topics.quality import TopicQuality

if TYPE_CHECKING:
    import pandas as pd

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


def doc_topics_frame(
    doc_topic: Any, unit_ids: Sequence[str], doc_ids: Sequence[str], *, wide: bool
) -> pd.DataFrame:
    """Unit × topic shares: long ``unit_id, doc_id, topic, share`` or wide (index
    ``unit_id``, a ``doc_id`` column, one column per topic)."""
    import numpy as np
    import pandas as pd

    n_units, k = doc_topic.shape
    if wide:
        frame = pd.DataFrame(doc_topic, columns=list(range(k)))
        frame.insert(0, "doc_id", list(doc_ids))
        frame.index = pd.Index(list(unit_ids), name="unit_id")
        return frame
    return pd.DataFrame(
        {
            "unit_id": np.repeat(np.asarray(unit_ids, dtype=object), k),
            "doc_id": np.repeat(np.asarray(doc_ids, dtype=object), k),
            "topic": np.tile(np.arange(k), n_units),
            "share": doc_topic.reshape(-1),
        }
    )


def summary_frame(
    rows: Sequence[Mapping[str, Any]],
    labels: Sequence[str],
    tops: Sequence[Sequence[tuple[str, float]]],
    doc_topic: Any,
    quality: TopicQuality,
    *,
    theme_names: Mapping[str, str],
    seeds_used: Mapping[str, Sequence[str]],
    missing_seeds: Mapping[str, Sequence[str]],
) -> pd.DataFrame:
    """One row per topic (``SUMMARY_COLUMNS``) from its label row and top terms."""
    import pandas as pd

    prevalence = doc_topic.mean(axis=0) if len(doc_topic) else [0.0] * len(rows)
    out = []
    for t, info in enumerate(rows):
        theme = info["theme"]
        seeded = info["kind"] == "seeded"
        out.append(
            {
                "topic": t,
                "label": labels[t],
                "kind": info["kind"],
                # the theme id and its Chinese name, as in every table; NA for none
                "theme": theme or None,
                "name": theme_names.get(theme, theme) if theme else None,
                "top_terms": " ".join(term for term, _ in tops[t]),
                "prevalence": float(prevalence[t]),
                "npmi": quality.npmi_per_topic[t],
                "c_v": quality.c_v_per_topic[t],
                "overlap": float(info["overlap"]),
                "auc": float(info.get("auc", float("nan"))),
                # word lists: a free topic's is empty ('')
                "seeds": " ".join(seeds_used.get(theme, ())) if seeded else "",
                "missing_seeds": " ".join(missing_seeds.get(theme, ())) if seeded else "",
            }
        )
    return pd.DataFrame(out, columns=SUMMARY_COLUMNS).astype(
        {c: "str" for c in ("label", "kind", "theme", "name", "top_terms", "seeds", "missing_seeds")}
    )


def prevalence_frame(
    doc_topic: Any, doc_ids: Sequence[str], labels: Sequence[str], documents: pd.DataFrame, field: str
) -> pd.DataFrame:
    """Mean share of each topic (``doc_topic``: units × topics, ``doc_ids``: each unit's
    document) over the units of each group of ``documents[field]``:
    ``<field>, topic, label, prevalence, n_units``.

    Grouped on integer codes, not on the long table of ids: on 100 MB (185k units × 18
    topics) the ids' columns and their grouping took 0.5–0.7 GB at the run's peak. The
    rows and their order are the long table's, so pandas' means are the same numbers."""
    if "doc_id" not in documents.columns or field not in documents.columns:
        have = ", ".join(map(str, documents.columns))
        raise InputError(
            f"prevalence_by: the documents table needs columns 'doc_id' and {field!r}; it has: {have}"
        )
    import numpy as np
    import pandas as pd

    from govtext.compare import MISSING_GROUP, group_labels, group_order, name_group

    groups = group_labels(documents.drop_duplicates("doc_id"), field)
    per_unit = pd.Series(np.asarray(doc_ids, dtype=object)).map(groups).fillna(MISSING_GROUP)
    codes, names = pd.factorize(per_unit, sort=False)  # codes in order of first appearance
    n_units, k = doc_topic.shape
    long = pd.DataFrame(
        {
            "group": np.repeat(codes, k),
            "topic": np.tile(np.arange(k), n_units),
            "share": doc_topic.reshape(-1),
        }
    )
    out = (
        long.groupby(["group", "topic"], sort=False)  # each unit is one row per topic
        .agg(prevalence=("share", "mean"), n_units=("share", "size"))
        .reset_index()
    )
    out["group"] = np.asarray(names, dtype=object)[out["group"].to_numpy()]
    rank = {g: i for i, g in enumerate(group_order(out["group"]))}
    out = out.sort_values(["group", "topic"], key=lambda c: c.map(rank) if c.name == "group" else c)
    out.insert(2, "label", [labels[t] for t in out["topic"]])
    # the field under its own name, typed like every grouped table (years as Int64)
    return name_group(out.reset_index(drop=True), field, "topic_prevalence")
