"""One adapter per stage: how the pipeline calls each module with a PipelineConfig.

Keeping these calls in one place lets every stage module keep its own small API while
the pipeline stays a straight line of calls. The per-document stages, with their reuse
of what the store holds, are ``govtext.reuse``; the adapters here only translate the
configuration into its parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import partial
from importlib import metadata
from typing import TYPE_CHECKING, Any

from govtext import reuse
from govtext.documents import Corpus, Document, FileRecord

if TYPE_CHECKING:
    import pandas as pd

    from govtext.config import PipelineConfig
    from govtext.engine import EngineConfig
    from govtext.ingest.core import IngestOptions
    from govtext.results import RunResult
    from govtext.store import Store
    from govtext.tokens import Tokens
    from govtext.work import WorkerSettings


def ingest(paths: list[str], cfg: PipelineConfig) -> Corpus:
    manifest: list[FileRecord] = []
    docs = list(iter_ingest(paths, cfg, manifest))
    return Corpus(documents=docs, files=manifest)


def iter_ingest(
    paths: list[str], cfg: PipelineConfig, manifest: list[FileRecord], engine: Any = None
) -> Iterator[Document]:
    """``ingest`` as a stream (``govtext.reuse.iter_read``: in ``engine``'s workers if given)."""
    return reuse.iter_read(paths, ingest_options(cfg), manifest, engine)


def ingest_options(cfg: PipelineConfig) -> IngestOptions:
    """The pipeline's [ingest] table as ingest's options."""
    from govtext.ingest.core import IngestOptions

    return IngestOptions(
        text_column=cfg.ingest.text_column or None,
        path_pattern=cfg.ingest.path_pattern or None,
        max_file_size=int(cfg.ingest.max_file_size_mb * 1024 * 1024),
        part_bytes=int(cfg.ingest.part_size_mb * 1024 * 1024),
        max_doc_chars=cfg.ingest.max_doc_chars,
        extract_timeout=cfg.ingest.extract_timeout,
        max_depth=cfg.ingest.max_depth,
    )


def snapshot_key(paths: list[str], cfg: PipelineConfig) -> str | None:
    """The key under which the store keeps the corpus that ``ingest(paths, cfg)`` reads
    (``govtext.reuse.snapshot_key``); None for standard input."""
    return reuse.snapshot_key(paths, ingest_options(cfg))


def worker_settings(cfg: PipelineConfig, dictionary: Any) -> WorkerSettings:
    """How the per-document stages segment and match: the [segment] table, and the theme
    dictionary the [themes] table loaded to (``load_themes``), sent to the workers as it is."""
    from govtext.work import WorkerSettings

    return WorkerSettings.from_pipeline(cfg, dictionary)


def update_store(
    paths: list[str],
    cfg: PipelineConfig,
    store: Store,
    dictionary: Any,
    *,
    engine: EngineConfig,
    show_progress: bool = False,
    keep: bool = True,
) -> reuse.StoreUpdate:
    """Ingest, segment and match ``paths`` into the store, reusing what it holds
    (``govtext.reuse.update_store``)."""
    return reuse.update_store(
        paths,
        store,
        dictionary,
        options=ingest_options(cfg),
        settings=worker_settings(cfg, dictionary),
        engine=engine,
        show_progress=show_progress,
        keep=keep,
    )


def per_document(
    docs: Sequence[Document],
    cfg: PipelineConfig,
    store: Store,
    dictionary: Any,
    *,
    engine: EngineConfig,
    show_progress: bool = False,
    write_documents: bool = True,
) -> reuse.PerDocument:
    """Tokens and hits of every document of ``docs``, reusing what the store holds
    (``govtext.reuse.per_document``)."""
    return reuse.per_document(
        docs,
        store,
        dictionary,
        settings=worker_settings(cfg, dictionary),
        engine=engine,
        show_progress=show_progress,
        write_documents=write_documents,
    )


def make_segmenter(cfg: PipelineConfig, *, pos: bool = False) -> Any:
    from govtext.segment import Segmenter

    return Segmenter(user_dicts=cfg.segment.user_dicts, hmm=cfg.segment.hmm, pos=pos)


def segment(corpus: Corpus, cfg: PipelineConfig) -> list[Tokens]:
    seg = make_segmenter(cfg, pos=True)
    return [seg.tokens(doc) for doc in corpus]


def load_themes(cfg: PipelineConfig) -> Any:
    from govtext.themes import load_dictionary

    return load_dictionary(cfg.themes.dictionary or None, extra=cfg.themes.extra)


def match(corpus: Corpus, dictionary: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    from govtext.themes import Matcher

    matcher = Matcher(dictionary=dictionary).fit()
    return hit_tables(corpus, [h for doc in corpus for h in matcher.transform(doc)], dictionary)


def hit_tables(corpus: Corpus, hits: list[Any], dictionary: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The hits frame (with theme names) and the per-(document, theme) scores."""
    from govtext.themes import hits_frame, score_documents

    frame = hits_frame(hits)
    names = {t.id: t.name for t in dictionary.themes.values()}
    # Every theme for every document, zeros included, so group figures count absences too.
    scores = score_documents(hits, corpus.documents, themes=dictionary)
    # the theme id and its Chinese name side by side, as in every table
    for table in (frame, scores):
        table.insert(table.columns.get_loc("theme") + 1, "name", table["theme"].map(names).astype("str"))
    return frame, scores


def themes_frame(dictionary: Any) -> pd.DataFrame:
    import pandas as pd

    frameworks = {f.id: f.name for f in dictionary.frameworks}
    rows = [
        {
            "theme": t.id,
            "name": t.name,
            "name_en": t.name_en,
            "framework": t.framework,
            "framework_name": frameworks.get(t.framework, ""),
        }
        for t in dictionary.themes.values()
    ]
    return pd.DataFrame(rows)


def prepare_topics(
    corpus: Corpus,
    tokens: list[Tokens],
    dictionary: Any,
    cfg: PipelineConfig,
    store: Any = None,
    hits: list[list[Any]] | None = None,
    before_units: Any = None,
) -> Any:
    """The run's stored topic model, or the job of fitting one
    (``govtext.topics.workflow.prepare_topics``; ``TopicStage`` fits it)."""
    from govtext.topics.workflow import prepare_topics

    settings = _topic_settings(cfg, dictionary, store, hits)
    return prepare_topics(corpus.documents, tokens, before_units=before_units, **settings)


def _topic_settings(cfg: PipelineConfig, dictionary: Any, store: Any, hits: Any) -> dict[str, Any]:
    # The dictionary seeds the seeded model and names every model's topics by theme overlap;
    # fit_topics also joins its multi-word terms into single tokens first.
    params: dict[str, Any] = {}
    if cfg.topics.n_free is not None:
        params["n_free"] = cfg.topics.n_free
    return dict(
        method=cfg.topics.method,
        k=cfg.topics.k,
        unit=cfg.topics.unit,
        dictionary=dictionary,
        random_state=cfg.topics.random_state,
        k_range=tuple(cfg.topics.k_range),
        min_df=cfg.topics.min_df,
        max_df=cfg.topics.max_df,
        name_min_auc=cfg.topics.name_min_auc,
        cache=store,
        refit=cfg.topics.refit,
        hits=hits,
        **params,
    )


class TopicStage:
    """The run's topic model, fitted beside the comparison tables.

    ``start`` loads the stored model, or builds the units and, with more than one worker
    and at least ``SMALL_JOB`` units, hands them to the fit's own process
    (``govtext.topics.child``), started just before they are built so that it imports
    meanwhile. ``finish`` waits for the model (fitted here when there is no child) and
    keeps it in the store. What either step warned about is in ``caught``; a model that
    cannot be fitted (too few or too similar texts) is None, with the reason in ``error``.
    """

    def __init__(self, cfg: PipelineConfig) -> None:
        self.cfg = cfg
        self.child: Any = None
        self.store: Any = None
        self.job: Any = None
        self.model: Any = None
        self.error: Exception | None = None
        self.caught: list[Any] = []

    def start(
        self, corpus: Corpus, tokens: list[Tokens], dictionary: Any, store: Any, hits: list[list[Any]]
    ) -> None:
        from govtext.topics import TopicModel
        from govtext.topics.child import SMALL_JOB, TopicChild

        self.store = store
        n_units = len(corpus.documents)
        if self.cfg.topics.unit == "paragraph":
            n_units = sum(len(d.paragraphs) or 1 for d in corpus.documents)

        def start_child() -> None:
            if n_units >= SMALL_JOB and not self.cfg.engine.in_process:
                self.child = TopicChild()

        job = self._catching(
            lambda: prepare_topics(
                corpus, tokens, dictionary, self.cfg, store, hits, before_units=start_child
            )
        )
        if isinstance(job, TopicModel) or job is None:
            self.model = job
            self.close()
        else:
            self.job = job
            if self.child is not None and not self.child.take(job):
                self.close()
            elif self.child is not None:  # the child has the units: keep none here
                self.job = self.child.job

    def finish(self, meanwhile: Callable[[], Any] | None = None) -> Any:
        """The model (None: topics off, or not fitted). ``meanwhile`` is called first
        when the model is still being fitted in the child: time otherwise spent waiting."""
        from govtext.topics.workflow import fit_job, keep_fitted

        job, self.job = self.job, None
        if job is not None:
            child = self.child
            if child is not None and meanwhile is not None:
                meanwhile()

            def fit() -> Any:
                model, caught = child.result() if child is not None else fit_job(job)
                return keep_fitted(job, model, caught, cache=self.store)

            self.model = self._catching(fit)
            self.close()
        return self.model

    def _catching(self, fn: Any) -> Any:
        import warnings

        from govtext.errors import GovtextError

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                return fn()
            except (GovtextError, ValueError) as exc:
                self.error = exc
                return None
            finally:
                self.caught.extend(caught)

    def close(self) -> None:
        child, self.child = self.child, None
        if child is not None:
            child.close()


def ready_report(
    cfg: PipelineConfig, result: RunResult, tables: dict[str, pd.DataFrame]
) -> Callable[[], None]:
    """``import_for_report`` of these, to be called later (``TopicStage.finish``)."""
    return partial(import_for_report, cfg, result, tables)


def import_for_report(
    cfg: PipelineConfig, result: RunResult | None = None, tables: dict[str, pd.DataFrame] | None = None
) -> None:
    """Ready the report while the topic model is fitted in its own process, on time the
    run would otherwise spend waiting: import what its figures need (matplotlib, its font
    list and backends: ~0.5 s) and start its child process (``govtext.report.child``:
    its own start and imports, ~1 CPU-s), which draws the figures that need only the
    comparison ``tables`` of ``result`` (all but the trend, ~1.5 CPU-s) until the report
    gives it the rest of its work."""
    formats = set(cfg.report.formats)
    if {"xlsx", "figures"} & formats:
        from govtext.report import early_figures
        from govtext.report.child import start_early

        early = None
        if "figures" in formats and result is not None and tables is not None:
            early = early_figures(result, tables)
        start_early(early)
    if {"html", "figures"} & formats:
        from govtext.report.charts import import_drawing

        import_drawing()


def compare(
    result: RunResult, tokens: list[Tokens], cfg: PipelineConfig, store: Any = None
) -> dict[str, pd.DataFrame]:
    from govtext.compare.cached import compare_run

    # Keyness and similarity on content words: stopwords and report filler words out.
    stopwords = make_segmenter(cfg).stopword_set()
    return compare_run(
        result,
        tokens,
        stopwords=stopwords,
        min_group_chars=cfg.compare.min_group_chars,
        min_group_docs=cfg.compare.min_group_docs,
        cache=store,  # the tables of the last run of the same inputs are loaded
        let_go=True,  # the run's tokens: emptied once counted
    )


def with_topic_tables(tables: dict[str, pd.DataFrame], result: RunResult) -> dict[str, pd.DataFrame]:
    """The comparison ``tables`` with the run's topic tables in their place."""
    from govtext.compare import with_topic_tables

    return with_topic_tables(tables, result.topic_model, result.documents, result.by)


def dictionary_info(dictionary: Any) -> dict[str, Any]:
    return {
        "hash": dictionary.hash,
        "sources": [str(p) for p in dictionary.source_paths],
        "themes": len(dictionary.themes),
        "frameworks": len(dictionary.frameworks),
    }


def segmenter_info(cfg: PipelineConfig, tokens: list[Tokens]) -> dict[str, Any]:
    return {
        "hmm": cfg.segment.hmm,
        "user_dicts": cfg.segment.user_dicts,
        "settings_hash": tokens[0].settings_hash if tokens else "",
        "tokens": sum(len(t) for t in tokens),
    }


def package_versions() -> dict[str, str]:
    names = [
        "jieba",
        "rjieba",
        "pyahocorasick",
        "ahocorasick-rs",
        "opencc",
        "gensim",
        "scikit-learn",
        "pandas",
        "numpy",
        "duckdb",
        "jinja2",
        "typer",
    ]
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out
