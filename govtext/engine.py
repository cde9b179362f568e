"""Engines: run per-document work over a corpus in batches, in order, streaming.

``map_batches(fn, items, config)`` cuts ``items`` into batches, hands each batch to
``fn`` (in this process, in a pool of worker processes, or on a Dask cluster) and
yields ``fn``'s results in input order. Only a bounded window of batches is in flight
(submitted and not yet yielded), so memory stays flat however long ``items`` is and
nothing ever holds the whole corpus in one list.

``fn`` must be a picklable top-level function (or a ``functools.partial`` of one) that
returns one result per item. Expensive per-process state (a Segmenter with its
dictionary loaded, a fitted Matcher) goes through ``worker_state(key, factory)`` so
each worker process builds it once, not once per batch.

Batches are cut by characters as well as by count: a batch closes at ``batch_size``
items or ``batch_chars`` characters of text, whichever comes first. Hotline records
are a few hundred characters and provincial reports tens of thousands; a count alone
would make one task a hundred times longer than another. About 300,000 characters
(≈0.9 MB of UTF-8) is a second or less of segmentation on one core: long enough that
the cost of pickling a batch to a worker and its tokens back is small next to the
work, short enough that two batches per worker in flight stay well under 100 MB.
"""

from __future__ import annotations

import itertools
import os
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol, TypeVar

from govtext.batches import Batch as _Batch
from govtext.batches import Window as _Window
from govtext.batches import batches as _batches
from govtext.batches import iter_batches
from govtext.errors import ConfigError, GovtextError

T = TypeVar("T")
R = TypeVar("R")

EngineName = Literal["local", "dask"]
ENGINES: tuple[str, ...] = ("local", "dask")
# the keys of a pipeline file's [engine] table (the other settings are the library's)
TABLE_KEYS = ("engine", "workers", "scheduler", "batch_chars")


class EngineError(GovtextError):
    """A batch failed in a worker; names the batch's first document and the cause."""


class ProgressCallback(Protocol):
    """What ``map_batches`` reports after each batch it yields (see govtext.progress)."""

    def __call__(self, n: int, *, chars: int = 0, nbytes: int = 0) -> None: ...


@dataclass(frozen=True)
class EngineConfig:
    """Where and how per-document work runs; also the [engine] table of a pipeline file
    (``from_table``/``to_table``: the keys of ``TABLE_KEYS``, 0 workers for every core,
    "" for no scheduler, as run.json records them).

    engine : "local" (worker processes on this machine) or "dask" (a Dask cluster).
    workers : worker processes; None uses every core. ``local`` with 1 worker runs
        in this process, without a pool (the single-core yardstick).
    scheduler : address of a running Dask scheduler (``tcp://host:8786``); None starts
        a LocalCluster of ``workers`` processes with one thread each.
    batch_size : most items per batch.
    batch_chars : most characters of text per batch (items without ``text`` count 0).
    in_flight : batches submitted and not yet yielded, per worker.
    connect_timeout : seconds to wait for the Dask scheduler at ``scheduler``.
    """

    engine: EngineName = "local"
    workers: int | None = None
    scheduler: str | None = None
    batch_size: int = 512
    batch_chars: int = 300_000
    in_flight: int = 2
    connect_timeout: float = 10.0

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ConfigError(
                f"The 'engine' parameter must be one of {list(ENGINES)}. Got {self.engine!r} instead."
            )
        if self.workers is not None and (not isinstance(self.workers, int) or self.workers < 1):
            raise ConfigError(
                f"The 'workers' parameter must be an integer ≥ 1 or None (all cores). Got {self.workers!r} instead."
            )
        for name in ("batch_size", "batch_chars", "in_flight"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"The {name!r} parameter must be an integer ≥ 1. Got {value!r} instead.")
        if self.scheduler is not None and self.engine != "dask":
            raise ConfigError(
                f"A scheduler address ({self.scheduler!r}) only applies to engine 'dask'; "
                f"the engine is {self.engine!r}. Pass engine='dask' or drop the scheduler."
            )

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> EngineConfig:
        """The engine of a pipeline file's [engine] table (keys checked by the caller)."""
        default = cls().to_table()
        get = {**default, **table}.__getitem__
        return cls(
            engine=get("engine"),
            workers=get("workers") or None,
            scheduler=get("scheduler") or None,
            batch_chars=get("batch_chars"),
        )

    def to_table(self) -> dict[str, Any]:
        """The [engine] table of this engine, as a pipeline file writes it and run.json records it."""
        return {
            "engine": self.engine,
            "workers": self.workers or 0,
            "scheduler": self.scheduler or "",
            "batch_chars": self.batch_chars,
        }

    @property
    def n_workers(self) -> int:
        """``workers`` with None resolved to, and more clamped to, the cores this process
        may use (``--workers 10000`` must not start 10,000 processes); a remote Dask
        scheduler's workers are its own business.
        """
        cores = usable_cores()
        if self.workers is None:
            return cores
        if self.engine == "dask" and self.scheduler:
            return self.workers
        return min(self.workers, cores)

    @property
    def clamp_note(self) -> str:
        """One line saying ``workers`` was cut to the cores ("" when it was not)."""
        if self.workers is None or self.n_workers == self.workers:
            return ""
        return (
            f"{self.workers} workers are more than the {self.n_workers} core(s) this process may use; "
            f"using {self.n_workers}"
        )

    @property
    def in_process(self) -> bool:
        return self.engine == "local" and self.n_workers == 1

    def for_job(self, chars: int, *, batches: int = 1) -> EngineConfig:
        """The engine to run a job of ``chars`` characters of text on: this one, or, for
        local work of at most ``batches`` batches (``batch_chars`` each), the same in
        this process (``workers=1``).

        Forking a pool and sending the workers the texts costs more than a batch or two
        of work saves; the results are the same wherever they are computed. This is the
        one place govtext runs work in process that was given workers: the reuse planner
        asks it for the last chunk of a run (one batch) and for re-matching a snapshot
        after a dictionary change (sixteen). Dask is kept: its user chose the cluster.
        """
        if self.engine == "local" and chars <= batches * self.batch_chars:
            return replace(self, workers=1)
        return self


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


# -- per-process state ------------------------------------------------------------------

_STATE: OrderedDict[Hashable, Any] = OrderedDict()
_STATE_LOCK = threading.Lock()
_STATE_MAX = 8  # a long session that changes settings often keeps only the recent ones


def worker_state(key: Hashable, factory: Callable[[], T]) -> T:
    """The object cached under ``key`` in this process, built by ``factory`` on first use.

    Worker functions call this for anything expensive to build (a Segmenter with its
    dictionaries loaded, a compiled Matcher); the key must hold every setting the
    object depends on, so different settings never share an object.
    """
    with _STATE_LOCK:  # Dask workers may run several threads; build each object once
        if key in _STATE:
            _STATE.move_to_end(key)
            return _STATE[key]
        value = factory()
        _STATE[key] = value
        while len(_STATE) > _STATE_MAX:
            _STATE.popitem(last=False)
        return value


def clear_worker_state() -> None:
    """Forget every cached object of this process (tests, or to free memory)."""
    with _STATE_LOCK:
        _STATE.clear()


def _run_batch(fn: Callable[[list[Any]], Sequence[Any]], items: list[Any]) -> Sequence[Any]:
    # A Sequence (a BatchResult) is kept as it is: it travels as one object.
    out = fn(items)
    if not isinstance(out, Sequence):
        out = list(out)
    if len(out) != len(items):
        raise EngineError(
            f"{getattr(fn, '__name__', fn)!r} returned {len(out)} results for a batch of {len(items)} items; "
            "a batch function must return exactly one result per item, in order."
        )
    return out


def _run_pickled(payload: bytes) -> Sequence[Any]:
    fn, items = pickle.loads(payload)
    return _run_batch(fn, items)


def _pickled(fn: Callable[..., Any], batch: _Batch) -> bytes:
    # Pickle here rather than in the pool's feeder thread: there a pickling error
    # leaves the future pending for ever (CPython 3.11), here it names the batch.
    try:
        return pickle.dumps((fn, batch.items), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        raise EngineError(
            f"{batch.where} cannot be sent to a worker process: {type(exc).__name__}: {exc}. "
            "The batch function must be a top-level function (or a functools.partial of one) "
            "and the items plain picklable data."
        ) from exc


def _failure(batch: _Batch, exc: BaseException) -> EngineError:
    return EngineError(f"{batch.where} failed: {type(exc).__name__}: {exc}")


# -- engines ----------------------------------------------------------------------------


class Engine:
    """A pool (or Dask client) kept open across several ``map`` calls.

    A pipeline that runs several per-document stages opens one Engine for all of them,
    so worker processes (and what they cached with ``worker_state``) are started once.
    """

    def __init__(self, config: EngineConfig | None = None) -> None:
        self.config = config or EngineConfig()
        self._pool: Any = None
        self._pool_size = 0
        self._client: Any = None
        self._cluster: Any = None

    # context management

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Shut the pool down, or close the Dask client and the LocalCluster it started."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        client, self._client = self._client, None
        cluster, self._cluster = self._cluster, None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

    # starting

    def start(self) -> Engine:
        """Start the worker processes or the Dask cluster now rather than on the first ``map``.

        Call it before opening anything that runs threads (a DuckDB connection, a Dask
        client): local workers are forked, and forking is only safe while this process
        runs no other threads.
        """
        if self.config.engine == "dask":
            self._dask_client()
        elif not self.config.in_process:
            # with fork the pool starts every worker on its first task
            self._local_pool().submit(os.getpid).result()
        return self

    def _local_pool(self, size: int | None = None) -> Any:
        if self._pool is None:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            # fork starts a worker in milliseconds and shares the parent's imports. It is
            # safe while the parent runs no other threads: progress bars do not
            # auto-refresh, and ``start()`` forks before a store or client is opened.
            # Elsewhere the platform default.
            methods = mp.get_all_start_methods()
            ctx = mp.get_context("fork" if "fork" in methods else methods[0])
            self._pool = ProcessPoolExecutor(size or self.config.n_workers, mp_context=ctx)
            self._pool_size = size or self.config.n_workers
        return self._pool

    def _dask_client(self) -> Any:
        if self._client is None:
            import logging

            from distributed import Client, LocalCluster

            if self.config.scheduler:
                try:
                    self._client = Client(self.config.scheduler, timeout=self.config.connect_timeout)
                except (OSError, TimeoutError) as exc:
                    raise EngineError(
                        f"cannot reach the Dask scheduler at {self.config.scheduler!r} ({exc}); "
                        "check the address, or give no scheduler address to start a local cluster."
                    ) from None
            else:
                self._cluster = LocalCluster(
                    n_workers=self.config.n_workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
                try:
                    self._client = Client(self._cluster)
                except BaseException:
                    self._cluster.close()
                    self._cluster = None
                    raise
        return self._client

    @property
    def n_workers(self) -> int:
        """Worker processes (for a remote scheduler: the workers it has now)."""
        if self._client is not None and self.config.scheduler:
            return max(1, len(self._client.scheduler_info().get("workers", {})))
        if self._pool is not None:
            return self._pool_size
        return self.config.n_workers

    # running

    def map(
        self,
        fn: Callable[[list[T]], Sequence[R]],
        items: Iterable[T],
        *,
        progress: ProgressCallback | None = None,
        batch_size: int | None = None,
        in_flight: int | None = None,
        buffer_bytes: int = 0,
    ) -> Iterator[R]:
        """``fn`` over batches of ``items``; results one per item, in input order.

        ``batch_size`` and ``in_flight`` override the config's for this call (files to
        read go one per batch, and few at a time: each may be large). ``buffer_bytes``
        lets batches that finished ahead of a slower earlier one wait, up to that many
        bytes of input (``nbytes``), without holding back new submissions: reading files,
        a large first file would otherwise leave the other workers idle once each has
        read one file after it.
        """
        batches = _batches(items, batch_size or self.config.batch_size, self.config.batch_chars)
        per_worker = in_flight or self.config.in_flight
        if self.config.in_process:
            return self._map_here(fn, batches, progress)
        if self.config.engine == "local":
            return self._map_local(fn, batches, progress, per_worker, buffer_bytes)
        return self._map_dask(fn, batches, progress, per_worker, buffer_bytes)

    def _map_here(
        self, fn: Callable[..., Sequence[Any]], batches: Iterator[_Batch], progress: Any
    ) -> Iterator[Any]:
        for batch in batches:
            try:
                out = _run_batch(fn, batch.items)
            except Exception as exc:
                raise _failure(batch, exc) from exc
            yield from out
            if progress is not None:
                progress(len(batch.items), chars=batch.chars, nbytes=batch.nbytes)

    def _map_local(
        self,
        fn: Callable[..., Sequence[Any]],
        batches: Iterator[_Batch],
        progress: Any,
        per_worker: int,
        buffer_bytes: int,
    ) -> Iterator[Any]:
        from concurrent.futures import FIRST_COMPLETED, wait

        # no more processes than batches: two short files are one batch, not a pool of 64
        first = list(itertools.islice(batches, self.config.n_workers))
        batches = itertools.chain(first, batches)
        pool = self._local_pool(max(1, len(first)))

        def submit(batch: _Batch) -> Any:
            return pool.submit(_run_pickled, _pickled(fn, batch))

        def first_done(futures: set[Any]) -> set[Any]:
            done, _ = wait(futures, return_when=FIRST_COMPLETED)
            return done

        window = _Window(per_worker * self.n_workers, buffer_bytes)
        try:
            yield from _ordered(batches, submit, first_done, window, progress)
        except GeneratorExit:
            # a consumer that took every result it wanted: the pool stays for the next
            # map, unless batches it left behind are still running
            if window.busy:
                self.close()
            raise
        except BaseException:
            # a failed batch or Ctrl-C: no orphan workers
            self.close()
            raise

    def _map_dask(
        self,
        fn: Callable[..., Sequence[Any]],
        batches: Iterator[_Batch],
        progress: Any,
        per_worker: int,
        buffer_bytes: int,
    ) -> Iterator[Any]:
        from distributed import as_completed

        client = self._dask_client()
        stream = as_completed()
        ready: list[Any] = []

        def submit(batch: _Batch) -> Any:
            try:
                future = client.submit(_run_batch, fn, batch.items, pure=False)
            except Exception as exc:
                raise EngineError(
                    f"{batch.where} cannot be sent to the Dask workers: {type(exc).__name__}: {exc}"
                ) from exc
            stream.add(future)
            return future

        def first_done(futures: set[Any]) -> set[Any]:
            # as_completed hands back every future once, in completion order; keep the
            # ones that finished while we were not looking for the next call
            while not ready:
                ready.extend(stream.next_batch(block=True))
            done = {f for f in ready if f in futures}
            ready[:] = [f for f in ready if f not in done]
            return done

        window = _Window(per_worker * self.n_workers, buffer_bytes)
        try:
            yield from _ordered(batches, submit, first_done, window, progress)
        except GeneratorExit:
            if window.busy:
                self.close()
            raise
        except BaseException:
            self.close()
            raise


def _ordered(
    batches: Iterator[_Batch],
    submit: Callable[[_Batch], Any],
    first_done: Callable[[set[Any]], set[Any]],
    window: _Window,
    progress: Any,
) -> Iterator[Any]:
    """Keep ``window.size`` batches submitted-but-not-yielded; yield results in input order.

    Finished batches wait in a reorder buffer until every earlier batch is out; they
    count against the window (past its ``buffer_bytes``), so a slow batch stalls
    submission instead of letting the buffer grow.
    """
    pending, finished = window.pending, window.finished
    next_index = 0
    source = iter(batches)
    exhausted = False
    while True:
        while not exhausted and not window.full:
            batch = next(source, None)
            if batch is None:
                exhausted = True
                break
            pending[submit(batch)] = batch
        if not pending and not finished:
            return
        if next_index not in finished:
            for future in first_done(set(pending)):
                batch = pending.pop(future)
                finished[batch.index] = (batch, future)
        while next_index in finished:
            batch, future = finished.pop(next_index)
            try:
                out = future.result()
            except Exception as exc:
                raise _failure(batch, exc) from exc
            next_index += 1
            yield from out
            if progress is not None:
                progress(len(batch.items), chars=batch.chars, nbytes=batch.nbytes)


def map_batches(
    fn: Callable[[list[T]], Sequence[R]],
    items: Iterable[T],
    config: EngineConfig | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> Iterator[R]:
    """Run ``fn`` over batches of ``items`` with a one-off Engine; results in input order.

    The pool or cluster closes when the iterator is exhausted, fails, or is closed.
    """
    engine = Engine(config)
    try:
        yield from engine.map(fn, items, progress=progress)
    finally:
        engine.close()


__all__ = [
    "ENGINES",
    "TABLE_KEYS",
    "Engine",
    "EngineConfig",
    "EngineError",
    "ProgressCallback",
    "clear_worker_state",
    "iter_batches",
    "map_batches",
    "worker_state",
]
