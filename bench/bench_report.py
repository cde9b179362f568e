"""The report stage alone: ``write_report`` of one run, timed, with an RSS trace.

    python bench/bench_report.py [CORPUS] [--store PATH] [--out DIR] [--repeat N]

Runs ``analyze`` on CORPUS (default ../shared/corpus; a store kept at ``--store`` makes
later invocations quick), then writes the report ``--repeat`` times into fresh folders
(``force=True``). The first write pays the report's imports (matplotlib, the workbook
child's interpreter) as a real run does; the later ones show the drawing and writing
alone. For each: wall seconds, this process's CPU seconds, and the peak RSS of this
process and of the process tree (the workbook child included) above the level before
the write, sampled every 50 ms. The folder of the first write is kept at ``--out`` so
two revisions' reports can be compared (``scripts/same_run_outputs.py --dirs``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import threading
import time
from pathlib import Path

import psutil


class RssTrace:
    """Peak RSS of this process and of its process tree, sampled in a thread."""

    def __init__(self, every: float = 0.05) -> None:
        self.every, self.own, self.tree = every, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            try:
                own = me.memory_info().rss
                tree = own + sum(c.memory_info().rss for c in me.children(recursive=True))
            except psutil.Error:
                continue
            self.own, self.tree = max(self.own, own), max(self.tree, tree)
            self._stop.wait(self.every)

    def __enter__(self) -> RssTrace:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", nargs="?", default="../shared/corpus")
    ap.add_argument("--store", default="/tmp/bench_report/store.duckdb")
    ap.add_argument("--out", default="/tmp/bench_report/out")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()

    from govtext.config import default_pipeline
    from govtext.pipeline import analyze

    Path(args.store).parent.mkdir(parents=True, exist_ok=True)
    cfg = default_pipeline()
    t0 = time.perf_counter()
    result = analyze([args.corpus], config=cfg, store=args.store)
    print(f"analyze {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    print("matplotlib loaded before the report:", "matplotlib" in sys.modules, file=sys.stderr)

    from govtext.report import write_report

    rows = []
    for i in range(args.repeat):
        out = Path(args.out if i == 0 else f"{args.out}-{i}")
        shutil.rmtree(out, ignore_errors=True)
        base = psutil.Process().memory_info().rss
        cpu, wall = time.process_time(), time.perf_counter()
        with RssTrace() as trace:
            write_report(result, out, formats=tuple(cfg.report.formats), force=True)
        rows.append(
            {
                "write": i + 1,
                "wall_s": round(time.perf_counter() - wall, 2),
                "cpu_s": round(time.process_time() - cpu, 2),
                "rss_before_mb": round(base / 2**20),
                "peak_own_above_mb": round((trace.own - base) / 2**20),
                "peak_tree_above_mb": round((trace.tree - base) / 2**20),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
        if i:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
