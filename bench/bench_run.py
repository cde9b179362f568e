"""End-to-end scale benchmark: per-document stages over 10 MB and 100 MB, local and Dask.

    python bench/bench_run.py                 # everything, figures printed
    python bench/bench_run.py --write         # … and the section in bench/RESULTS.md
    python bench/bench_run.py --sizes 10 --configs local:1 local:2   # a quick look

In one run it measures:

- the yardstick: plain ``jieba.lcut`` (its defaults, global dictionary) on one core over
  the 10 MB corpus, in MB/s of UTF-8 text;
- end to end, per configuration (``local:1``, ``local:2``, ``dask:1``, ``dask:2``) and
  corpus size: ``govtext.stages.update_store`` on the JSON Lines file, the pipeline's
  per-document stages: govtext's ingest → ``process_batch`` in the engine (normalise,
  segment with POS tags, match the theme rules) → tokens, hits and document rows in a
  DuckDB file. The time runs from the call to the store's close, engine start-up
  included; ``redict:2`` re-runs on ``local:2``'s store with a theme added;
  ``onefile:2`` is ``local:2`` on the corpus as one JSON Lines file (read in parts)
  instead of a folder of 5 MB files;
- peak memory of each run: the resident set summed over the run's process tree (the
  parent, the pool's workers or the Dask nannies and workers), sampled every 100 ms from
  outside (the tree listed once a second). RSS double-counts pages forked workers share
  with their parent, so PSS (each shared page split between its sharers) is reported
  beside it, sampled every 2 s (reading it slows the process it reads).

Every configuration runs in a fresh process, so no run inherits another's caches or
memory. Corpora come from bench/synth.py (fixed seed, into the git-ignored bench/data).
Other jobs may share the machine: the load average before and after is reported, and
only ratios within one run are meaningful.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Scale: end to end (bench/bench_run.py)"
CONFIGS = ["local:1", "local:2", "redict:2", "onefile:2", "dask:1", "dask:2"]


# -- child: one measurement -------------------------------------------------------------


# A theme added by a user: the 'dictionary change' of the re-run (a new dictionary hash).
EXTRA_DICTIONARY = """
[[theme]]
id = "grid_governance"
framework = "capital_mechanisms"
name = "网格化治理"
terms = ["网格员", "网格化", "网格长"]
"""


def run_one(config: str, corpus: Path, store_path: Path) -> dict[str, Any]:
    """The pipeline's per-document stages (``govtext.stages.update_store``: ingest with
    govtext's own reader → segment → match → store) over the corpus file.

    ``engine:N`` runs into a new store; ``redict:N`` re-runs on the store ``local:N`` left,
    with one theme added to the dictionary (the files are unchanged: the documents come
    from the store, the new theme is matched where it can occur, nothing is segmented).
    """
    import resource

    from govtext.pipeline import PipelineConfig
    from govtext.stages import load_themes, update_store
    from govtext.store import Store

    engine, workers = config.split(":")
    engine = "local" if engine == "onefile" else engine  # the same engine, on one large file
    cfg = PipelineConfig()
    if engine == "redict":
        extra = store_path.with_name("extra_dictionary.toml")
        extra.write_text(EXTRA_DICTIONARY, encoding="utf-8")
        cfg.themes.extra = [str(extra)]
        engine = "local"
    else:
        store_path.unlink(missing_ok=True)
        store_path.with_name(store_path.name + ".wal").unlink(missing_ok=True)
    cfg.engine = replace(cfg.engine, engine=engine, workers=int(workers))
    dictionary = load_themes(cfg)
    t1 = time.perf_counter()
    self0 = resource.getrusage(resource.RUSAGE_SELF)
    load0 = os.getloadavg()[0]
    # DuckDB caches written blocks up to 80 % of RAM by default: the limit keeps the
    # store, not the engine, from making memory grow with the corpus
    with Store(store_path, memory_limit="256MB") as store:
        update = update_store([str(corpus)], cfg, store, dictionary, engine=cfg.engine, keep=False)
    t2 = time.perf_counter()  # closing the store (its final checkpoint) belongs to the run
    self1 = resource.getrusage(resource.RUSAGE_SELF)
    # pool workers are reaped at close; Dask workers by their nannies, which we reap
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    with Store(store_path, read_only=True) as store:
        stored = {
            t: int(store.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0])  # type: ignore[index]
            for t in ("documents", "tokens", "hit_sets", "theme_hits")
        }
        n_docs, n_bytes = store.con.execute(
            "SELECT count(*), sum(strlen(d.text)) FROM snapshot_documents s JOIN documents d USING (doc_id) "
            "WHERE s.snapshot = ?",
            [update.snapshot],
        ).fetchone()  # type: ignore[misc]
    run_s = t2 - t1
    mb = int(n_bytes) / 1e6
    return {
        "config": config,
        "corpus": corpus.name,
        "docs": int(n_docs),
        "mb": round(mb, 2),
        "run_s": round(run_s, 2),
        "mbps": round(mb / run_s, 3),
        "parent_cpu_s": round(self1.ru_utime + self1.ru_stime - self0.ru_utime - self0.ru_stime, 2),
        "workers_cpu_s": round(kids.ru_utime + kids.ru_stime, 2),
        "load": [round(load0, 2), round(os.getloadavg()[0], 2)],
        "reuse": update.counts,
        "stored": stored,
    }


def run_yardstick(corpus: Path) -> dict[str, Any]:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()  # dictionary loading is not segmentation
    texts = [json.loads(line)["text"] for line in corpus.open(encoding="utf-8")]
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    load0 = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    n = 0
    for t in texts:
        n += len(jieba.lcut(t))
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"config": "jieba.lcut", "corpus": corpus.name, "mb": round(mb, 2), "run_s": round(secs, 2),
            "mbps": round(mb / secs, 3), "cpu_s": round(cpu, 2), "mb_per_cpu_s": round(mb / cpu, 3),
            "tokens": n, "load": [round(load0, 2), round(os.getloadavg()[0], 2)]}  # fmt: skip


# -- parent: orchestration --------------------------------------------------------------


def measure(args: list[str]) -> dict[str, Any]:
    """Run ``bench_run.py --child …`` in a fresh process; its result plus peak memory of its tree."""
    import psutil

    import govtext

    # the child imports the very govtext this process imported (PYTHONPATH may point
    # at another checkout than the one this script sits in)
    where = str(Path(govtext.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([where, os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--child", *args],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    top = psutil.Process(proc.pid)
    peak_rss = peak_pss = 0
    procs: list[Any] = [top]
    tick = 0
    while proc.poll() is None:
        # Sampling must not steal the CPU it measures: listing the process tree scans
        # all of /proc, so once a second; RSS (statm) every 100 ms; PSS walks every
        # mapping and holds the target's memory-map lock, so every 2 s.
        if tick % 10 == 0:
            try:
                procs = [top, *top.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
        with_pss = tick % 20 == 0
        tick += 1
        rss = pss = 0
        for p in procs:
            try:
                rss += p.memory_info().rss
                if with_pss:
                    pss += getattr(p.memory_full_info(), "pss", 0)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
        peak_rss = max(peak_rss, rss)
        peak_pss = max(peak_pss, pss)
        time.sleep(0.1)
    out, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child {args} failed with exit code {proc.returncode}")
    res: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    res["peak_rss_mb"] = round(peak_rss / 1e6)
    res["peak_pss_mb"] = round(peak_pss / 1e6)
    return res


def machine() -> dict[str, Any]:
    import psutil

    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
    }


def git_rev() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def run(sizes: list[int], configs: list[str]) -> dict[str, Any]:
    from synth import build, build_parts

    load_before = os.getloadavg()
    paths = {mb: build_parts(mb) for mb in sorted(set([10, *sizes]))}
    date = subprocess.run(["date", "-u"], capture_output=True, text=True).stdout.strip()
    print(f"{date}; corpora ready; load average {load_before[0]:.2f}", flush=True)
    yard = measure(["yardstick", str(build(10))])
    print(
        f"  jieba.lcut one core: {yard['mbps']:.2f} MB/s, {yard['mb_per_cpu_s']:.2f} MB/CPU-s "
        f"over {yard['mb']} MB; load {yard['load']}",
        flush=True,
    )
    rows = []
    for mb in sizes:
        for config in configs:
            # redict:N re-uses the store of local:N (run before it)
            name = config.replace("redict", "local").replace(":", "-")
            store = paths[mb].with_name(f"{paths[mb].name}.{name}.duckdb")
            # onefile:N reads the corpus as one JSON Lines file (read in parts), not a folder
            corpus = build(mb) if config.startswith("onefile") else paths[mb]
            res = measure(["one", config, str(corpus), str(store)])
            res["x_jieba"] = round(res["mbps"] / yard["mbps"], 2)
            # CPU seconds of the whole tree: a measure of work that other jobs on the
            # machine disturb far less than the wall clock
            cpu = res["parent_cpu_s"] + res["workers_cpu_s"]
            res["mb_per_cpu_s"] = round(res["mb"] / cpu, 3) if cpu else None
            res["cpu_x_jieba"] = round(res["mb_per_cpu_s"] / yard["mb_per_cpu_s"], 2) if cpu else None
            res["size_mb"] = mb
            if not config.startswith("local") or f"redict:{config.split(':')[1]}" not in configs:
                store.unlink(missing_ok=True)
            rows.append(res)
            print(
                f"  {mb:>4} MB {config:<8} {res['mbps']:6.2f} MB/s  ×{res['x_jieba']:<5} "
                f"run {res['run_s']:6.2f}s  reuse {res['reuse']}  "
                f"peak RSS {res['peak_rss_mb']} MB (PSS {res['peak_pss_mb']} MB)  "
                f"{res['mb_per_cpu_s']} MB/CPU-s  load {res['load']}",
                flush=True,
            )
    load_after = os.getloadavg()
    return {
        "date": date,
        "machine": machine(),
        "revision": git_rev(),
        "overlay": os.environ.get("GOVTEXT_BENCH_NOTE", ""),
        "govtext": str(Path(__import__("govtext").__file__).resolve().parent),
        "load": [round(x, 2) for x in (*load_before, *load_after)],
        "yardstick": yard,
        "rows": rows,
        "ratios": ratios(rows),
    }


def ratios(rows: list[dict[str, Any]]) -> dict[str, float]:
    by = {(r["size_mb"], r["config"]): r for r in rows}
    out: dict[str, float] = {}
    big = max(r["size_mb"] for r in rows)
    small = min(r["size_mb"] for r in rows)
    for cfg in ("local:2", "dask:2"):
        if (big, cfg) in by:
            out[f"{cfg} on {big} MB ÷ jieba.lcut (target ≥ 10)"] = by[big, cfg]["x_jieba"]
    for eng in ("local", "dask"):
        if (big, f"{eng}:2") in by and (big, f"{eng}:1") in by:
            one, two = by[big, f"{eng}:1"]["mbps"], by[big, f"{eng}:2"]["mbps"]
            target = " (target ≥ 1.6)" if eng == "dask" else ""
            out[f"{eng} 2 workers ÷ 1 worker on {big} MB{target}"] = round(two / one, 2)
    for size in sorted({small, big}):
        if (size, "local:2") in by and (size, "redict:2") in by:
            out[f"dictionary-change re-run on {size} MB: first run ÷ re-run, local:2 (target ≥ 20)"] = round(
                by[size, "local:2"]["run_s"] / by[size, "redict:2"]["run_s"], 2
            )
    if big != small:
        for cfg in CONFIGS:
            if (big, cfg) in by and (small, cfg) in by:
                out[f"{cfg} peak RSS {big} MB ÷ {small} MB (target < 2)"] = round(
                    by[big, cfg]["peak_rss_mb"] / by[small, cfg]["peak_rss_mb"], 2
                )
    return out


def table(res: dict[str, Any]) -> list[str]:
    y = res["yardstick"]
    lines = [
        "| corpus | engine | docs | MB | segmented | matched | run s | MB/s | × jieba.lcut | CPU s | MB/CPU-s "
        "| CPU × jieba.lcut | peak RSS MB | peak PSS MB | load 1 min (start, end) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        f"| {y['mb']:.0f} MB | jieba.lcut, one core (yardstick) | | {y['mb']} | | | {y['run_s']} | "
        f"{y['mbps']:.2f} | 1 | {y['cpu_s']} | {y['mb_per_cpu_s']} | 1 | {y['peak_rss_mb']} | "
        f"{y['peak_pss_mb']} | {y['load'][0]}, {y['load'][1]} |",
    ]
    for r in res["rows"]:
        cpu = round(r["parent_cpu_s"] + r["workers_cpu_s"], 1)
        lines.append(
            f"| {r['size_mb']} MB | {r['config']} | {r['docs']} | {r['mb']} | {r['reuse'].get('segmented')} | "
            f"{r['reuse'].get('matched')} | {r['run_s']} | "
            f"{r['mbps']:.2f} | {r['x_jieba']} | {cpu} | {r['mb_per_cpu_s']} | {r['cpu_x_jieba']} | "
            f"{r['peak_rss_mb']} | {r['peak_pss_mb']} | {r['load'][0]}, {r['load'][1]} |"
        )
    lines += ["", "| ratio | value |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in res["ratios"].items()]
    return lines


def write_results(res: dict[str, Any]) -> None:
    m = res["machine"]
    load = res["load"]
    lines = [
        SECTION,
        "",
        f"Run {res['date']} on {m['nproc']} cores ({m['cpu']}), {m['ram_gb']} GB RAM, Python {m['python']}; "
        f"revision {res['revision']}{'; ' + res['overlay'] if res['overlay'] else ''}. "
        f"Load average (1/5/15 min) before {load[0]}/{load[1]}/{load[2]}, after {load[3]}/{load[4]}/{load[5]}: "
        "other jobs shared the two cores, so compare ratios within this run.",
        "",
        "Per configuration, in a fresh process: the pipeline's per-document stages, "
        "`govtext.stages.update_store` on the synthetic JSON Lines corpus (bench/synth.py, 2–5 KB records "
        "from the paragraphs of ../shared/corpus, fixed seed): govtext's ingest (the text column found, the "
        "other fields as metadata, duplicate flags) → `process_batch` through `govtext.engine` (normalise, "
        "segment with POS tags, match the theme rules) → documents with their text, tokens and theme hits "
        "in the govtext DuckDB store (memory_limit 256 MB), and the corpus snapshot. `redict:2` re-runs on "
        "the store `local:2` left with one theme added to the dictionary: the file is unchanged, so its "
        "documents come from the store; nothing is segmented, every other theme's hits are re-used, texts "
        "that cannot hold the new theme's terms get an empty set by SQL, the rest are matched (`matched`). "
        "The corpus is a folder of 5 MB JSON Lines files, read in the engine's workers; `onefile:2` runs "
        "`local:2` on the same corpus as one JSON Lines file, which ingest reads in parts of 16 MB. "
        "Run s is from the call to the store's close (its final checkpoint), engine start-up included. "
        "CPU s is user + system time of "
        "the whole process tree over the run; MB/CPU-s, the work done per CPU second, is what other jobs "
        "on a shared machine disturb least. Peak memory is summed over the run's process tree: RSS sampled "
        "every 100 ms, PSS (shared pages split between their sharers) every 2 s.",
        "",
        *table(res),
        "",
    ]
    section = "\n".join(lines)
    old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    start = old.find(SECTION)
    if start >= 0:
        end = old.find("\n## ", start + 1)
        old = old[:start] + old[end + 1 :] if end >= 0 else old[:start]
    RESULTS.write_text(old.rstrip("\n") + "\n\n" + section, encoding="utf-8")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        kind, *rest = sys.argv[2:]
        if kind == "yardstick":
            res = run_yardstick(Path(rest[0]))
        else:
            res = run_one(rest[0], Path(rest[1]), Path(rest[2]))
        print(json.dumps(res, ensure_ascii=False))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 100], help="corpus sizes in MB")
    ap.add_argument("--configs", nargs="+", default=CONFIGS, help="engine:workers, e.g. local:2 dask:2")
    ap.add_argument("--write", action="store_true", help="write the section in bench/RESULTS.md")
    ap.add_argument("--json", type=Path, help="also save the raw figures here")
    args = ap.parse_args()
    res = run(args.sizes, args.configs)
    print()
    print("\n".join(table(res)))
    if args.json:
        args.json.write_text(json.dumps(res, ensure_ascii=False, indent=1))
    if args.write:
        write_results(res)
        print(f"\nwrote {RESULTS}")


if __name__ == "__main__":
    main()
