"""Groups of documents: labels by a metadata field, their order and types, and the
column checks every table shares."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from govtext.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

MISSING_GROUP = "（缺失）"  # documents without a value for the --by field


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


def name_group(out: pd.DataFrame, by: str, table: str, *, column: str = "group") -> pd.DataFrame:
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


def theme_frame(scores: pd.DataFrame, themes: pd.DataFrame | None) -> pd.DataFrame:
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


def check_columns(frame: pd.DataFrame, what: str, columns: Iterable[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"{what} lacks column(s) {', '.join(missing)}; it has {', '.join(map(str, frame.columns))}"
        )


def full_scores(scores: pd.DataFrame, documents: pd.DataFrame, theme_ids: list[str]) -> pd.DataFrame:
    """scores completed to every (document, theme) pair, hits 0 / present False where absent."""
    import pandas as pd

    check_columns(scores, "scores", ("doc_id", "theme", "hits"))
    grid = pd.MultiIndex.from_product([documents["doc_id"].to_numpy(), theme_ids], names=["doc_id", "theme"])
    s = scores[scores["theme"].isin(theme_ids)].copy()
    if "present" not in s.columns:
        s["present"] = s["hits"] > 0
    s = s.groupby(["doc_id", "theme"], sort=False).agg(hits=("hits", "sum"), present=("present", "max"))
    s = s.reindex(grid)
    s["hits"] = s["hits"].fillna(0).astype(int)
    s["present"] = s["present"].fillna(False).astype(bool)
    return s.reset_index()
