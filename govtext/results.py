"""What one analysis run produces: the bundle the report renders and notebooks inspect.

Stages fill it in one direction (ingest → tokens → hits/scores → topics → tables); the
report reads it and adds no analysis of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from govtext.documents import Corpus

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class RunResult:
    """Everything a report needs.

    - ``corpus``: documents and the manifest of input files.
    - ``documents``: one row per document (``Corpus.to_frame()``), the grouping fields.
    - ``hits``: one row per theme hit (doc_id, theme, name, rule, term, start, end,
      sentence_index, sentence, sentence_start, weight).
    - ``scores``: one row per (doc_id, theme): hits, weighted, density_per_10k, present.
    - ``themes``: one row per theme: theme, name, name_en, framework, framework_name.
    - ``tables``: named comparison tables (``compare`` output, topic tables), in report order.
    - ``settings``: the resolved configuration and provenance written to ``run.json``.
    """

    name: str
    by: str
    corpus: Corpus
    documents: pd.DataFrame
    hits: pd.DataFrame
    scores: pd.DataFrame
    themes: pd.DataFrame
    time_field: str | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    topic_model: Any = None

    def __repr__(self) -> str:
        # A notebook shows this for a whole run: counts and table names, never the texts.
        return (
            f"<RunResult {self.name!r} by {self.by!r}: {len(self.corpus):,} documents, {len(self.hits):,} hits; "
            f"tables: {', '.join(self.tables) or 'none'}>"
        )

    def _repr_html_(self) -> str:
        from html import escape

        density = self.tables.get("theme_density")
        head = density.head(12).to_html(index=False) if density is not None else ""
        return f"<p>{escape(repr(self))}</p>{head}"
