"""Theme density by group and over time, and the balance of themes within a framework."""

from __future__ import annotations

from typing import TYPE_CHECKING

from govtext.compare.groups import (
    MISSING_GROUP,
    check_columns,
    full_scores,
    group_membership,
    group_order,
    name_group,
    theme_frame,
)
from govtext.compare.stats import poisson_interval, wilson_interval

if TYPE_CHECKING:
    import pandas as pd


def theme_density(
    scores: pd.DataFrame,
    documents: pd.DataFrame,
    by: str,
    themes: pd.DataFrame | None = None,
    *,
    confidence: float = 0.95,
    min_chars: int = 0,
    min_docs: int = 0,
) -> pd.DataFrame:
    """Theme hits per 10,000 characters and share of documents mentioning each theme, by group.

    ``small_group`` flags groups of fewer than ``min_docs`` documents or ``min_chars``
    characters: their figures rest on too little text to compare (a 0.00 there says
    little).

    Returns one row per (group, theme) with the grouping field under its own name (e.g.
    ``province``; ``Int64`` when every value is a whole number such as a year, NA for
    documents without a value), then ``theme, name, n_docs, chars, hits,
    density_per_10k, ci_low, ci_high, docs_with_theme, share_docs, share_ci_low,
    share_ci_high, small_group``. The density interval is the exact Poisson interval on
    the pooled hit count divided by the group's characters; the share interval is Wilson's.

    >>> theme_density(result.scores, result.documents, "province", result.themes)  # doctest: +SKIP
    """
    out = group_density(
        scores, documents, by, themes, confidence=confidence, min_chars=min_chars, min_docs=min_docs
    )
    return name_group(out, by, "theme_density")


def group_density(
    scores: pd.DataFrame,
    documents: pd.DataFrame,
    by: str,
    themes: pd.DataFrame | None = None,
    *,
    confidence: float = 0.95,
    min_chars: int = 0,
    min_docs: int = 0,
) -> pd.DataFrame:
    """``theme_density`` with the group labels as text in a ``group`` column."""
    import numpy as np
    import pandas as pd

    check_columns(documents, "documents", ("doc_id", "n_chars"))
    tf = theme_frame(scores, themes)
    member = group_membership(documents, by)
    full = full_scores(scores, documents, list(tf["theme"])).merge(member, on="doc_id")
    docs = member.merge(documents[["doc_id", "n_chars"]].drop_duplicates("doc_id"), on="doc_id")
    sizes = docs.groupby("group").agg(n_docs=("n_chars", "size"), chars=("n_chars", "sum"))
    agg = full.groupby(["group", "theme"]).agg(hits=("hits", "sum"), docs_with_theme=("present", "sum"))
    order = group_order(member["group"])
    idx = pd.MultiIndex.from_product([order, list(tf["theme"])], names=["group", "theme"])
    out = agg.reindex(idx, fill_value=0).reset_index()
    out = out.merge(sizes, left_on="group", right_index=True, how="left")
    out = out.merge(tf[["theme", "name"]], on="theme", how="left")
    chars = out["chars"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(chars > 0, 10_000 / chars, np.nan)
    low, high = poisson_interval(out["hits"], confidence)
    out["density_per_10k"] = out["hits"] * scale
    out["ci_low"] = low * scale
    out["ci_high"] = high * scale
    out["share_docs"] = out["docs_with_theme"] / out["n_docs"]
    s_low, s_high = wilson_interval(out["docs_with_theme"], out["n_docs"], confidence)
    out["share_ci_low"] = s_low
    out["share_ci_high"] = s_high
    cols = [
        "group",
        "theme",
        "name",
        "n_docs",
        "chars",
        "hits",
        "density_per_10k",
        "ci_low",
        "ci_high",
        "docs_with_theme",
        "share_docs",
        "share_ci_low",
        "share_ci_high",
    ]
    out["hits"] = out["hits"].astype(int)
    out["docs_with_theme"] = out["docs_with_theme"].astype(int)
    out["small_group"] = (out["n_docs"] < min_docs) | (out["chars"] < min_chars)
    return out[[*cols, "small_group"]]


def density_matrix(density: pd.DataFrame, value: str = "density_per_10k") -> pd.DataFrame:
    """:func:`theme_density` (or :func:`trend`) as a matrix: groups (the first column) × theme
    names, in order.

    >>> density_matrix(theme_density(scores, documents, "province", themes))  # doctest: +SKIP
    """
    row = density.columns[0]  # the grouping field comes first in both tables
    names = list(dict.fromkeys(density["name"]))
    # dropna=False keeps the documents without a value (NA) as a row
    out = density.pivot_table(
        index=row, columns="name", values=value, sort=False, aggfunc="first", dropna=False
    )
    return out.reindex(index=list(dict.fromkeys(density[row])), columns=names)


def trend(
    scores: pd.DataFrame,
    documents: pd.DataFrame,
    time_field: str,
    themes: pd.DataFrame | None = None,
    *,
    confidence: float = 0.95,
    min_chars: int = 0,
    min_docs: int = 0,
    keep_small: bool = False,
) -> pd.DataFrame:
    """Theme density per value of ``time_field`` (e.g. per year), in time order.

    Same columns as :func:`theme_density`, the time field under its own name (``year``:
    ``Int64``); documents with no time value are left out (a trend has no place for
    them), and so are small periods (below ``min_chars``/``min_docs``) unless
    ``keep_small``: the periods left out are listed in ``attrs["left_out"]`` for the
    report's note.
    """
    out = group_density(
        scores, documents, time_field, themes, confidence=confidence, min_chars=min_chars, min_docs=min_docs
    )
    out = out[out["group"] != MISSING_GROUP]
    small = sorted(set(out.loc[out["small_group"], "group"]), key=group_order(out["group"]).index)
    if not keep_small:
        out = out[~out["small_group"]]
    out = name_group(out.reset_index(drop=True), time_field, "trend")
    out.attrs["left_out"] = [] if keep_small else small
    return out


# --------------------------------------------------------------------------- framework balance


def framework_balance(
    scores: pd.DataFrame,
    documents: pd.DataFrame,
    themes: pd.DataFrame,
    by: str,
    *,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Within each framework, the share of its hits that each theme takes, by group.

    E.g. for 三治融合 in one province: how much of 自治+法治+德治 is 法治. Columns
    ``<by>, framework, framework_name, theme, name, hits, framework_hits, share, ci_low,
    ci_high``; the Wilson interval treats hits as independent, which they are not quite
    (hits cluster in documents), so read it as a lower bound on the uncertainty.
    """
    import numpy as np

    tf = theme_frame(scores, themes)
    dens = group_density(scores, documents, by, tf, confidence=confidence)
    out = dens[["group", "theme", "name", "hits"]].merge(
        tf[["theme", "framework", "framework_name"]], on="theme", how="left"
    )
    out["framework_hits"] = out.groupby(["group", "framework"])["hits"].transform("sum")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["share"] = np.where(out["framework_hits"] > 0, out["hits"] / out["framework_hits"], np.nan)
    low, high = wilson_interval(out["hits"], out["framework_hits"], confidence)
    out["ci_low"] = low
    out["ci_high"] = high
    cols = ["group", "framework", "framework_name", "theme", "name", "hits", "framework_hits", "share"]
    return name_group(out[[*cols, "ci_low", "ci_high"]].reset_index(drop=True), by, "framework_balance")
