"""The topic stage of `govtext run` alone, in one process, with its parts timed.

    PYTHONPATH=. python bench/bench_topic_stage.py                      # ../shared/corpus, fresh tokens
    PYTHONPATH=. python bench/bench_topic_stage.py --store S.duckdb     # tokens read back from a store

The per-document stages run first as `govtext run` runs them (into a throw-away store,
so the tokens are the workers' batches, as in a first run; or from ``--store``, as a
re-run with --refit reads them); then ``stages.topics`` is timed with the default
pipeline, and its parts (units, the candidate fits, inference of every unit, the name
checks) by wrapping those functions. The RSS printed is the process's above its level
before the stage, after ``gc.collect()`` and ``malloc_trim``: what the stage leaves
behind. Wall seconds: run it under ``flock /tmp/bench.lock`` and state the load.
"""

from __future__ import annotations

import argparse
import ctypes
import functools
import gc
import os
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _timed(parts: dict[str, float], owner: Any, name: str) -> None:
    real = getattr(owner, name, None)
    if real is None:  # an older revision without this part
        return

    @functools.wraps(real)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            parts[name] = parts.get(name, 0.0) + time.perf_counter() - t0

    setattr(owner, name, wrapper)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument("--store", help="read the tokens back from this store (made by a run)")
    args = ap.parse_args()

    import psutil

    import govtext.topics.model as model
    import govtext.topics.workflow as workflow
    from govtext import stages
    from govtext.config import default_pipeline
    from govtext.store import Store

    parts: dict[str, float] = {}
    for owner, name in (
        (workflow, "build_units"),
        (model, "select_k"),
        (model.TopicModel, "_infer"),
        (model.TopicModel, "check_names"),
    ):
        _timed(parts, owner, name)
    cfg = default_pipeline()
    cfg.topics.refit = True
    dictionary = stages.load_themes(cfg)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(args.store or os.path.join(tmp, "s.duckdb"))
        update = stages.update_store([args.corpus], cfg, store, dictionary, engine=cfg.engine)
        if update.corpus is not None and update.per_document is not None:
            corpus, per = update.corpus, update.per_document
        else:
            assert update.snapshot is not None
            corpus = store.load_corpus(update.snapshot)
            per = stages.per_document(corpus.documents, cfg, store, dictionary, engine=cfg.engine)
        proc = psutil.Process()
        gc.collect()
        rss0 = proc.memory_info().rss
        t0, c0 = time.perf_counter(), time.process_time()
        fitted = stages.topics(corpus, per.tokens, dictionary, cfg, None, per.hits)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        gc.collect()
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        left = (proc.memory_info().rss - rss0) / 2**20
        store.close()
    print(
        f"topic stage {wall:.2f} s wall, {cpu:.2f} s CPU; K={fitted.k_}; "
        + ", ".join(f"{k} {v:.2f} s" for k, v in parts.items())
        + f"; RSS left {left:+.0f} MB; load {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
