"""Comparison tables: pure functions from (scores, metadata, grouping field) to DataFrames.

Every function takes DataFrames and returns a new DataFrame; nothing here renders or
writes. Inputs are the frames of a :class:`govtext.results.RunResult`:

- ``documents``: one row per document with ``doc_id``, ``n_chars`` and the grouping fields;
- ``scores``: one row per (doc_id, theme) with ``hits`` and ``present`` (rows may be
  missing for themes a document never mentions: they count as zero);
- ``themes``: one row per theme with ``theme``, ``name``, ``framework``, ``framework_name``.

Term counts for keyness and similarity (``doc_term_counts``) are a *long* DataFrame with
columns ``doc_id, term, count`` (one row per document and term that occurs in it); build
it from segmenter output with :func:`term_counts`.

Statistics (see docs/report.md for the formulas):

- density of hits per 10,000 characters with an exact Poisson interval (chi-square form
  of the Garwood interval) on the hit count;
- shares of documents with a Wilson score interval;
- keyness as the log-likelihood ratio G² of the 2×2 table (term / other terms × target /
  reference, Dunning 1993), p from χ²(1), Benjamini–Hochberg or Holm adjustment, and
  Hardie's Log Ratio (binary log of the ratio of relative frequencies) as effect size.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from govtext.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from govtext.results import RunResult
    from govtext.tokens import Tokens

MISSING_GROUP = "（缺失）"  # documents without a value for the --by field
Correction = Literal["bh", "holm", "none"]

__all__ = [
    "MISSING_GROUP",
    "compare_all",
    "density_matrix",
    "framework_balance",
    "group_labels",
    "group_membership",
    "group_order",
    "group_similarity",
    "group_text",
    "keyness",
    "keyness_by_group",
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
]


# --------------------------------------------------------------------------- intervals


def poisson_interval(count: Any, confidence: float = 0.95) -> tuple[Any, Any]:
    """Exact (Garwood) interval for a Poisson mean given observed ``count`` (array-like).

    ``low = χ²(α/2; 2k)/2`` (0 when k = 0) and ``high = χ²(1-α/2; 2k+2)/2``.
    """
    import numpy as np
    from scipy.special import gammaincinv

    # χ²(q; 2k)/2 is the q-quantile of Gamma(k, 1): gammaincinv(k, q).
    k = np.asarray(count, dtype=float)
    alpha = 1.0 - confidence
    low = np.where(k > 0, gammaincinv(np.maximum(k, 1e-300), alpha / 2), 0.0)
    high = gammaincinv(k + 1, 1 - alpha / 2)
    return low, high


def wilson_interval(successes: Any, n: Any, confidence: float = 0.95) -> tuple[Any, Any]:
    """Wilson score interval for a binomial proportion; NaN where ``n`` is 0."""
    import numpy as np
    from scipy.special import ndtri

    x = np.asarray(successes, dtype=float)
    n_ = np.asarray(n, dtype=float)
    z = ndtri(1 - (1 - confidence) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n_
        denom = 1 + z**2 / n_
        centre = (p + z**2 / (2 * n_)) / denom
        half = z * np.sqrt(p * (1 - p) / n_ + z**2 / (4 * n_**2)) / denom
        # At 0 and n the bounds are exactly 0 and 1; say so instead of leaving rounding dust.
        low = np.where(n_ > 0, np.where(x <= 0, 0.0, np.clip(centre - half, 0, 1)), np.nan)
        high = np.where(n_ > 0, np.where(x >= n_, 1.0, np.clip(centre + half, 0, 1)), np.nan)
    return low, high


def _adjust(p: Any, method: Correction) -> Any:
    """Adjusted p-values: Benjamini–Hochberg (false discovery rate) or Holm (family-wise)."""
    import numpy as np

    p = np.asarray(p, dtype=float)
    m = p.size
    if m == 0 or method == "none":
        return p.copy()
    order = np.argsort(p, kind="mergesort")
    ranked = p[order]
    if method == "bh":
        adj = ranked * m / np.arange(1, m + 1)
        adj = np.minimum.accumulate(adj[::-1])[::-1]
    elif method == "holm":
        adj = ranked * (m - np.arange(m))
        adj = np.maximum.accumulate(adj)
    else:
        raise InputError(
            f"The 'correction' parameter must be one of {{'bh', 'holm', 'none'}}. Got {method!r} instead."
        )
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return out


# --------------------------------------------------------------------------- helpers


def group_labels(documents: pd.DataFrame, by: str) -> pd.Series:
    """The group label of each document as text, indexed by doc_id."""
    if by not in documents.columns:
        fields = ", ".join(c for c in documents.columns if c not in ("n_chars", "n_paragraphs"))
        raise InputError(
            f"cannot group by {by!r}: the documents have no such field; available fields: {fields}"
        )
    values = documents[by]

    import pandas as pd

    def label(v: Any) -> str:
        if v is None or (not isinstance(v, list | tuple) and bool(pd.isna(v))):
            return MISSING_GROUP
        text = str(v).strip()
        if isinstance(v, float) and v.is_integer():
            text = str(int(v))
        return text or MISSING_GROUP

    return values.map(label).set_axis(documents["doc_id"].to_numpy())


# Fields whose text holds several values: Document.record joins a document's authors with 、.
LIST_FIELDS = {"authors": "、", "author": "、"}


def group_membership(documents: pd.DataFrame, by: str) -> pd.DataFrame:
    """``doc_id, group``: one row per (document, group). A list-valued field (authors, or
    a list in a cell) puts a document in each of its groups, so a proposal by 孙立群、陈思远
    counts for both; every other field gives one row per document (``group_labels``)."""
    import pandas as pd

    labels = group_labels(documents, by)
    sep = LIST_FIELDS.get(by)
    cells = documents[by].to_numpy()
    if sep is None and not any(isinstance(v, list | tuple) for v in cells):
        return pd.DataFrame({"doc_id": labels.index, "group": labels.to_numpy()})
    rows: list[tuple[str, str]] = []
    for doc_id, value, label in zip(labels.index, cells, labels.to_numpy(), strict=True):
        parts = (
            list(value)
            if isinstance(value, list | tuple)
            else str(value).split(sep)
            if sep and isinstance(value, str)
            else [label]
        )
        kept = list(dict.fromkeys(str(x).strip() for x in parts if str(x).strip()))
        rows.extend((doc_id, g) for g in (kept or [MISSING_GROUP]))
    return pd.DataFrame(rows, columns=["doc_id", "group"])


def group_order(labels: Iterable[str]) -> list[str]:
    """Groups sorted numerically when they all are numbers (years), else as text; missing last."""
    uniq = sorted(set(labels))
    present = [g for g in uniq if g != MISSING_GROUP]

    def as_number(g: str) -> float | None:
        try:
            return float(g)
        except ValueError:
            return None

    if present and all(as_number(g) is not None for g in present):
        present.sort(key=lambda g: as_number(g) or 0.0)
    return present + ([MISSING_GROUP] if MISSING_GROUP in uniq else [])


def typed_groups(labels: Iterable[str]) -> pd.Series:
    """Group labels (``group_labels`` text) as a table column: ``MISSING_GROUP`` becomes
    NA, and when every other label is a whole number (years, congresses) the column is
    ``Int64``, so it sorts, plots and exports as a number.

    >>> typed_groups(["2021", "2022", MISSING_GROUP]).tolist(), typed_groups(["0001", "0002"]).tolist()
    ([2021, 2022, <NA>], ['0001', '0002'])
    """
    import pandas as pd

    values = [None if g == MISSING_GROUP else g for g in labels]
    present = [g for g in values if g is not None]
    # no leading zeros: an id such as 0001 stays text, as read
    if present and all(re.fullmatch(r"-?(0|[1-9]\d{0,8})", g) for g in present):
        return pd.Series([None if g is None else int(g) for g in values], dtype="Int64")
    return pd.Series(values, dtype="str")


def group_text(values: Iterable[Any]) -> list[str]:
    """The labels back from a typed group column: NA as ``MISSING_GROUP``, numbers as text.
    The report matches table rows to its ordered group labels with these."""
    import pandas as pd

    return [MISSING_GROUP if pd.isna(v) else str(v) for v in values]


def _name_group(out: pd.DataFrame, by: str, table: str, *, column: str = "group") -> pd.DataFrame:
    """``out`` with its internal ``group`` column named after the field and typed
    (``typed_groups``): tidy tables keep the variable's own name."""
    others = [c for c in out.columns if c != column]
    if by in others:
        raise InputError(
            f"cannot compare by {by!r}: the {table} table already has a column {by!r}; "
            f"rename that field in the documents (e.g. documents.rename(columns={{{by!r}: '{by}_value'}}))"
        )
    out = out.copy()
    out[column] = typed_groups(out[column].tolist()).set_axis(out.index)
    return out.rename(columns={column: by})


def _theme_frame(scores: pd.DataFrame, themes: pd.DataFrame | None) -> pd.DataFrame:
    """theme, name, framework, framework_name for every theme, in dictionary order."""
    import pandas as pd

    if themes is not None and len(themes):
        out = themes.copy()
        for col in ("name", "framework", "framework_name"):
            if col not in out.columns:
                out[col] = out["theme"] if col == "name" else ""
        return out[["theme", "name", "framework", "framework_name"]].reset_index(drop=True)
    ids = list(dict.fromkeys(scores["theme"])) if "theme" in scores.columns else []
    names = (
        scores.drop_duplicates("theme").set_index("theme")["name"].to_dict()
        if "name" in scores.columns
        else {}
    )
    return pd.DataFrame(
        {"theme": ids, "name": [names.get(t, t) for t in ids], "framework": "", "framework_name": ""}
    )


def _check_columns(frame: pd.DataFrame, what: str, columns: Iterable[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"{what} lacks column(s) {', '.join(missing)}; it has {', '.join(map(str, frame.columns))}"
        )


def _full_scores(scores: pd.DataFrame, documents: pd.DataFrame, theme_ids: list[str]) -> pd.DataFrame:
    """scores completed to every (document, theme) pair, hits 0 / present False where absent."""
    import pandas as pd

    _check_columns(scores, "scores", ("doc_id", "theme", "hits"))
    grid = pd.MultiIndex.from_product([documents["doc_id"].to_numpy(), theme_ids], names=["doc_id", "theme"])
    s = scores[scores["theme"].isin(theme_ids)].copy()
    if "present" not in s.columns:
        s["present"] = s["hits"] > 0
    s = s.groupby(["doc_id", "theme"], sort=False).agg(hits=("hits", "sum"), present=("present", "max"))
    s = s.reindex(grid)
    s["hits"] = s["hits"].fillna(0).astype(int)
    s["present"] = s["present"].fillna(False).astype(bool)
    return s.reset_index()


# --------------------------------------------------------------------------- theme density


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
    out = _density(
        scores, documents, by, themes, confidence=confidence, min_chars=min_chars, min_docs=min_docs
    )
    return _name_group(out, by, "theme_density")


def _density(
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

    _check_columns(documents, "documents", ("doc_id", "n_chars"))
    tf = _theme_frame(scores, themes)
    member = group_membership(documents, by)
    full = _full_scores(scores, documents, list(tf["theme"])).merge(member, on="doc_id")
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
    out = _density(
        scores, documents, time_field, themes, confidence=confidence, min_chars=min_chars, min_docs=min_docs
    )
    out = out[out["group"] != MISSING_GROUP]
    small = sorted(set(out.loc[out["small_group"], "group"]), key=group_order(out["group"]).index)
    if not keep_small:
        out = out[~out["small_group"]]
    out = _name_group(out.reset_index(drop=True), time_field, "trend")
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

    tf = _theme_frame(scores, themes)
    dens = _density(scores, documents, by, tf, confidence=confidence)
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
    return _name_group(out[[*cols, "ci_low", "ci_high"]].reset_index(drop=True), by, "framework_balance")


# --------------------------------------------------------------------------- term counts and keyness

_WORDLIKE = re.compile(r"[\u3400-\u9fff\uf900-\ufaffA-Za-z]")


# Tokens counted at once by term_counts: bounds its arrays on large corpora.
_TERM_CHUNK = 1_000_000


def term_counts(
    tokens: Iterable[Tokens],
    *,
    min_chars: int = 2,
    stopwords: Iterable[str] = (),
) -> pd.DataFrame:
    """The long ``doc_id, term, count`` frame keyness and similarity take, from segmenter output.

    Keeps words of at least ``min_chars`` characters that contain a Han character or a
    letter (punctuation and bare numbers are not terms) and are not in ``stopwords``.
    """
    import itertools

    import numpy as np
    import pandas as pd

    columns = ["doc_id", "term", "count"]
    stop = set(stopwords)
    ok: dict[str, bool] = {}  # each distinct word tested once
    doc_ids: list[str] = []
    terms: list[str] = []
    counts: list[Any] = []

    def count(chunk: list[Tokens], lengths: list[int]) -> None:
        # Every token of the chunk at once: number the distinct words (pandas' hash table,
        # in C), then count (document, word) pairs with one sort. A Counter and a regex
        # per token took 1.6 s of the 4 s compare stage on ../shared/corpus; chunks of
        # about a million tokens keep the arrays small on large corpora.
        total = sum(lengths)
        words = np.fromiter(itertools.chain.from_iterable(t.words for t in chunk), dtype=object, count=total)
        codes, uniques = pd.factorize(words)
        del words
        uniques = np.asarray(uniques, dtype=object)
        for w in uniques:
            if w not in ok:
                ok[w] = len(w) >= min_chars and w not in stop and _WORDLIKE.search(w) is not None
        kept = np.fromiter((ok[w] for w in uniques), dtype=bool, count=len(uniques))
        # a document's terms in the order sorted() gives str
        by_text = np.argsort(uniques, kind="stable")
        rank = np.empty(len(uniques), dtype=np.int64)
        rank[by_text] = np.arange(len(uniques))
        docs = np.repeat(np.arange(len(chunk), dtype=np.int64), lengths)
        mask = kept[codes]
        pairs, n = np.unique(docs[mask] * len(uniques) + rank[codes[mask]], return_counts=True)
        ids = np.asarray([t.doc_id for t in chunk], dtype=object)
        doc_ids.extend(ids[pairs // len(uniques)].tolist())
        terms.extend(uniques[by_text][pairs % len(uniques)].tolist())
        counts.append(n.astype(np.int64))

    chunk: list[Tokens] = []
    lengths: list[int] = []
    held = 0
    for tok in tokens:
        chunk.append(tok)
        lengths.append(len(tok.words))
        held += lengths[-1]
        if held >= _TERM_CHUNK:
            count(chunk, lengths)
            chunk, lengths, held = [], [], 0
    if held:
        count(chunk, lengths)
    if not doc_ids:
        return pd.DataFrame([], columns=columns)
    return pd.DataFrame({"doc_id": doc_ids, "term": terms, "count": np.concatenate(counts)}, columns=columns)


def _g2(a: Any, b: Any, n1: float, n2: float) -> Any:
    """G² of the 2×2 table [[a, b], [n1-a, n2-b]] (0·ln 0 taken as 0)."""
    import numpy as np

    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    n = n1 + n2
    k = a + b
    obs = (a, b, n1 - a, n2 - b)
    exp = (n1 * k / n, n2 * k / n, n1 * (n - k) / n, n2 * (n - k) / n)
    total = np.zeros_like(a)
    for o, e in zip(obs, exp, strict=True):
        with np.errstate(divide="ignore", invalid="ignore"):
            total += np.where(o > 0, o * np.log(o / e), 0.0)
    # Rounding can leave -1e-15 where observed equals expected; G² is never negative.
    return np.maximum(2 * total, 0.0)


_KEYNESS_COLUMNS = [
    "term",
    "count_target",
    "count_reference",
    "per_10k_target",
    "per_10k_reference",
    "G2",
    "p",
    "p_adj",
    "log_ratio",
    "direction",
]
_KEYNESS_DTYPES = {
    "group": "str",
    "rank": "int64",
    "term": "str",
    "count_target": "int64",
    "count_reference": "int64",
    "per_10k_target": "float64",
    "per_10k_reference": "float64",
    "G2": "float64",
    "p": "float64",
    "p_adj": "float64",
    "log_ratio": "float64",
    "direction": "str",
}


def _keyness_arrays(terms: Any, a: Any, b: Any, *, correction: Correction, min_count: int) -> dict[str, Any]:
    """The keyness columns as arrays, for the terms tested (``a + b >= min_count``)."""
    import numpy as np
    from scipy.special import erfc

    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    n1, n2 = float(a.sum()), float(b.sum())
    keep = (a + b) >= min_count if n1 > 0 and n2 > 0 else np.zeros(a.shape, dtype=bool)
    terms = np.asarray(terms, dtype=object)[keep]
    a, b = a[keep], b[keep]
    n1, n2 = max(n1, 1.0), max(n2, 1.0)
    g2 = _g2(a, b, n1, n2)
    p = erfc(np.sqrt(g2 / 2))  # survival function of χ² with one degree of freedom
    return {
        "term": terms,
        "count_target": a.astype(int),
        "count_reference": b.astype(int),
        "per_10k_target": a / n1 * 10_000,
        "per_10k_reference": b / n2 * 10_000,
        "G2": g2,
        "p": p,
        "p_adj": _adjust(p, correction),
        "log_ratio": np.log2((np.where(a > 0, a, 0.5) / n1) / (np.where(b > 0, b, 0.5) / n2)),
        # Words, not "+"/"-": a spreadsheet would read a leading sign as a formula.
        "direction": np.where(a / n1 >= b / n2, "over", "under"),
    }


def _keyness_frame(cols: dict[str, Any], rows: Any = None) -> pd.DataFrame:
    """The arrays (or the ``rows`` selected from them) as a frame sorted by G², then term."""
    import numpy as np
    import pandas as pd

    out = pd.DataFrame(
        {k: (v if rows is None else v[rows]) for k, v in cols.items()}, columns=_KEYNESS_COLUMNS
    )
    if not len(out):
        return out
    order = np.lexsort((out["term"].to_numpy(), -out["G2"].to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def keyness(
    token_counts_target: Mapping[str, int] | pd.Series,
    token_counts_reference: Mapping[str, int] | pd.Series,
    *,
    correction: Correction = "bh",
    min_count: int = 5,
) -> pd.DataFrame:
    """Log-likelihood keyness of every term in a target corpus against a reference corpus.

    ``token_counts_*`` map term → count. Terms with fewer than ``min_count`` occurrences in
    both corpora together are not tested (and not counted in the correction). Returns
    ``term, count_target, count_reference, per_10k_target, per_10k_reference, G2, p,
    p_adj, log_ratio, direction`` sorted by G² (largest first). ``direction`` is ``"over"``
    when the term is relatively more frequent in the target (else ``"under"``). ``log_ratio`` is
    log2(relative frequency in target / in reference), a zero count replaced by 0.5.
    G² is that of the full 2×2 table (term / all other terms × target / reference).
    """
    import pandas as pd

    t = pd.Series(token_counts_target, dtype="float64")
    r = pd.Series(token_counts_reference, dtype="float64")
    both = pd.concat([t.rename("a"), r.rename("b")], axis=1).fillna(0.0)
    cols = _keyness_arrays(
        both.index.to_numpy(),
        both["a"].to_numpy(),
        both["b"].to_numpy(),
        correction=correction,
        min_count=min_count,
    )
    return _keyness_frame(cols)


def _group_term_matrix(
    doc_term_counts: pd.DataFrame, documents: pd.DataFrame, by: str
) -> tuple[Any, list[str], Any]:
    """Pooled counts as a sparse groups × terms matrix, the group order and the terms."""
    import numpy as np
    import pandas as pd
    from scipy.sparse import coo_matrix

    _check_columns(doc_term_counts, "doc_term_counts", ("doc_id", "term", "count"))
    member = group_membership(documents, by)
    if member["doc_id"].is_unique:
        # One group per document: each row's group by position, without copying the
        # (document, term) rows into a merged frame (2 GB at the peak on 100 MB).
        row_doc = pd.Index(member["doc_id"]).get_indexer(doc_term_counts["doc_id"])
        found = row_doc >= 0
        groups = member["group"].to_numpy(dtype=object)[row_doc[found]]
        term_col = doc_term_counts["term"][found] if not found.all() else doc_term_counts["term"]
        count_col = doc_term_counts["count"].to_numpy(dtype=float)[found]
    else:
        dtc = doc_term_counts.merge(member, on="doc_id")  # a document in two groups counts for each
        groups = dtc["group"].to_numpy(dtype=object)
        term_col = dtc["term"]
        count_col = dtc["count"].to_numpy(dtype=float)
    # The groups that hold terms, found once (a set built per group was quadratic: 25 s
    # for 7,884 documents and 3.4 million (document, term) rows).
    held = set(pd.unique(groups))
    order = [g for g in group_order(member["group"]) if g in held]
    g_codes = pd.Categorical(groups, categories=order).codes
    t_codes, terms = pd.factorize(term_col, sort=True)
    m = coo_matrix((count_col, (g_codes, t_codes)), shape=(len(order), len(terms))).tocsr()
    m.sum_duplicates()
    return m, order, np.asarray(terms, dtype=object)


def keyness_by_group(
    doc_term_counts: pd.DataFrame,
    documents: pd.DataFrame,
    by: str,
    *,
    top: int = 20,
    alpha: float = 0.05,
    correction: Correction = "bh",
    min_count: int = 5,
    matrix: tuple[Any, list[str], Any] | None = None,
) -> pd.DataFrame:
    """Distinctive terms of each group against all other groups together.

    For every group, :func:`keyness` of the group's term counts against the rest; keeps
    the terms over-used in the group with adjusted p below ``alpha``, the ``top`` largest
    G² first. The correction runs over all terms tested for that group. Columns ``<by>,
    rank`` (the grouping field under its own name) then those of :func:`keyness`
    (``count_target`` is the group, ``count_reference`` the rest). ``matrix``: the pooled
    groups × terms counts when the caller has them (``compare_all`` pools them once for
    keyness and similarity).
    """
    import numpy as np
    import pandas as pd

    m, order, terms = matrix or _group_term_matrix(doc_term_counts, documents, by)
    total = np.asarray(m.sum(axis=0)).ravel()
    frames = []
    for i, g in enumerate(order):
        a = m.getrow(i).toarray().ravel()
        cols = _keyness_arrays(terms, a, total - a, correction=correction, min_count=min_count)
        picked = np.flatnonzero((cols["direction"] == "over") & (cols["p_adj"] < alpha))
        if len(picked) > top:
            # Only the largest G² are shown: partial selection beats sorting 100k terms per group.
            picked = picked[np.argpartition(-cols["G2"][picked], top - 1)[:top]]
        k = _keyness_frame(cols, picked).head(top)
        k.insert(0, "rank", range(1, len(k) + 1))
        k.insert(0, "group", g)
        frames.append(k)
    if not frames:
        empty = pd.DataFrame(
            {c: pd.Series(dtype=_KEYNESS_DTYPES[c]) for c in ["group", "rank", *_KEYNESS_COLUMNS]}
        )
        return _name_group(empty, by, "keyness")
    return _name_group(pd.concat(frames, ignore_index=True), by, "keyness")


# --------------------------------------------------------------------------- similarity


def group_similarity(
    doc_term_counts: pd.DataFrame,
    documents: pd.DataFrame,
    by: str,
    matrix: tuple[Any, list[str], Any] | None = None,
) -> pd.DataFrame:
    """Cosine similarity between groups on TF-IDF of their pooled term counts.

    Each group is one pseudo-document (the sum of its documents' counts); TF is
    sublinear (1 + ln tf), IDF smoothed, rows L2-normalised. Returns a long table, one
    row per ordered pair of groups (both orders, and each group with itself), in group
    order: ``<by>, <by>_other, cosine`` (e.g. ``province, province_other, cosine``).
    Long rather than square, because group values are no column names (Stata and R
    refuse most of them); ``similarity_matrix`` gives the square form.
    """
    import numpy as np
    import pandas as pd
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.metrics.pairwise import cosine_similarity

    other = f"{by}_other"
    m, order, _terms = matrix or _group_term_matrix(doc_term_counts, documents, by)
    if not order:
        out = pd.DataFrame(
            {
                "group": pd.Series(dtype="str"),
                other: pd.Series(dtype="str"),
                "cosine": pd.Series(dtype="float64"),
            }
        )
    else:
        tfidf = TfidfTransformer(sublinear_tf=True).fit_transform(m)
        # Rounded to 12 places (float noise, 0.9999999999999986, is no finding) and a group
        # is exactly itself: the diagonal is 1.
        sim = np.round(np.clip(cosine_similarity(tfidf), 0.0, 1.0), 12)
        np.fill_diagonal(sim, 1.0)
        n = len(order)
        out = pd.DataFrame(
            {
                "group": np.repeat(np.asarray(order, dtype=object), n),
                other: np.tile(np.asarray(order, dtype=object), n),
                "cosine": sim.reshape(-1),
            }
        )
    out = _name_group(out, by, "similarity")
    return _name_group(out.rename(columns={other: "group_other"}), other, "similarity", column="group_other")


def similarity_matrix(similarity: pd.DataFrame) -> pd.DataFrame:
    """:func:`group_similarity` as a square matrix (groups × groups, in table order), for
    display: its index and columns are the group labels as text (``group_text``)."""
    long = similarity.assign(
        row_label=group_text(similarity.iloc[:, 0]), col_label=group_text(similarity.iloc[:, 1])
    )
    order = list(dict.fromkeys(long["row_label"]))
    wide = long.pivot(index="row_label", columns="col_label", values="cosine")
    wide.index.name = wide.columns.name = None
    return wide.reindex(index=order, columns=order)


# --------------------------------------------------------------------------- co-occurrence


def paragraph_presence(
    hits: pd.DataFrame, paragraphs: Mapping[str, Iterable[tuple[int, int]]]
) -> pd.DataFrame:
    """Which paragraphs carry which theme: ``unit_id, doc_id, paragraph, theme`` (one row each).

    ``paragraphs`` maps doc_id to its paragraph spans (``Document.paragraphs``); a hit
    belongs to the paragraph whose span contains its start (or the last one before it).
    """
    import bisect

    import pandas as pd

    _check_columns(hits, "hits", ("doc_id", "theme", "char_start"))
    starts = {d: [a for a, _ in spans] for d, spans in paragraphs.items()}
    rows = set()
    for doc_id, theme, start in hits[["doc_id", "theme", "char_start"]].itertuples(index=False):
        ps = starts.get(doc_id)
        i = max(bisect.bisect_right(ps, int(start)) - 1, 0) if ps else 0
        rows.add((f"{doc_id}#p{i}", doc_id, i, theme))
    return pd.DataFrame(sorted(rows), columns=["unit_id", "doc_id", "paragraph", "theme"])


def theme_cooccurrence(
    presence: pd.DataFrame,
    themes: pd.DataFrame | None = None,
    *,
    unit: str = "doc_id",
    n_units: int | None = None,
) -> pd.DataFrame:
    """How often two themes occur in the same unit (document or paragraph).

    ``presence`` is either ``scores`` (rows with ``present`` false are ignored) or
    :func:`paragraph_presence` output with ``unit="unit_id"``. ``n_units`` is the number
    of units in the corpus, including those with no theme (default: the units in
    ``presence``). Returns one row per pair of themes: ``theme_a, name_a, theme_b,
    name_b, n_units, n_a, n_b, n_both, jaccard, lift`` where lift = P(a∧b) / (P(a)·P(b)).
    """
    import numpy as np
    import pandas as pd

    _check_columns(presence, "presence", (unit, "theme"))
    p = presence
    if "present" in p.columns:
        p = p[p["present"].astype(bool)]
    p = p[[unit, "theme"]].drop_duplicates()
    tf = _theme_frame(presence, themes)
    ids = list(tf["theme"])
    names = dict(zip(tf["theme"], tf["name"], strict=True))
    n = n_units if n_units is not None else presence[unit].nunique()
    sets = {t: set(p.loc[p["theme"] == t, unit]) for t in ids}
    rows = []
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            na, nb = len(sets[a]), len(sets[b])
            both = len(sets[a] & sets[b])
            union = na + nb - both
            rows.append(
                {
                    "theme_a": a,
                    "name_a": names[a],
                    "theme_b": b,
                    "name_b": names[b],
                    "n_units": n,
                    "n_a": na,
                    "n_b": nb,
                    "n_both": both,
                    "jaccard": both / union if union else np.nan,
                    "lift": (both * n) / (na * nb) if na and nb else np.nan,
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "theme_a",
            "name_a",
            "theme_b",
            "name_b",
            "n_units",
            "n_a",
            "n_b",
            "n_both",
            "jaccard",
            "lift",
        ],
    )


# --------------------------------------------------------------------------- topics and all tables


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


def compare_all(
    result: RunResult,
    doc_term_counts: pd.DataFrame | None = None,
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
        matrix = _group_term_matrix(doc_term_counts, result.documents, by)
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
