"""The main job: ingest → segment → theme rules → topic model → comparison → report.

``load_pipeline`` (``govtext.config``) reads a pipeline TOML file into a
``PipelineConfig``; ``analyze`` runs every analysis stage and returns a ``RunResult``;
``run_pipeline`` adds the report.
Each stage is a call into its own module; this file only wires them together.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

# The configuration lives in govtext.config (the stage adapters read it too); its public
# names are re-exported here, where they were first defined.
from govtext.config import DEFAULT_PIPELINE as DEFAULT_PIPELINE
from govtext.config import CompareConfig as CompareConfig
from govtext.config import IngestConfig as IngestConfig
from govtext.config import PipelineConfig as PipelineConfig
from govtext.config import ReportConfig as ReportConfig
from govtext.config import SegmentConfig as SegmentConfig
from govtext.config import ThemesConfig as ThemesConfig
from govtext.config import TopicsConfig as TopicsConfig
from govtext.config import default_pipeline as default_pipeline
from govtext.config import load_pipeline as load_pipeline
from govtext.config import parse_where as parse_where
from govtext.documents import Corpus, tidy_fields
from govtext.errors import GovtextError, InputError
from govtext.memory import trim_heap
from govtext.results import RunResult
from govtext.reuse import PerDocument

if TYPE_CHECKING:
    import pandas as pd

    from govtext.store import Store

STORE_NAME = "govtext.duckdb"  # the store's file in the output folder (not a report entry)

ALL_GROUP = "全部"  # the one group when no document has the --by field


Progress = Callable[[str], None]


def _noop(_: str) -> None:
    pass


def analyze(
    paths: Sequence[str | Path] | None = None,
    *,
    by: str | None = None,
    time_field: str | None = None,
    config: PipelineConfig | None = None,
    corpus: Corpus | Any = None,
    progress: Progress = _noop,
    store: str | Path | Store | None = None,
    show_progress: bool = False,
    record: dict[str, Any] | None = None,
    report_next: bool = False,
) -> RunResult:
    """Run every analysis stage and return the tables and evidence a report needs.

    ``paths`` overrides the pipeline's paths; ``corpus`` skips ingest entirely (a Corpus,
    or anything ``govtext.documents.as_corpus`` takes: texts, a Series, a DataFrame).
    ``store`` is the DuckDB workspace (a path, an open Store, or None for a throw-away
    one in memory): tokens and theme hits found there are re-used, new ones written,
    and the run is recorded in its ``runs`` table. The per-document stages run on the
    pipeline's [engine]; ``show_progress`` draws bars when stderr is a terminal.
    ``record``, if given, receives the run id, the store path and the counts of
    documents segmented, matched and re-used (also in the store's ``runs`` table).
    ``report_next`` says a report of the result is written next (``run_pipeline``): while
    the topic model is fitted in its own process, the report's child process is then
    started and draws the figures that need no model (a notebook that only analyses
    gets no such process).
    """
    from govtext import stages
    from govtext.documents import as_corpus
    from govtext.store import Store

    if corpus is not None:  # texts, a Series or a DataFrame with a "text" column are welcome
        corpus = as_corpus(corpus)
    own = not isinstance(store, Store)
    st = store if isinstance(store, Store) else Store(":memory:" if store is None else store)
    st.open()
    cfg = config or default_pipeline()
    # The topic model may be fitted in its own process while this one makes the
    # comparison tables (govtext.topics.child); closed however the run ends.
    topics = stages.TopicStage(cfg)
    try:
        return _analyze(
            paths, by, time_field, cfg, corpus, progress, st, show_progress, record, topics, report_next
        )
    finally:
        topics.close()
        if own:
            st.close()


class _Timer:
    """Runs a stage, reports it to ``progress`` first and keeps its time in seconds."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.timings: dict[str, float] = {}

    def __call__(self, stage: str, fn: Callable[[], Any]) -> Any:
        self.progress(stage)
        t0 = time.perf_counter()
        out = fn()
        # a stage timed in two steps (topics: before and after the comparison) adds up
        self.timings[stage] = round(self.timings.get(stage, 0) + time.perf_counter() - t0, 3)
        return out


def _analyze(
    paths: Sequence[str | Path] | None,
    by: str | None,
    time_field: str | None,
    cfg: PipelineConfig,
    corpus: Corpus | None,
    progress: Progress,
    store: Store,
    show_progress: bool,
    record: dict[str, Any] | None,
    topics: Any,
    report_next: bool,
) -> RunResult:
    from govtext import stages
    from govtext.documents import content_hash
    from govtext.ingest.summary import unread_message

    # Fields the caller named must exist (a typo is an error); the pipeline's default
    # grouping may be absent (plain texts have no source) and then forms one group.
    asked = [(how, name) for how, name in (("compare by", by), ("follow over time", time_field)) if name]
    by = by or cfg.by
    time_field = cfg.time if time_field is None else time_field
    started = time.time()
    timed = _Timer(progress)
    dictionary = timed("themes: load dictionary", lambda: stages.load_themes(cfg))
    if corpus is not None and not corpus.documents:
        raise InputError(unread_message(corpus.files))
    run_id = _start_run(store, cfg, by, dictionary, started)
    try:
        corpus, per_doc = _per_document(paths, cfg, corpus, store, dictionary, timed, show_progress)
    except BaseException as exc:
        store.finish_run(run_id, f"failed: {type(exc).__name__}")
        raise
    run_warnings: list[str] = []
    _check_fields(asked + [("select by", f) for f, _ in parse_where(cfg.compare.where)], corpus.documents)
    chosen, per_doc = _select(cfg, corpus, per_doc, run_warnings)
    corpus_hash = content_hash("\n".join(sorted(content_hash(d.text) for d in chosen.documents)))
    tokens, counts = per_doc.tokens, per_doc.counts
    if cfg.topics.enabled:  # first: its fit can then go on beside the tables below
        timed("topics", partial(topics.start, chosen, tokens, dictionary, store, per_doc.hits))
        trim_heap()  # what building the units freed (~0.2 GB on 100 MB), beside the child's fit
    hits, scores = stages.hit_tables(chosen, [h for hs in per_doc.hits for h in hs], dictionary)
    del per_doc  # the hits' objects are in the table now; the comparison is the memory peak
    trim_heap()  # their pages, freed, given back before the comparison
    documents = _documents_frame(chosen, by, time_field, run_warnings)
    result = RunResult(
        name=cfg.name,
        by=by,
        corpus=chosen,
        documents=documents,
        hits=hits,
        scores=scores,
        themes=stages.themes_frame(dictionary),
        time_field=time_field or None,
    )
    # Made while the topic model is fitted (in its own process); its tables join after.
    segmenter = stages.segmenter_info(cfg, tokens)  # first: compare empties tokens once counted
    tables = timed("compare", partial(stages.compare, result, tokens, cfg, store))
    del tokens
    trim_heap()  # before the model comes back and the report is written: the run's peak
    if cfg.topics.enabled:  # the wait for the model readies the report written next
        ready = stages.ready_report(cfg, result, tables) if report_next else None
        result.topic_model = timed("topics", lambda: topics.finish(ready))
    _topic_outcome(topics, store, run_id, run_warnings)
    result.tables = stages.with_topic_tables(tables, result)
    run_warnings.extend(_trend_warnings(result, cfg))
    # The evidence behind every figure, exported with the tables (CSV/xlsx): each hit with
    # its span and sentence, and the per-document scores the group figures add up.
    result.tables["document_scores"] = scores
    result.tables["hits"] = hits
    result.settings = _settings(cfg, result, dictionary, segmenter, started, timed.timings)
    result.settings["warnings"] = run_warnings
    # What was re-used goes to the store's runs table, not run.json: run.json stays the
    # same whether a run started from a full store or an empty one.
    reused = {**counts, "store": store.path, "run_id": run_id}
    store.finish_run(run_id, "done", reused=reused, corpus_hash=corpus_hash)
    if record is not None:
        record.update({"run_id": run_id, "store": store.path, **counts})
    return result


def _start_run(store: Store, cfg: PipelineConfig, by: str, dictionary: Any, started: float) -> str:
    """Record a new run in the store's ``runs`` table; its id."""
    import uuid

    from govtext import stages

    run_id = time.strftime("%Y%m%dT%H%M%S", time.gmtime(started)) + "-" + uuid.uuid4().hex[:8]
    store.put_run(
        run_id,
        command="run",
        config={
            "pipeline": cfg.to_dict(),
            "by": by,
            "dictionary_hash": dictionary.hash,
            # the keys of this run's hits in the store (hit sets are kept per theme)
            "theme_hashes": dictionary.theme_hashes(),
        },
        versions=stages.package_versions(),
    )
    return run_id


def _per_document(
    paths: Sequence[str | Path] | None,
    cfg: PipelineConfig,
    corpus: Corpus | None,
    store: Store,
    dictionary: Any,
    timed: _Timer,
    show_progress: bool,
) -> tuple[Corpus, PerDocument]:
    """The corpus and its tokens and hits: from ``paths`` (or the pipeline's) through
    the store, or of the ``corpus`` given."""
    from govtext import stages

    engine = cfg.engine
    if corpus is not None:
        given = corpus
        per_doc = timed(
            "segment + match",
            lambda: stages.per_document(
                given.documents, cfg, store, dictionary, engine=engine, show_progress=show_progress
            ),
        )
        return given, per_doc
    # Ingest, segment and match into the store; over files unchanged since an
    # earlier run the store already has the documents, and only what the
    # dictionary now asks for is added. Then read back whatever was not in hand.
    use_paths = [str(p) for p in (paths or cfg.paths)]
    update = timed(
        "ingest + segment + match",
        lambda: stages.update_store(
            use_paths, cfg, store, dictionary, engine=engine, show_progress=show_progress
        ),
    )
    if update.corpus is not None and update.per_document is not None:
        return update.corpus, update.per_document
    assert update.snapshot is not None
    snapshot = update.snapshot
    loaded_corpus: Corpus = timed("ingest (from the store)", lambda: store.load_corpus(snapshot))
    loaded = timed(
        "segment + match (from the store)",
        lambda: stages.per_document(
            loaded_corpus.documents, cfg, store, dictionary, engine=engine, write_documents=False
        ),
    )
    return loaded_corpus, PerDocument(loaded.tokens, loaded.hits, update.counts)


def _documents_frame(
    chosen: Corpus, by: str, time_field: str | None, run_warnings: list[str]
) -> pd.DataFrame:
    """The documents table of a run: one row per document, with its ``by`` and time fields."""
    documents = chosen.to_frame()
    documents[by] = [doc.field(by) for doc in chosen]  # also resolves aliases such as author
    if not documents[by].astype(bool).any():
        # One group rather than no report: a folder of plain texts has no source field.
        run_warnings.append(
            f"no document has the field {by!r}, so all documents form one group {ALL_GROUP!r}; "
            f"fields you can compare by: {', '.join(known_fields(chosen.documents))}."
        )
        documents[by] = ALL_GROUP
    if time_field and time_field not in documents.columns:  # a core field no document has
        documents[time_field] = [doc.field(time_field) for doc in chosen]
    # as Corpus.to_frame gives the other fields: NA when missing, years as Int64
    return tidy_fields(documents, list(dict.fromkeys(f for f in (by, time_field) if f)))


def _topic_outcome(topics: Any, store: Store, run_id: str, run_warnings: list[str]) -> None:
    """Record the topic model's assignments in the store, and in the run's warnings what
    fitting warned about, why no model was fitted, and each topic not named for its theme."""
    # Recorded in run.json and the summary rather than printed mid-run.
    run_warnings.extend(f"topics: {w.message}" for w in topics.caught if issubclass(w.category, UserWarning))
    if topics.error is not None:
        # Too few or too similar texts to fit topics: the theme figures still stand.
        run_warnings.append(f"topic model not fitted: {topics.error}")
    topic_model = topics.model
    if topic_model is not None:
        store.put_topic_assignments(run_id, topic_model)
        for t, theme, why in getattr(topic_model, "renamed_", ()):
            run_warnings.append(
                f"topics: topic {t} was seeded or matched for theme {theme!r} but is not named for it "
                f"({why}); it is labelled by its top terms ({topic_model.topic_labels_[t]})."
            )


def _trend_warnings(result: RunResult, cfg: PipelineConfig) -> list[str]:
    """A warning naming the groups the trend left out as too small (none: no warning)."""
    trend_table = result.tables.get("trend")
    small = trend_table.attrs.get("left_out", []) if trend_table is not None else []
    if not small:
        return []
    return [
        f"left out of the trend: {', '.join(map(str, small))} (under {cfg.compare.min_group_chars:,} characters "
        f"or {cfg.compare.min_group_docs} document(s); flagged small_group in the tables; "
        "lower [compare] min_group_chars to keep them)."
    ]


def _settings(
    cfg: PipelineConfig,
    result: RunResult,
    dictionary: Any,
    segmenter: dict[str, Any],
    started: float,
    timings: dict[str, float],
) -> dict[str, Any]:
    from govtext import __version__, stages

    # Counts and the corpus hash are added by the report's run_info; these are the settings.
    return {
        "govtext": __version__,
        "pipeline": cfg.to_dict(),
        "by": result.by,
        "time_field": result.time_field,
        "dictionary": stages.dictionary_info(dictionary),
        "segmenter": segmenter,
        "topics": result.topic_model.settings() if result.topic_model is not None else None,
        "counts": {
            "hits": len(result.hits),
            "themes_found": int(result.scores["theme"].nunique()) if len(result.scores) else 0,
        },
        "timings_s": timings,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "python": platform.python_version(),
        "packages": stages.package_versions(),
    }


@dataclass(frozen=True)
class RunOutcome:
    result: RunResult
    out_dir: Path
    files: dict[str, Path]
    store_run: dict[str, Any] = field(default_factory=dict)  # run id, store, reuse counts


def run_pipeline(
    config: PipelineConfig | None = None,
    paths: Sequence[str | Path] | None = None,
    *,
    by: str | None = None,
    out: str | Path | None = None,
    progress: Progress = _noop,
    store: str | Path | None = None,
    show_progress: bool = False,
) -> RunOutcome:
    """``analyze`` then write the report (index.html, report.md, CSV tables, run.json, manifest).

    The store defaults to ``govtext.duckdb`` in the output folder; the report writer
    carries it over when it swaps the folder, so the next run re-uses it.
    """
    from govtext.report import write_report

    cfg = config or default_pipeline()
    out_dir = Path(out) if out else Path("reports") / cfg.name
    if out_dir.exists() and not out_dir.is_dir():
        # Checked before any work: the store and the report both live in this folder.
        raise InputError(
            f"the output path {out_dir} is a file; give a folder for the report (e.g. reports/mine)."
        )
    store_path = Path(store) if store else out_dir / STORE_NAME
    fresh = [p for p in (out_dir, store_path) if not p.exists()]
    # analyze closes the store before the report is written: the folder swap moves it.
    record: dict[str, Any] = {}
    try:
        result = analyze(
            paths,
            by=by,
            config=cfg,
            progress=progress,
            store=store_path,
            show_progress=show_progress,
            record=record,
            report_next=True,
        )
        progress("report")
        # --refit writes the report afresh too (its settings differ, so it would anyway)
        files = write_report(result, out_dir, formats=tuple(cfg.report.formats), force=cfg.topics.refit)
    except GovtextError:
        # An error (no input, a bad setting) leaves nothing new; an interrupted run (a kill,
        # Ctrl-C) keeps its store, whose finished work the next run re-uses.
        _remove_new(fresh, store_path)
        raise
    return RunOutcome(result=result, out_dir=out_dir, files=files, store_run=record)


def _select(cfg: PipelineConfig, corpus: Corpus, per_doc: Any, warn: list[str]) -> tuple[Corpus, Any]:
    """The documents that meet the [compare] where conditions, with their tokens and hits."""
    conditions = parse_where(cfg.compare.where)
    if not conditions:
        return corpus, per_doc
    keep = [all(doc.field(f) == v for f, v in conditions) for doc in corpus.documents]
    if not any(keep):
        raise InputError(f"no document meets {' and '.join(cfg.compare.where)}; nothing to compare")
    left = len(keep) - sum(keep)
    if left:
        warn.append(f"{left} document(s) left out: they do not meet {' and '.join(cfg.compare.where)}.")
    docs = [d for d, k in zip(corpus.documents, keep, strict=True) if k]
    tokens = [t for t, k in zip(per_doc.tokens, keep, strict=True) if k]
    hits = [h for h, k in zip(per_doc.hits, keep, strict=True) if k]
    return Corpus(documents=docs, files=corpus.files), PerDocument(tokens, hits, per_doc.counts)


_CORE_GROUP_FIELDS = ("title", "author", "authors", "source", "date", "year", "doc_id")


def known_fields(docs: Sequence[Any]) -> list[str]:
    """The fields a user can compare by: the core ones and every metadata key, sorted."""
    return sorted({"title", "author", "source", "date", "year"} | {k for doc in docs for k in doc.meta})


def _check_fields(asked: list[tuple[str, str]], docs: Sequence[Any]) -> None:
    """A grouping or time field the caller named that no document has is a typo, not a group."""
    known = set(_CORE_GROUP_FIELDS) | {k for doc in docs for k in doc.meta}
    for how, name in asked:
        if name not in known:
            listed = ", ".join(known_fields(docs))
            raise InputError(f"cannot {how} {name!r}: no document has that field; the fields are: {listed}")


def _remove_new(fresh: list[Path], store_path: Path) -> None:
    """Remove what a failed run created: the store file (and its log), then the folder if empty."""
    if store_path in fresh:
        for p in (store_path, store_path.with_name(store_path.name + ".wal")):
            p.unlink(missing_ok=True)
    for folder in (p for p in fresh if p != store_path):
        try:
            folder.rmdir()  # only when empty: never a folder the user filled meanwhile
        except OSError:
            pass


@dataclass(frozen=True)
class Tagged:
    """Theme tags of a corpus as DataFrames: documents, scores per (document, theme), hits.

    ``paragraphs`` has one row per (document, paragraph, theme) with a hit: the unit
    scholars hand-code, to compare with their codes.
    """

    documents: pd.DataFrame
    scores: pd.DataFrame
    hits: pd.DataFrame
    paragraphs: pd.DataFrame | None = None

    def __repr__(self) -> str:
        themes = self.hits["theme"].nunique() if len(self.hits) else 0
        return f"<Tagged: {len(self.documents):,} documents, {len(self.hits):,} hits in {themes} themes>"

    def compare(self, by: str) -> pd.DataFrame:
        """Theme density and share of documents per value of the metadata field ``by``
        (``govtext.compare.theme_density``); a list-valued field counts for each value."""
        from govtext.compare import theme_density

        themes = self.scores[["theme", "name"]].drop_duplicates("theme")
        return theme_density(self.scores, self.documents, by, themes)

    def _repr_html_(self) -> str:
        from html import escape

        top = (
            self.scores.groupby(["theme", "name"], sort=False)["hits"]
            .sum()
            .sort_values(ascending=False)
            .head(12)
            if len(self.scores)
            else None
        )
        table = top.reset_index().to_html(index=False) if top is not None else ""
        return f"<p><b>Tagged</b>: {escape(repr(self)[9:-1])}</p>{table}"


def tag(
    data: Any,
    dictionary: str | Path | None = None,
    *,
    extra: Sequence[str | Path] = (),
    text_column: str = "text",
    id_column: str | None = None,
) -> Tagged:
    """Tag every document with the theme rules; no segmentation or topics.

    ``data`` is a Corpus, one text, a list of texts, a pandas Series of texts or a
    DataFrame whose ``text_column`` holds the texts (its other columns are kept as
    document metadata, its ``id``/``doc_id`` column or ``id_column`` as ids).

    >>> tagged = tag(["坚持党建引领，推进接诉即办。", "广西壮族自治区"])
    >>> sorted(tagged.scores.loc[tagged.scores["hits"] > 0, "theme"])
    ['complaint_response', 'party_building']
    """
    from govtext import stages
    from govtext.documents import as_corpus

    corpus = as_corpus(data, text_column=text_column, id_column=id_column)
    cfg = PipelineConfig(themes=ThemesConfig(dictionary=str(dictionary or ""), extra=[str(p) for p in extra]))
    themes = stages.load_themes(cfg)
    hits, scores = stages.match(corpus, themes)
    return Tagged(documents=corpus.to_frame(), scores=scores, hits=hits, paragraphs=_paragraph_table(hits))


def _paragraph_table(hits: pd.DataFrame) -> pd.DataFrame:
    """One row per (document, paragraph, theme) with a hit: hits, and the first evidence."""
    import pandas as pd

    cols = ["doc_id", "paragraph_index", "theme", "name", "hits", "sentence"]
    if not len(hits) or "paragraph_index" not in hits:
        return pd.DataFrame(columns=cols)
    g = hits.groupby(["doc_id", "paragraph_index", "theme"], sort=False)
    out = g.agg(name=("name", "first"), hits=("theme", "size"), sentence=("sentence", "first")).reset_index()
    return out[cols]
