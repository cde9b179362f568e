"""Incremental reuse: bring the store up to date doing only the work it lacks.

The per-document stages (read → segment → match) write what they compute into the
store (``govtext.store``), keyed so that a later run can take it back: tokens by (text
hash, segmenter settings hash), hits by (text and paragraphs hash, theme hash), and a
corpus read from unchanged files by its snapshot key. ``update_store`` plans a run over
input files from what the store holds, ``iter_per_document`` does it for documents in
hand. Both take plain parameters (how files are read, how texts are segmented and
matched, the theme dictionary, the engine); ``govtext.stages`` builds them from a
``PipelineConfig``. The SQL they need is behind named ``Store`` methods.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from govtext.absent import plain_literals, skip_absent
from govtext.documents import Corpus, Document, FileRecord
from govtext.work import WorkerSettings, make_segmenter, prepare, process_batch, start_engine

if TYPE_CHECKING:
    from govtext.engine import Engine, EngineConfig
    from govtext.ingest.core import IngestOptions
    from govtext.store import Store
    from govtext.tokens import Tokens


# Files read ahead of an earlier one still being read, at most (bytes of input): two
# 16 MB parts of a large export, or many small files behind a large workbook.
READ_AHEAD_BYTES = 32 * 1024 * 1024


def iter_read(
    paths: list[str], options: IngestOptions, manifest: list[FileRecord], engine: Any = None
) -> Iterator[Document]:
    """The documents of ``paths`` read with ``options``, streamed; ``manifest`` is
    complete once the iterator is. With a started ``engine`` (govtext.engine.Engine) the
    files are read in its workers, one per task and one in flight per worker (a file may
    be large); the workers of a remote Dask scheduler get the files' bytes, since they
    may run where the paths do not exist."""
    import functools

    from govtext.ingest import iter_corpus

    read_map = None
    if engine is not None and not engine.config.in_process:
        # A worker that has read a later file goes on to the next while an earlier,
        # larger one is still being read (up to READ_AHEAD_BYTES of files waiting).
        read_map = functools.partial(engine.map, batch_size=1, in_flight=1, buffer_bytes=READ_AHEAD_BYTES)
    return iter_corpus(
        paths,
        manifest=manifest,
        read_map=read_map,
        # a LocalCluster runs on this machine and opens the paths itself
        ship_bytes=engine is not None and engine.config.scheduler is not None,
        **asdict(options),
    )


def snapshot_key(paths: list[str], options: IngestOptions) -> str | None:
    """The key under which the store keeps the corpus that ``iter_read(paths, options)``
    reads (see ``govtext.ingest.core.input_signature``); None for standard input."""
    from govtext.ingest.core import input_signature

    return input_signature(paths, options)


@dataclass
class StoreUpdate:
    """What ``update_store`` did: the snapshot key, the corpus and per-document results
    when it read the files (None when the store already had them), and the counts."""

    snapshot: str | None
    corpus: Corpus | None
    per_document: PerDocument | None
    counts: dict[str, int]


def update_store(
    paths: list[str],
    store: Store,
    dictionary: Any,
    *,
    options: IngestOptions,
    settings: WorkerSettings,
    engine: EngineConfig,
    show_progress: bool = False,
    keep: bool = True,
) -> StoreUpdate:
    """Bring the store up to date with the per-document stages for ``paths``:
    ingest → segment → match → store.

    ``options`` says how the files are read (and keys the snapshot, see
    ``snapshot_key``), ``settings`` how texts are segmented and matched (its
    ``segment``/``match``/``themes`` are set here per group of documents),
    ``dictionary`` is the loaded ``ThemeDictionary`` whose theme hashes key the hits,
    ``engine`` where the work runs.

    Over input files unchanged since a run that finished (same snapshot key), nothing is
    read: the store already holds the documents, their text and tokens, and only theme
    sets the dictionary now asks for are added; most of those by one SQL statement per
    changed theme (texts that cannot hold the theme get an empty set), the rest by
    matching the few texts that can. Otherwise the files are read and streamed through
    ``iter_per_document``; the corpus is then saved under its key. ``keep`` holds the
    documents, tokens and hits in memory for the caller (the pipeline's analyses need
    them); without it memory stays flat whatever the corpus size.
    """
    from govtext.errors import InputError
    from govtext.ingest.summary import unread_message

    # the workers match with the very dictionary whose theme hashes key the store
    settings = replace(settings, dictionary=dictionary)
    key = snapshot_key(paths, options)
    if key is not None and store.has_snapshot(key):
        reused = _update_from_snapshot(
            key, store, dictionary, settings=settings, engine=engine, show_progress=show_progress
        )
        if reused is not None:
            return StoreUpdate(key, None, None, reused)
    manifest: list[FileRecord] = []
    counts: dict[str, int] = {}
    doc_ids, docs, tokens, hits = _read_per_document(
        paths, options, manifest, store, dictionary, settings, engine, show_progress, counts, keep
    )
    if not doc_ids:
        raise InputError(unread_message(manifest))
    corpus = Corpus(documents=docs, files=manifest)
    # A file that failed may succeed next time (a time-out under load, a reader library
    # installed since): such a corpus is read again rather than remembered.
    if key is not None and not any(f.status == "failed" for f in manifest):
        store.put_snapshot(key, doc_ids, manifest)
    per = PerDocument(tokens=tokens, hits=hits, counts=counts) if keep else None
    return StoreUpdate(key, corpus if keep else None, per, counts)


def _read_per_document(
    paths: list[str],
    options: IngestOptions,
    manifest: list[FileRecord],
    store: Store,
    dictionary: Any,
    settings: WorkerSettings,
    engine: EngineConfig,
    show_progress: bool,
    counts: dict[str, int],
    keep: bool,
) -> tuple[list[str], list[Document], list[Tokens], list[list[Any]]]:
    """Read the files and stream them through ``iter_per_document``: the ids of the
    documents, and (with ``keep``) the documents, their tokens and their hits."""
    started = None
    if not engine.in_process:
        # Start the workers now: they read the files. Forked local workers also start
        # without a large file's pages (which they would count as their own) and with
        # the segmenter and matcher already built.
        if engine.engine == "local":
            prepare(settings)
        started = start_engine(engine, store)
    doc_ids: list[str] = []
    docs: list[Document] = []
    tokens: list[Tokens] = []
    hits: list[list[Any]] = []
    try:
        for doc, tok, found in iter_per_document(
            iter_read(paths, options, manifest, started),
            store,
            dictionary,
            settings=settings,
            engine=engine,
            show_progress=show_progress,
            counts=counts,
            started=started,
        ):
            doc_ids.append(doc.doc_id)
            if keep:
                docs.append(doc)
                tokens.append(tok)
                hits.append(found)
    finally:
        if started is not None:
            started.close()
    return doc_ids, docs, tokens, hits


def _update_from_snapshot(
    key: str,
    store: Store,
    dictionary: Any,
    *,
    settings: WorkerSettings,
    engine: EngineConfig,
    show_progress: bool,
) -> dict[str, int] | None:
    """Add the theme sets a snapshot's documents lack; None when tokens are missing
    (the segmenter changed: the caller reads the files again)."""
    sh = make_segmenter(settings).settings_hash
    n_docs = store.snapshot_size(key)
    if store.snapshot_without_tokens(key, sh):
        return None
    theme_hashes = dictionary.theme_hashes()
    counts = {"documents": n_docs, "tokens_reused": n_docs, "hits_reused": n_docs}
    counts.update(segmented=0, matched=0)
    incomplete = store.snapshot_incomplete_themes(key, theme_hashes)
    if not incomplete:
        return counts
    counts["hits_reused"] = n_docs - store.snapshot_count_lacking(key, incomplete)
    for theme, th in sorted(incomplete.items()):
        lits = plain_literals(dictionary, [theme])
        if lits is None:
            continue
        # The reasoning of skip_absent, in SQL: a text (or, for a text with traditional
        # characters, its stored view) that lacks every string the theme needs,
        # whitespace removed, has no hit of it. Where RE2 refuses the patterns, the
        # shortcut is only a shortcut: the matcher below does this theme's texts.
        store.put_absent_hit_sets(key, sh, th, lits)
    # What is still missing: match those texts (one document per key) for the themes
    # they lack. Their tokens are all stored (checked above), so only matching runs.
    rest = store.snapshot_lacking(key, incomplete)
    if rest:
        counts["matched"] = _match_missing(
            rest, key, store, dictionary, theme_hashes, settings, engine, show_progress
        )
    return counts


def _match_missing(
    rest: list[tuple[int, list[str]]],
    key: str,
    store: Store,
    dictionary: Any,
    theme_hashes: dict[str, str],
    base: WorkerSettings,
    engine: EngineConfig,
    show_progress: bool,
) -> int:
    """Match the snapshot's documents at the given positions for the themes listed with
    each, in the engine (in this process up to sixteen batches' worth), and store the sets."""
    import functools

    from govtext.documents import content_hash
    from govtext.progress import stage_progress

    corpus = store.load_corpus(key, only=[int(r[0]) for r in rest])
    by_ord = dict(zip(sorted(int(r[0]) for r in rest), corpus.documents, strict=True))
    groups: dict[tuple[str, ...], list[Document]] = {}
    for ord_, lacks in rest:
        groups.setdefault(tuple(lacks), []).append(by_ord[int(ord_)])
    chars = sum(len(d.text) for d in corpus.documents)
    # Matching a theme or two costs little next to forking workers and sending them the
    # texts: only a large remainder (a dictionary change that rules no text out) goes out.
    engine = engine.for_job(chars, batches=16)
    all_themes = frozenset(theme_hashes)
    n = 0
    eng = start_engine(engine, store)
    with eng, stage_progress("match", total=len(rest), quiet=not show_progress) as advance:
        for themes, docs in groups.items():
            wanted = frozenset(themes)
            settings = _settings(base, False, wanted, all_themes)
            hashes = {t: theme_hashes[t] for t in wanted}
            found: list[tuple[str, Any]] = []
            for doc, res in zip(
                docs,
                eng.map(functools.partial(process_batch, settings=settings), docs, progress=advance),
                strict=True,
            ):
                found.append((hits_key(content_hash(doc.text), doc), res.hits))
                if len(found) >= 2000:
                    store.put_hits(found, hashes)
                    found = []
            store.put_hits(found, hashes)
            n += len(docs)
    return n


@dataclass(frozen=True)
class PerDocument:
    """What the per-document stages gave: tokens and hits per document, and what was re-used."""

    tokens: list[Tokens]
    hits: list[list[Any]]  # ThemeHit lists, one per document
    counts: dict[str, int]


def hits_key(text_hash: str, doc: Document) -> str:
    """Cache key of a document's hits: its text and its paragraph spans (readers may set them)."""
    from govtext.documents import content_hash

    return content_hash(f"{text_hash}|{doc.paragraphs!r}")


def per_document(
    docs: Sequence[Document],
    store: Store,
    dictionary: Any,
    *,
    settings: WorkerSettings,
    engine: EngineConfig,
    show_progress: bool = False,
    write_documents: bool = True,
) -> PerDocument:
    """Tokens and hits of every document of ``docs`` (see ``iter_per_document``)."""
    counts: dict[str, int] = {}
    tokens: list[Tokens] = []
    hits: list[list[Any]] = []
    for _doc, tok, doc_hits in iter_per_document(
        docs,
        store,
        dictionary,
        settings=settings,
        engine=engine,
        show_progress=show_progress,
        counts=counts,
        total=len(docs),
        write_documents=write_documents,
    ):
        tokens.append(tok)
        hits.append(doc_hits)
    return PerDocument(tokens=tokens, hits=hits, counts=counts)


def _chunks(docs: Iterable[Document], chunk_chars: int) -> Iterator[tuple[list[Document], bool]]:
    """Lists of documents of about ``chunk_chars`` characters, each with 'is the last one'."""
    chunk: list[Document] = []
    size = 0
    for doc in docs:
        if chunk and size + len(doc.text) > chunk_chars:
            yield chunk, False
            chunk, size = [], 0
        chunk.append(doc)
        size += len(doc.text)
    yield chunk, True


def iter_per_document(
    docs: Iterable[Document],
    store: Store,
    dictionary: Any,
    *,
    settings: WorkerSettings,
    engine: EngineConfig,
    show_progress: bool = False,
    counts: dict[str, int] | None = None,
    total: int | None = None,
    chunk_chars: int | None = None,
    flush_chars: int | None = None,
    started: Any = None,
    write_documents: bool = True,
) -> Iterator[tuple[Document, Tokens, list[Any]]]:
    """Segment and theme-match ``docs``, re-using the store and computing only what it lacks.

    Yields (document, tokens, hits) in input order, streaming: documents are taken in
    chunks of about ``chunk_chars`` characters (default 20 engine batches), so memory
    holds one chunk, not the corpus. Tokens are cached by (text hash, segmenter settings
    hash) and hits by (text and paragraphs hash, theme hash), so a dictionary change
    re-matches only the themes it touched, only in the texts that contain one of their
    strings, and never re-segments; a new file costs only itself. The missing work runs
    through ``govtext.engine``; results go into the store in transactions of about
    ``flush_chars`` characters (default eight batches: a commit costs more than the
    rows it writes, and the workers wait for the last one, so it should be short) as
    they arrive, so a killed run keeps what it finished. Document rows (with their text,
    so a re-run over unchanged files need not read them) go into the store's
    ``documents`` table once the chunk's first results are in (the workers have work
    queued meanwhile), unless ``write_documents`` is False (documents just read back
    from the store).
    ``counts`` receives documents, tokens_reused, hits_reused, segmented and matched.
    """
    from govtext.progress import stage_progress

    flush_chars = flush_chars or 8 * engine.batch_chars
    chunk_chars = chunk_chars or 20 * engine.batch_chars
    counts = {} if counts is None else counts
    counts.update(documents=0, tokens_reused=0, hits_reused=0, segmented=0, matched=0)
    run = _ChunkRun(store, dictionary, settings, engine, counts, flush_chars, started)
    try:
        with stage_progress("segment + match", total=total, quiet=not show_progress) as advance:
            for chunk, last in _chunks(docs, chunk_chars):
                if chunk:
                    yield from run.chunk(chunk, last, advance, write_documents)
    finally:
        run.close()


class _ChunkRun:
    """One ``iter_per_document``: its keys and settings, and the engine once a chunk
    needs one (``started``: an Engine the caller started and closes, e.g. before
    reading files, so forked workers do not share the reader's pages)."""

    def __init__(
        self,
        store: Store,
        dictionary: Any,
        settings: WorkerSettings,
        engine: EngineConfig,
        counts: dict[str, int],
        flush_chars: int,
        started: Any,
    ) -> None:
        self.store = store
        self.dictionary = dictionary
        self.engine = engine
        self.counts = counts
        self.flush_chars = flush_chars
        self.segmenter = make_segmenter(settings)
        self.sh = self.segmenter.settings_hash
        self.theme_hashes: dict[str, str] = dictionary.theme_hashes()
        self.all_themes = frozenset(self.theme_hashes)
        self.base = replace(settings, dictionary=dictionary)  # as in update_store
        self.literals: dict[frozenset[str], Any] = {}
        self.started = started
        self.eng: Engine | None = started
        self.settings_recorded = False

    def chunk(
        self, chunk: list[Document], last: bool, advance: Any, write_documents: bool
    ) -> Iterator[tuple[Document, Tokens, list[Any]]]:
        """Take what the store holds for ``chunk``, compute the rest, yield each document."""
        from govtext.documents import content_hash

        store = self.store
        text_keys = [content_hash(d.text) for d in chunk]
        hit_keys = [hits_key(tk, d) for tk, d in zip(text_keys, chunk, strict=True)]

        def put_documents() -> None:
            if write_documents:  # False for documents just read back from the store
                store.put_documents(chunk, hits_keys=hit_keys, text_hashes=text_keys)

        tokens = {th: tok for (th, _), tok in store.get_tokens((k, self.sh) for k in text_keys).items()}
        cached, missing = store.get_hits(hit_keys, self.theme_hashes)
        new_hits: dict[str, list[Any]] = {}
        self.counts["documents"] += len(chunk)
        self.counts["tokens_reused"] += sum(tk in tokens for tk in text_keys)
        self.counts["hits_reused"] += sum(hk not in missing for hk in hit_keys)
        groups = _work_groups(chunk, text_keys, hit_keys, tokens, missing)
        skip_absent(groups, store, self.sh, self.dictionary, self.literals, self.theme_hashes, new_hits)
        todo = [g for g in groups.items() if g[1]]
        n_work = sum(len(items) for _, items in todo)
        advance(len(chunk) - n_work)
        if todo:
            self._ready(todo, last)
        else:
            put_documents()
        for k, ((need_t, themes), items) in enumerate(todo):
            # the document rows are written while the workers segment (not before: then
            # they would wait for the main process)
            self._compute(need_t, themes, items, tokens, new_hits, advance, put_documents if k == 0 else None)
        for d, tk, hk in zip(chunk, text_keys, hit_keys, strict=True):
            yield d, tokens[tk].with_doc_id(d.doc_id), _doc_hits(d, cached.get(hk, ()), new_hits.get(hk))

    def _ready(self, todo: list[tuple[tuple[bool, frozenset[str]], Any]], last: bool) -> None:
        """Start the engine (first work of the run) and record the segmenter's settings."""
        if self.eng is None:
            work_chars = sum(len(d.text) for _, items in todo for d, _, _ in items)
            if last:  # the whole job: a batch's worth needs no pool
                self.engine = self.engine.for_job(work_chars)
            if self.engine.engine == "local":
                # built here, inherited by the forked workers (and used in-process)
                for need_t, themes in (g for g, _ in todo):
                    prepare(_settings(self.base, need_t, themes, self.all_themes))
            self.eng = start_engine(self.engine, self.store)
        if not self.settings_recorded:
            self.store.put_settings(self.segmenter)
            self.settings_recorded = True

    def _compute(
        self,
        need_t: bool,
        themes: frozenset[str],
        items: list[tuple[Document, str, str]],
        tokens: dict[str, Any],
        new_hits: dict[str, list[Any]],
        advance: Any,
        meanwhile: Callable[[], None] | None = None,
    ) -> None:
        """Segment (``need_t``) and match for ``themes`` a group's documents in the engine,
        into ``tokens``/``new_hits`` and the store (committed every ``flush_chars`` characters).
        ``meanwhile`` is called once the first result is in: the workers have work queued."""
        import functools

        assert self.eng is not None
        fn = functools.partial(process_batch, settings=_settings(self.base, need_t, themes, self.all_themes))
        hashes = {t: self.theme_hashes[t] for t in themes}
        new_t: list[tuple[str, Any, Any]] = []
        new_h: list[tuple[str, Any]] = []
        size = 0
        results = self.eng.map(fn, (d for d, _, _ in items), progress=advance)
        for (d, tk, hk), res in zip(items, results, strict=True):
            if meanwhile is not None:
                meanwhile()
                meanwhile = None
            if need_t:
                tokens[tk] = res.tokens
                new_t.append((tk, res.tokens, res))
            if themes:
                new_hits[hk] = list(res.hits)
                new_h.append((hk, res.hits))
            size += len(d.text)
            if size >= self.flush_chars:
                self.store.put_results(new_t, new_h, hashes)
                new_t, new_h, size = [], [], 0
        self.store.put_results(new_t, new_h, hashes)
        self.counts["segmented"] += len(items) if need_t else 0
        self.counts["matched"] += len(items) if themes else 0

    def close(self) -> None:
        if self.eng is not None and self.eng is not self.started:
            self.eng.close()


def _work_groups(
    chunk: list[Document],
    text_keys: list[str],
    hit_keys: list[str],
    tokens: dict[str, Any],
    missing: dict[str, frozenset[str]],
) -> dict[tuple[bool, frozenset[str]], list[tuple[Document, str, str]]]:
    """One representative document per missing key, in groups by what it lacks: its
    tokens or not, and which themes (all for a new text, the changed ones after a
    dictionary change)."""
    groups: dict[tuple[bool, frozenset[str]], list[tuple[Document, str, str]]] = {}
    seen_t: set[str] = set()
    seen_h: set[str] = set()
    for d, tk, hk in zip(chunk, text_keys, hit_keys, strict=True):
        need_t = tk not in tokens and tk not in seen_t
        themes = missing.get(hk, frozenset()) if hk not in seen_h else frozenset()
        if need_t or themes:
            groups.setdefault((need_t, themes), []).append((d, tk, hk))
            seen_t.add(tk)
            if themes:
                seen_h.add(hk)
    return groups


def _doc_hits(d: Document, cached: Iterable[dict[str, Any]], fresh: list[Any] | None) -> list[Any]:
    """A document's hits: those the store held and those just found, in the matcher's order."""
    from govtext.themes import ThemeHit

    found = [ThemeHit(doc_id=d.doc_id, **row) for row in cached]
    if fresh:
        found = sorted(
            [*found, *(h if h.doc_id == d.doc_id else replace(h, doc_id=d.doc_id) for h in fresh)],
            key=_matcher_order,
        )
    return found


def _matcher_order(h: Any) -> tuple[int, int, str, str]:
    return (h.start, h.start - h.end, h.theme, h.rule)


def _settings(base: Any, need_t: bool, themes: frozenset[str], all_themes: frozenset[str]) -> Any:
    """Worker settings for documents that lack their tokens (need_t) and ``themes``."""
    return replace(
        base,
        segment=need_t,
        match=bool(themes),
        themes=None if themes == all_themes else tuple(sorted(themes)),
    )
