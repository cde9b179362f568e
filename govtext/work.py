"""The per-document work the engine runs: segment and theme-match a batch of documents.

``process_batch(docs, settings)`` is the batch function every command that segments or
matches documents hands to ``govtext.engine`` (``govtext run`` through the reuse
planner, ``govtext segment`` through ``segment_documents``). ``WorkerSettings`` is all a
worker needs, by value: the segmenter's parameters and the theme dictionary itself,
frozen and keyed by its content hash, so no worker reads a dictionary file again (a
remote Dask worker may not even see the file). Each worker builds its Segmenter and
Matcher once (``govtext.engine.worker_state``); a batch's results travel back as one
``BatchResult`` of token arrays.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, overload

from govtext.documents import Document, content_hash
from govtext.engine import Engine, EngineConfig, worker_state
from govtext.normalize import FAST_MIN_CHARS, Normalized, view_arrays
from govtext.segment import Segmenter
from govtext.themes import Matcher

if TYPE_CHECKING:
    from govtext.store import Store
    from govtext.themes import ThemeDictionary
    from govtext.tokens import Tokens


@dataclass(frozen=True)
class WorkerSettings:
    """Everything a worker needs to segment and match a document (picklable, hashable).

    ``user_dicts``/``use_default_dict``/``hmm``/``pos``/``backend`` are the Segmenter's
    parameters (``backend`` None: the Segmenter's default); ``dictionary`` the loaded theme dictionary (None: the
    shipped default), sent to the workers as it is and told apart by its content hash.
    ``segment``/``match`` switch the two steps, so a dictionary change can re-match
    without re-segmenting; ``themes`` restricts matching to those themes (None: all), so
    it re-matches only the themes whose rules changed.
    """

    user_dicts: tuple[str, ...] = ()
    use_default_dict: bool = True
    hmm: bool = False
    pos: bool = True
    backend: str | None = None
    dictionary: ThemeDictionary | None = field(default=None, compare=False, repr=False)
    segment: bool = True
    match: bool = True
    themes: tuple[str, ...] | None = None
    # what equality, hashing and the workers' cache go by (the dictionary is not hashable)
    dictionary_hash: str | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        object.__setattr__(self, "user_dicts", tuple(str(p) for p in self.user_dicts))
        if self.dictionary is not None:
            object.__setattr__(self, "dictionary_hash", self.dictionary.hash)
        if self.themes is not None:
            object.__setattr__(self, "themes", tuple(sorted(self.themes)))

    @classmethod
    def from_pipeline(
        cls, cfg: Any, dictionary: ThemeDictionary, *, backend: str | None = None
    ) -> WorkerSettings:
        """The settings of a ``govtext.config.PipelineConfig`` ([segment]) with the theme
        dictionary its [themes] table loaded to."""
        return cls(
            user_dicts=tuple(cfg.segment.user_dicts),
            hmm=cfg.segment.hmm,
            pos=True,
            backend=backend,
            dictionary=dictionary,
        )

    def segment_only(self) -> WorkerSettings:
        """These settings for segmenting alone (no dictionary sent, none loaded)."""
        return replace(self, segment=True, match=False, dictionary=None, themes=None)

    def _segmenter_key(self) -> tuple[Hashable, ...]:
        # file stamps: a long-lived worker must not keep using a dictionary edited since
        return (
            "segmenter",
            self.user_dicts,
            self.use_default_dict,
            self.hmm,
            self.pos,
            self.backend,
            _stamps(self.user_dicts),
        )

    def _matcher_key(self) -> tuple[Hashable, ...]:
        return ("matcher", self.dictionary_hash, self.themes)


def _stamps(paths: Iterable[str]) -> tuple[tuple[int, int], ...]:
    out = []
    for p in paths:
        try:
            st = os.stat(p)
            out.append((st.st_mtime_ns, st.st_size))
        except OSError:
            out.append((-1, -1))  # the loader reports the missing file with its own message
    return tuple(out)


@dataclass(frozen=True)
class DocResult:
    """What the per-document stages produce for one document.

    ``batch``/``index`` point at the BatchResult it came in, so the store can write a
    batch's tokens from its arrays instead of document by document.
    """

    doc_id: str
    tokens: Any  # govtext.tokens.Tokens, or None when segmentation was off
    hits: tuple[Any, ...]  # govtext.themes.ThemeHit, in the matcher's order
    batch: Any = None
    index: int = -1


@dataclass(eq=False)
class BatchResult(Sequence[DocResult]):
    """The results of one batch, travelling as one object: the tokens of all its
    documents as a few arrays (``govtext.tokens.TokenBatch``) and the hits per
    document. Indexing gives a DocResult per document, built on the receiving side."""

    doc_ids: list[str]
    tokens: Any  # govtext.tokens.TokenBatch, or None when segmentation was off
    hits: list[tuple[Any, ...]]

    def __len__(self) -> int:
        return len(self.doc_ids)

    @overload
    def __getitem__(self, i: int) -> DocResult: ...

    @overload
    def __getitem__(self, i: slice) -> list[DocResult]: ...

    def __getitem__(self, i: int | slice) -> DocResult | list[DocResult]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        doc_id = self.doc_ids[i]
        tokens = self.tokens.tokens(i, doc_id) if self.tokens is not None else None
        return DocResult(doc_id=doc_id, tokens=tokens, hits=self.hits[i], batch=self, index=i)

    def __iter__(self) -> Iterator[DocResult]:
        for i in range(len(self)):
            yield self[i]


def make_segmenter(settings: WorkerSettings) -> Segmenter:
    kwargs: dict[str, Any] = {
        "user_dicts": settings.user_dicts,
        "use_default_dict": settings.use_default_dict,
        "hmm": settings.hmm,
        "pos": settings.pos,
    }
    if settings.backend is not None:
        kwargs["backend"] = settings.backend
    return Segmenter(**kwargs)


def make_matcher(settings: WorkerSettings) -> Matcher:
    themes = list(settings.themes) if settings.themes is not None else None
    return Matcher(dictionary=settings.dictionary, themes=themes).fit()


def prepare(settings: WorkerSettings) -> None:
    """Build the Segmenter and Matcher of ``settings`` in this process now.

    Called before a local pool forks, the workers inherit them (copy-on-write) instead
    of each loading the dictionaries again: about a CPU second per worker.
    """
    # one small document loads everything the objects load lazily (jieba-rs, tables)
    process_batch([Document("prepare", "推进接诉即办，健全基层治理体系。")], settings)


def process_batch(docs: list[Any], settings: WorkerSettings) -> BatchResult:
    """Segment and theme-match a batch of Documents (run in a worker by the engine).

    The Segmenter and Matcher are built once per worker process (``worker_state``).
    Each text's normalised view is made once and serves both. Pass it as
    ``functools.partial(process_batch, settings=settings)``.
    """
    seg = (
        worker_state(settings._segmenter_key(), lambda: make_segmenter(settings))
        if settings.segment
        else None
    )
    matcher = (
        worker_state(settings._matcher_key(), lambda: make_matcher(settings)) if settings.match else None
    )
    views: list[Any] = []
    for doc in docs:
        try:
            views.append(view_arrays(doc.text))
        except UnicodeEncodeError:  # lone surrogates: the segmenter refuses them, the matcher copes
            views.append(None)
    tokens = None
    if seg is not None:
        tokens = seg.tokens_batch(
            [d.text for d in docs],
            views=[v or view_arrays(d.text) for v, d in zip(views, docs, strict=True)],
        )
    hits: list[tuple[Any, ...]] = []
    for doc, v in zip(docs, views, strict=True):
        if matcher is None:
            hits.append(())
            continue
        view = None
        # normalize() views a short text with its per-character loop (OpenCC phrase rules
        # included); the vectorised view stands in for it only where normalize uses it too
        if v is not None and len(doc.text) >= FAST_MIN_CHARS:
            view = Normalized(v[0], None, len(doc.text), breaks=v[1].tolist(), shift=v[2].tolist())
        hits.append(tuple(matcher.transform(doc, view=view)))
    return BatchResult(doc_ids=[d.doc_id for d in docs], tokens=tokens, hits=hits)


def start_engine(config: EngineConfig, store: Store | None = None) -> Engine:
    """An Engine for ``config``, started when a ``store`` is open. Local workers are
    forked, and forking is only safe while no other thread runs: the store (DuckDB's
    threads) is closed meanwhile. Without a store the pool starts on the first map, no
    larger than the batches it is given."""
    if config.in_process or store is None:
        return Engine(config)
    store.close()
    try:
        return Engine(config).start()
    finally:
        store.open()


def segment_documents(
    docs: Sequence[Document],
    settings: WorkerSettings,
    config: EngineConfig,
    *,
    store: Store | None = None,
    flush_chars: int = 20_000_000,
) -> Iterator[Tokens]:
    """The tokens of ``docs`` in input order, segmented (not matched) in the engine of
    ``config``: ``govtext segment``, on the same path as the per-document stages of a run.

    With a ``store``, the tokens it holds under (text hash, segmenter settings hash) are
    taken from it and only the other texts segmented, each distinct text once; their
    tokens go into the store in transactions of about ``flush_chars`` characters.
    """
    settings = settings.segment_only()
    segmenter = make_segmenter(settings)
    sh = segmenter.settings_hash  # a broken user dictionary fails here, before any worker starts
    hashes = [content_hash(d.text) for d in docs] if store is not None else []
    known: dict[str, Tokens] = {}
    todo: dict[str, Document] = {}  # one document per text the store lacks, in input order
    if store is not None:
        known = {th: t for (th, _), t in store.get_tokens((h, sh) for h in hashes).items()}
        for d, h in zip(docs, hashes, strict=True):
            if h not in known:
                todo.setdefault(h, d)
    work = list(todo.values()) if store is not None else docs
    # as for the last chunk of a run: a batch's worth of text needs no pool
    config = config.for_job(sum(len(d.text) for d in work))
    if work and config.engine == "local":
        prepare(settings)  # built here, inherited by forked workers (or used in process)
    fn = functools.partial(process_batch, settings=settings)
    with start_engine(config, store) as engine:
        if store is None:
            for res in engine.map(fn, work):
                yield res.tokens
            return
        if work:
            store.put_settings(segmenter)
        new: list[tuple[str, Tokens, DocResult]] = []
        size = 0
        for h, res in zip(todo, engine.map(fn, work), strict=True):
            known[h] = res.tokens
            new.append((h, res.tokens, res))
            size += len(todo[h].text)
            if size >= flush_chars:
                store.put_tokens(new)
                new, size = [], 0
        store.put_tokens(new)
    for d, h in zip(docs, hashes, strict=True):
        yield known[h].with_doc_id(d.doc_id)


__all__ = [
    "BatchResult",
    "DocResult",
    "WorkerSettings",
    "make_matcher",
    "make_segmenter",
    "prepare",
    "process_batch",
    "segment_documents",
    "start_engine",
]
