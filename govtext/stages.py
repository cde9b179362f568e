"""One adapter per stage: how the pipeline calls each module with a PipelineConfig.

Keeping these calls in one place lets every stage module keep its own small API while
the pipeline stays a straight line of calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from importlib import metadata
from typing import TYPE_CHECKING, Any

from govtext.documents import Corpus, Document, FileRecord

if TYPE_CHECKING:
    import pandas as pd

    from govtext.config import PipelineConfig
    from govtext.engine import EngineConfig
    from govtext.results import RunResult
    from govtext.store import Store
    from govtext.tokens import Tokens


def ingest(paths: list[str], cfg: PipelineConfig) -> Corpus:
    manifest: list[FileRecord] = []
    docs = list(iter_ingest(paths, cfg, manifest))
    return Corpus(documents=docs, files=manifest)


def iter_ingest(
    paths: list[str], cfg: PipelineConfig, manifest: list[FileRecord], engine: Any = None
) -> Iterator[Document]:
    """``ingest`` as a stream; ``manifest`` is complete once the iterator is. With a
    started ``engine`` (govtext.engine.Engine) the files are read in its workers, one
    per task and one in flight per worker (a file may be large); the workers of a remote
    Dask scheduler get the files' bytes, since they may run where the paths do not exist."""
    import functools

    from govtext.ingest import iter_corpus

    read_map = None
    if engine is not None and not engine.config.in_process:
        read_map = functools.partial(engine.map, batch_size=1, in_flight=1)
    return iter_corpus(
        paths,
        manifest=manifest,
        read_map=read_map,
        # a LocalCluster runs on this machine and opens the paths itself
        ship_bytes=engine is not None and engine.config.scheduler is not None,
        **_ingest_options(cfg),
    )


def _ingest_options(cfg: PipelineConfig) -> dict[str, Any]:
    """The pipeline's [ingest] table as ingest's keyword arguments (IngestOptions fields)."""
    return {
        "text_column": cfg.ingest.text_column or None,
        "path_pattern": cfg.ingest.path_pattern or None,
        "max_file_size": int(cfg.ingest.max_file_size_mb * 1024 * 1024),
        "part_bytes": int(cfg.ingest.part_size_mb * 1024 * 1024),
        "max_doc_chars": cfg.ingest.max_doc_chars,
        "extract_timeout": cfg.ingest.extract_timeout,
        "max_depth": cfg.ingest.max_depth,
    }


def snapshot_key(paths: list[str], cfg: PipelineConfig) -> str | None:
    """The key under which the store keeps the corpus that ``ingest(paths, cfg)`` reads
    (see ``govtext.ingest.core.input_signature``); None for standard input."""
    from govtext.ingest.core import IngestOptions, input_signature

    return input_signature(paths, IngestOptions(**_ingest_options(cfg)))


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
    cfg: PipelineConfig,
    store: Store,
    dictionary: Any,
    *,
    engine: EngineConfig,
    show_progress: bool = False,
    keep: bool = True,
) -> StoreUpdate:
    """Bring the store up to date with the per-document stages for ``paths``:
    ingest → segment → match → store.

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

    key = snapshot_key(paths, cfg)
    if key is not None and store.has_snapshot(key):
        counts = _update_from_snapshot(
            key, cfg, store, dictionary, engine=engine, show_progress=show_progress
        )
        if counts is not None:
            return StoreUpdate(key, None, None, counts)
    started = None
    if not engine.in_process:
        # Start the workers now: they read the files. Forked local workers also start
        # without a large file's pages (which they would count as their own) and with
        # the segmenter and matcher already built.
        from govtext.engine import WorkerSettings, prepare

        if engine.engine == "local":
            prepare(WorkerSettings.from_pipeline(cfg))
        started = _start_engine(engine, store)
    manifest: list[FileRecord] = []
    counts = {}
    doc_ids: list[str] = []
    docs: list[Document] = []
    tokens: list[Tokens] = []
    hits: list[list[Any]] = []
    try:
        for doc, tok, found in iter_per_document(
            iter_ingest(paths, cfg, manifest, started),
            cfg,
            store,
            dictionary,
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
    if not doc_ids:
        raise InputError(unread_message(manifest))
    corpus = Corpus(documents=docs, files=manifest)
    # A file that failed may succeed next time (a time-out under load, a reader library
    # installed since): such a corpus is read again rather than remembered.
    if key is not None and not any(f.status == "failed" for f in manifest):
        store.put_snapshot(key, doc_ids, manifest)
    per = PerDocument(tokens=tokens, hits=hits, counts=counts) if keep else None
    return StoreUpdate(key, corpus if keep else None, per, counts)


# Python's whitespace (str.isspace, what str.split drops) as an RE2 class: DuckDB's \s
# is ASCII only, and a term broken by an ideographic space is whole in the view.
_SQL_BLANK = "[" + "".join(f"\\x{{{c:x}}}" for c in range(0x3001) if chr(c).isspace()) + "]"


def _update_from_snapshot(
    key: str,
    cfg: PipelineConfig,
    store: Store,
    dictionary: Any,
    *,
    engine: EngineConfig,
    show_progress: bool,
) -> dict[str, int] | None:
    """Add the theme sets a snapshot's documents lack; None when tokens are missing
    (the segmenter changed: the caller reads the files again)."""
    import duckdb

    sh = make_segmenter(cfg, pos=True).settings_hash
    (n_docs,) = store.con.execute(
        "SELECT count(*) FROM snapshot_documents WHERE snapshot = ?", [key]
    ).fetchone()
    (no_tokens,) = store.con.execute(
        "SELECT count(*) FROM snapshot_documents s ANTI JOIN tokens t "
        "ON t.text_hash = s.text_hash AND t.settings_hash = ? WHERE s.snapshot = ?",
        [sh, key],
    ).fetchone()
    if no_tokens:
        return None
    theme_hashes = dictionary.theme_hashes()
    counts = {"documents": int(n_docs), "tokens_reused": int(n_docs), "hits_reused": int(n_docs)}
    counts.update(segmented=0, matched=0)
    # Which themes some key lacks: a theme's sets are counted, not listed, so the usual
    # cases (everything there; a new theme nowhere) cost one aggregate each.
    have = dict(
        store.con.execute(
            "SELECT h.dictionary_hash, count(*) FROM hit_sets h "
            "JOIN (SELECT DISTINCT hits_key FROM snapshot_documents WHERE snapshot = ?) k USING (hits_key) "
            "WHERE h.dictionary_hash IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1",
            [key, list(theme_hashes.values())],
        ).fetchall()
    )
    (n_keys,) = store.con.execute(
        "SELECT count(DISTINCT hits_key) FROM snapshot_documents WHERE snapshot = ?", [key]
    ).fetchone()
    incomplete = {t: h for t, h in theme_hashes.items() if have.get(h, 0) < n_keys}
    if not incomplete:
        return counts
    counts["hits_reused"] = int(n_docs) - _lacking(store, key, incomplete, count=True)[0][0]
    for theme, th in sorted(incomplete.items()):
        lits = _plain_literals(dictionary, [theme])
        if lits is None:
            continue
        # The reasoning of _skip_absent, in SQL: a text (or, for a text with traditional
        # characters, its stored view) that lacks every string the theme needs,
        # whitespace removed, has no hit of it.
        # "Whitespace removed" is in the pattern (any blanks between the characters):
        # ten times quicker than removing it from every text first.
        patterns = _re2_patterns(lits)
        holds = " OR ".join(["regexp_matches(coalesce(t.view_text, d.text), ?)"] * len(patterns))
        try:
            with store.transaction():
                store.con.execute(
                    "INSERT INTO hit_sets (hits_key, dictionary_hash, n_hits) "
                    "SELECT DISTINCT s.hits_key, ?, 0 FROM snapshot_documents s "
                    "JOIN documents d USING (doc_id) "
                    "JOIN tokens t ON t.text_hash = s.text_hash AND t.settings_hash = ? "
                    "WHERE s.snapshot = ? AND (t.view_plain OR t.view_text IS NOT NULL) "
                    f"AND NOT ({holds}) "
                    "AND NOT EXISTS (SELECT 1 FROM hit_sets h WHERE h.hits_key = s.hits_key "
                    "AND h.dictionary_hash = ?)",
                    [th, sh, key, *patterns, th],
                )
        except duckdb.InvalidInputException:
            # a pattern RE2 will not compile (its size limit, whatever our budget): the
            # shortcut is only a shortcut, so the matcher below does this theme's texts
            pass
    # What is still missing: match those texts (one document per key) for the themes
    # they lack. Their tokens are all stored (checked above), so only matching runs.
    rest = [(int(o), sorted(themes)) for o, themes in _lacking(store, key, incomplete)]
    if rest:
        counts["matched"] = _match_missing(
            rest, key, cfg, store, dictionary, theme_hashes, engine, show_progress
        )
    return counts


def _lacking(store: Store, key: str, themes: dict[str, str], *, count: bool = False) -> list[Any]:
    """Per document key of the snapshot that lacks a set of ``themes`` (id → hash): its
    first position and the themes it lacks; with ``count``, the number of documents."""
    what = "count(DISTINCT s.ord)" if count else "min(s.ord), list(t.theme ORDER BY t.theme)"
    group = "" if count else " GROUP BY s.hits_key"
    return store.con.execute(
        f"SELECT {what} FROM snapshot_documents s CROSS JOIN "
        "(SELECT unnest(?::VARCHAR[]) AS theme, unnest(?::VARCHAR[]) AS th) t "
        "ANTI JOIN hit_sets h ON h.hits_key = s.hits_key AND h.dictionary_hash = t.th "
        f"WHERE s.snapshot = ?{group}",
        [list(themes), list(themes.values()), key],
    ).fetchall()


def _match_missing(
    rest: list[tuple[int, list[str]]],
    key: str,
    cfg: PipelineConfig,
    store: Store,
    dictionary: Any,
    theme_hashes: dict[str, str],
    engine: EngineConfig,
    show_progress: bool,
) -> int:
    """Match the snapshot's documents at the given positions for the themes listed with
    each, in the engine (in this process up to sixteen batches' worth), and store the sets."""
    import functools

    from govtext.documents import content_hash
    from govtext.engine import EngineConfig, WorkerSettings, process_batch
    from govtext.progress import stage_progress

    corpus = store.load_corpus(key, only=[int(r[0]) for r in rest])
    by_ord = dict(zip(sorted(int(r[0]) for r in rest), corpus.documents, strict=True))
    groups: dict[tuple[str, ...], list[Document]] = {}
    for ord_, lacks in rest:
        groups.setdefault(tuple(lacks), []).append(by_ord[int(ord_)])
    chars = sum(len(d.text) for d in corpus.documents)
    # Matching a theme or two costs little next to forking workers and sending them the
    # texts: only a large remainder (a dictionary change that rules no text out) goes out.
    if chars <= 16 * engine.batch_chars and engine.engine == "local":
        engine = EngineConfig(engine="local", workers=1)
    base = WorkerSettings.from_pipeline(cfg)
    all_themes = frozenset(theme_hashes)
    n = 0
    eng = _start_engine(engine, store)
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


def _start_engine(engine: EngineConfig, store: Store) -> Any:
    """A started Engine. Local workers are forked, and forking is only safe while no
    other thread runs: the store (DuckDB's threads) is closed meanwhile."""
    from govtext.engine import Engine

    if engine.in_process:
        return Engine(engine)
    store.close()
    try:
        return Engine(engine).start()
    finally:
        store.open()


def _plain_literals(dictionary: Any, themes: Iterable[str]) -> tuple[str, ...] | None:
    """The strings ``themes`` need (``ThemeDictionary.literals_of``) when a text's
    whitespace-free form can be searched for them: None when a rule needs no string,
    or a string has ASCII or whitespace (the view folds and removes those)."""
    lits = dictionary.literals_of(themes)
    if lits is None or any(ch.isascii() or ch.isspace() for lit in lits for ch in lit):
        return None
    return tuple(lits)


# RE2, DuckDB's regex engine, refuses a program past its size limit: a theme of 7,450
# four-character terms spelled with blanks between characters was measured past it.
# One pattern holds strings of at most this many characters and gaps, a fifth of that.
_PATTERN_BUDGET = 10_000


def _re2_patterns(lits: Sequence[str]) -> list[str]:
    """RE2 patterns that together match a text holding any of ``lits`` (whitespace
    allowed between characters), each within the size budget. A theme without strings
    (no rules) has no hit anywhere: one class matching nothing."""
    out: list[str] = []
    chunk: list[str] = []
    size = 0
    for lit in lits:
        cost = 2 * len(lit) - 1
        if chunk and size + cost > _PATTERN_BUDGET:
            out.append("|".join(chunk))
            chunk, size = [], 0
        chunk.append(_re2_spaced(lit))
        size += cost
    if chunk:
        out.append("|".join(chunk))
    return out or ["[^\\x{0}-\\x{10FFFF}]"]


def _re2_spaced(text: str) -> str:
    """An RE2 pattern for ``text`` with any run of whitespace between its characters
    (the strings here have no ASCII, but escape them all the same)."""
    import re

    return (_SQL_BLANK + "*").join(re.escape(ch) for ch in text)


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
    cfg: PipelineConfig,
    store: Store,
    dictionary: Any,
    *,
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
        cfg,
        store,
        dictionary,
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
    cfg: PipelineConfig,
    store: Store,
    dictionary: Any,
    *,
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
    ``flush_chars`` characters (default sixteen batches: a commit costs more than the
    rows it writes) as they arrive, so a killed run keeps what it finished. Document rows (with their text, so a re-run
    over unchanged files need not read them) go into the store's ``documents`` table,
    unless ``write_documents`` is False (documents just read back from the store).
    ``counts`` receives documents, tokens_reused, hits_reused, segmented and matched.
    """
    import functools

    from govtext.documents import content_hash
    from govtext.engine import Engine, EngineConfig, WorkerSettings, prepare, process_batch
    from govtext.progress import stage_progress
    from govtext.themes import ThemeHit

    flush_chars = flush_chars or 16 * engine.batch_chars
    chunk_chars = chunk_chars or 20 * engine.batch_chars
    counts = {} if counts is None else counts
    counts.update(documents=0, tokens_reused=0, hits_reused=0, segmented=0, matched=0)
    segmenter = make_segmenter(cfg, pos=True)
    sh = segmenter.settings_hash
    theme_hashes = dictionary.theme_hashes()
    all_themes = frozenset(theme_hashes)
    base = WorkerSettings.from_pipeline(cfg)
    literals: dict[frozenset[str], Any] = {}
    # ``started``: an Engine the caller started (and closes), e.g. before reading files,
    # so forked workers do not share the reader's pages
    eng: Engine | None = started
    settings_recorded = False
    try:
        with stage_progress("segment + match", total=total, quiet=not show_progress) as advance:
            for chunk, last in _chunks(docs, chunk_chars):
                if not chunk:
                    continue
                text_keys = [content_hash(d.text) for d in chunk]
                hit_keys = [hits_key(tk, d) for tk, d in zip(text_keys, chunk, strict=True)]
                if write_documents:  # False for documents just read back from the store
                    store.put_documents(chunk, hits_keys=hit_keys, text_hashes=text_keys)
                tokens = {th: tok for (th, _), tok in store.get_tokens((k, sh) for k in text_keys).items()}
                cached, missing = store.get_hits(hit_keys, theme_hashes)
                new_hits: dict[str, list[Any]] = {}
                counts["documents"] += len(chunk)
                counts["tokens_reused"] += sum(tk in tokens for tk in text_keys)
                counts["hits_reused"] += sum(hk not in missing for hk in hit_keys)
                # One representative document per missing key, in groups by what it lacks:
                # its tokens or not, and which themes (all for a new text, the changed ones
                # after a dictionary change).
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
                _skip_absent(groups, store, sh, dictionary, literals, theme_hashes, new_hits)
                todo = [g for g in groups.items() if g[1]]
                n_work = sum(len(items) for _, items in todo)
                advance(len(chunk) - n_work)
                if todo and eng is None:
                    work_chars = sum(len(d.text) for _, items in todo for d, _, _ in items)
                    if last and work_chars <= engine.batch_chars and engine.engine == "local":
                        engine = EngineConfig(engine="local", workers=1)  # one batch: no pool to start
                    if engine.engine == "local":
                        # built here, inherited by the forked workers (and used in-process)
                        for need_t, themes in (g for g, _ in todo):
                            prepare(_settings(base, need_t, themes, all_themes))
                    eng = _start_engine(engine, store)
                if todo and not settings_recorded:
                    store.put_settings(segmenter)
                    settings_recorded = True
                for (need_t, themes), items in todo:
                    assert eng is not None
                    fn = functools.partial(
                        process_batch, settings=_settings(base, need_t, themes, all_themes)
                    )
                    hashes = {t: theme_hashes[t] for t in themes}
                    new_t: list[tuple[str, Any, Any]] = []
                    new_h: list[tuple[str, Any]] = []
                    size = 0
                    results = eng.map(fn, (d for d, _, _ in items), progress=advance)
                    for (d, tk, hk), res in zip(items, results, strict=True):
                        if need_t:
                            tokens[tk] = res.tokens
                            new_t.append((tk, res.tokens, res))
                        if themes:
                            new_hits[hk] = list(res.hits)
                            new_h.append((hk, res.hits))
                        size += len(d.text)
                        if size >= flush_chars:
                            with store.transaction():
                                store.put_tokens(new_t)
                                store.put_hits(new_h, hashes)
                            new_t, new_h, size = [], [], 0
                    with store.transaction():
                        store.put_tokens(new_t)
                        store.put_hits(new_h, hashes)
                    counts["segmented"] += len(items) if need_t else 0
                    counts["matched"] += len(items) if themes else 0
                for d, tk, hk in zip(chunk, text_keys, hit_keys, strict=True):
                    found = [ThemeHit(doc_id=d.doc_id, **row) for row in cached.get(hk, ())]
                    fresh = new_hits.get(hk)
                    if fresh:
                        found = sorted(
                            [
                                *found,
                                *(h if h.doc_id == d.doc_id else replace(h, doc_id=d.doc_id) for h in fresh),
                            ],
                            key=_matcher_order,
                        )
                    yield d, tokens[tk].with_doc_id(d.doc_id), found
    finally:
        if eng is not None and eng is not started:
            eng.close()


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


def _finder(lits: tuple[str, ...]) -> Any:
    """A test 'does the text contain one of ``lits``': str.find for a few, Aho-Corasick for many."""
    if len(lits) <= 16:
        return lambda text: any(lit in text for lit in lits)
    import ahocorasick

    auto = ahocorasick.Automaton()
    for lit in lits:
        auto.add_word(lit, lit)
    auto.make_automaton()
    return lambda text: next(auto.iter(text), None) is not None


def _skip_absent(
    groups: dict[tuple[bool, frozenset[str]], list[tuple[Document, str, str]]],
    store: Store,
    settings_hash: str,
    dictionary: Any,
    literals: dict[frozenset[str], Any],
    theme_hashes: dict[str, str],
    new_hits: dict[str, list[Any]],
) -> None:
    """Record, without matching, that documents whose text holds none of the strings the
    missing themes need have no hits for them (after a dictionary change most texts do
    not contain a new theme's terms at all).

    The view joins lines, folds width and converts traditional characters, so a term
    can be in the view of a text that lacks it. Hence a text without traditional
    characters (the store recorded it with their tokens) is searched itself, any other
    text in its view as stored with its tokens; both with their whitespace removed and
    only for strings without ASCII characters. Documents left go to the engine.
    """
    for (need_t, themes), items in list(groups.items()):
        if need_t or not themes:
            continue
        if themes not in literals:
            literals[themes] = _plain_literals(dictionary, themes)
        lits = literals[themes]
        if lits is None:
            continue
        views = store.searchable((tk, settings_hash) for _, tk, _ in items)
        has = _finder(lits)
        keep, empty = [], []
        for item in items:
            d, tk, hk = item
            if tk in views and not has("".join((views[tk] or d.text).split())):  # whitespace out, in C
                empty.append((hk, ()))
                new_hits[hk] = []
            else:
                keep.append(item)
        if empty:
            store.put_hits(empty, {t: theme_hashes[t] for t in themes})
        groups[(need_t, themes)] = keep


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


def topics(
    corpus: Corpus,
    tokens: list[Tokens],
    dictionary: Any,
    cfg: PipelineConfig,
    store: Any = None,
    hits: list[list[Any]] | None = None,
) -> Any:
    from govtext.topics import fit_topics

    # The dictionary seeds the seeded model and names every model's topics by theme overlap;
    # fit_topics also joins its multi-word terms into single tokens first.
    params: dict[str, Any] = {}
    if cfg.topics.n_free is not None:
        params["n_free"] = cfg.topics.n_free
    return fit_topics(
        corpus.documents,
        tokens,
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


def compare(result: RunResult, tokens: list[Tokens], cfg: PipelineConfig) -> dict[str, pd.DataFrame]:
    from govtext.compare import compare_all, term_counts

    # Keyness and similarity on content words: stopwords and report filler words out.
    stopwords = make_segmenter(cfg).stopword_set()
    return compare_all(
        result,
        doc_term_counts=term_counts(tokens, stopwords=stopwords),
        min_group_chars=cfg.compare.min_group_chars,
        min_group_docs=cfg.compare.min_group_docs,
    )


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
