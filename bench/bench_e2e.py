"""The whole `govtext run`, topics and report included, against one-core jieba.lcut.

    python bench/bench_e2e.py                       # ../shared/corpus, figures printed
    python bench/bench_e2e.py --corpora shared 100  # … and the 100 MB synthetic corpus
    python bench/bench_e2e.py --write               # … and the section in bench/RESULTS.md

Per corpus, in one invocation and in this order, each in a fresh process:

1. ``jieba.lcut`` (its defaults, global dictionary, one core) over the texts of every
   document the run reads (read by govtext's own reader, so both sides see the same
   text); reading and dictionary loading are not timed;
2. ``govtext run CORPUS --out DIR -q`` into an empty folder: ingest, segment, theme
   rules, topic model, comparison and the report (HTML, Markdown, CSV, JSON), with the
   default pipeline; wall time from start to exit, interpreter start-up included;
3. the same command again, unchanged: the store gives documents, tokens, hits, the
   topic model and the comparison tables back, and the report, whose inputs have not
   changed, is left as it is; its tables must be byte-identical to the first run's, and
   ``report untouched`` says whether every report file kept its bytes and mtime (run.json
   included: its timings are then the first run's, so the re-run's stages are not listed);
4. ``jieba.lcut`` again, so a change in the machine's load shows.

The ratio is jieba.lcut's time (mean of 1 and 4) over the first run's: ≥ 1.0 means the
whole run took no longer than plain segmentation alone. Peak memory is the resident set
summed over the run's process tree, sampled every 100 ms. The stage timings come from
the run's own run.json. Other jobs may share the machine: the load average is
reported, and only ratios within one invocation are meaningful.

govtext's modules are compiled to bytecode first, as installing the package does (pip
compiles what it installs, and jieba's modules on the other side of the ratio come so):
a checkout run under ``PYTHONDONTWRITEBYTECODE`` would otherwise compile them from
source in every process of every run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Whole run against jieba.lcut (bench/bench_e2e.py)"
WORK = ROOT / "bench" / "data" / "e2e"


def child_lcut(corpus: str) -> None:
    """Print the jieba.lcut timing over the texts govtext reads from ``corpus`` (its own
    reader, so both sides see the same text; reading is not timed)."""
    import logging

    import jieba

    from govtext.ingest import read_corpus

    texts = [doc.text for doc in read_corpus([corpus])]
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    t0, c0 = time.perf_counter(), time.process_time()
    n = 0
    for t in texts:
        n += len(jieba.lcut(t))
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        json.dumps(
            {"docs": len(texts), "mb": round(mb, 2), "s": round(secs, 2), "cpu_s": round(cpu, 2), "tokens": n}
        )
    )


def sampled(cmd: list[str]) -> dict[str, Any]:
    """Run ``cmd``; wall time and peak RSS of its process tree (sampled every 100 ms)."""
    import psutil

    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    top = psutil.Process(proc.pid)
    procs: list[Any] = [top]
    peak, tick = 0, 0
    while proc.poll() is None:
        if tick % 10 == 0:  # listing the tree scans /proc: once a second
            try:
                procs = [top, *top.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
        tick += 1
        rss = 0
        for p in procs:
            try:
                rss += p.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
        peak = max(peak, rss)
        time.sleep(0.1)
    out, err = proc.communicate()
    secs = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err[-2000:]}")
    return {
        "s": round(secs, 2),
        "peak_rss_mb": round(peak / 1e6),
        "load": [round(load0, 2), round(os.getloadavg()[0], 2)],
        "stdout": out,
    }


def report_state(out: Path) -> dict[str, tuple[str, int]]:
    """Every report file (the store aside): its hash and mtime."""
    return {
        str(p.relative_to(out)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(out.rglob("*"))
        if p.is_file() and not p.name.startswith("govtext.duckdb")
    }


def tables_digest(out: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:16]
        for p in sorted((out / "tables").glob("*.csv"))
    }


def corpus_path(name: str) -> Path:
    if name == "shared":
        return ROOT.parent / "shared" / "corpus"
    from synth import build_parts

    return build_parts(int(name))


def bench_corpus(name: str) -> dict[str, Any]:
    corpus = corpus_path(name)
    work = WORK / name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    out = work / "report"
    govtext = [sys.executable, "-m", "govtext", "run", str(corpus), "--out", str(out), "-q"]
    lcut = [sys.executable, str(Path(__file__).resolve()), "--child-lcut", str(corpus)]
    lcut_before = json.loads(sampled(lcut)["stdout"].strip().splitlines()[-1])
    first = sampled(govtext)
    run_json = json.loads((out / "run.json").read_text(encoding="utf-8"))
    digest1 = tables_digest(out)
    state1 = report_state(out)
    second = sampled(govtext)
    run_json2 = json.loads((out / "run.json").read_text(encoding="utf-8"))
    digest2 = tables_digest(out)
    untouched = report_state(out) == state1
    lcut_after = json.loads(sampled(lcut)["stdout"].strip().splitlines()[-1])
    lcut_s = (lcut_before["s"] + lcut_after["s"]) / 2
    timings = run_json["settings"]["timings_s"]
    topics = run_json["settings"].get("topics") or {}
    return {
        "corpus": name,
        "docs": lcut_before["docs"],
        "mb": lcut_before["mb"],
        "lcut_s": [lcut_before["s"], lcut_after["s"]],
        "run_s": first["s"],
        "rerun_s": second["s"],
        "ratio": round(lcut_s / first["s"], 2),
        "rerun_speedup": round(first["s"] / second["s"], 2),
        "tables_identical": digest1 == digest2 and bool(digest1),
        "n_tables": len(digest1),
        "peak_rss_mb": first["peak_rss_mb"],
        "rerun_peak_rss_mb": second["peak_rss_mb"],
        "timings": timings,
        # an untouched report keeps the first run's run.json: no timings of the re-run's own
        "rerun_timings": None if untouched else run_json2["settings"]["timings_s"],
        "report_untouched": untouched,
        "topics_share": round(timings.get("topics", 0.0) / first["s"], 3),
        "topics": {k: topics.get(k) for k in ("method", "k_chosen", "n_seeded", "n_sample", "fit_seconds")}
        | {"units": (topics.get("units") or {}).get("n_units")},
        "load": first["load"] + second["load"],
    }


def machine() -> str:
    import psutil

    cpu = platform.processor() or ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return f"{os.cpu_count()} cores ({cpu}), {psutil.virtual_memory().total / 2**30:.1f} GB RAM, Python {platform.python_version()}"


def table(rows: list[dict[str, Any]]) -> list[str]:
    out = [
        "| corpus | docs | MB | jieba.lcut s (before/after) | govtext run s | ratio | topics s (share) | re-run s | re-run × | same tables | peak RSS MB |",
        "|---|---:|---:|---|---:|---:|---|---:|---:|---|---:|",
    ]
    for r in rows:
        out.append(
            f"| {r['corpus']} | {r['docs']:,} | {r['mb']} | {r['lcut_s'][0]} / {r['lcut_s'][1]} | {r['run_s']} | "
            f"{r['ratio']} | {r['timings'].get('topics', 0)} ({r['topics_share']:.0%}) | {r['rerun_s']} | "
            f"{r['rerun_speedup']} | {'yes' if r['tables_identical'] else 'NO'} ({r['n_tables']}) | {r['peak_rss_mb']} |"
        )
    return out


def write_results(rows: list[dict[str, Any]]) -> None:
    rev = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    lines = [
        SECTION,
        "",
        f"Run {time.strftime('%a %b %d %H:%M UTC %Y', time.gmtime())} on {machine()}; revision {rev}. "
        "**The machine was shared with other jobs (load averages below): both sides of each ratio "
        "ran in the same invocation, one after the other, so compare ratios, not seconds.**",
        "",
        *table(rows),
        "",
    ]
    for r in rows:
        lines.append(
            f"- {r['corpus']}: stages of the first run (run.json, s): "
            + ", ".join(f"{k} {v}" for k, v in r["timings"].items())
            + "; re-run: "
            + (
                ", ".join(f"{k} {v}" for k, v in r["rerun_timings"].items())
                if r["rerun_timings"]
                else "report untouched (every file's bytes and mtime kept)"
            )
            + f"; topics: {json.dumps(r['topics'], ensure_ascii=False)}; load average (1 min) before/after "
            f"the two runs: {r['load']}."
        )
    lines += [
        "",
        "The run's time is wall time of `python -m govtext run CORPUS --out DIR -q` from start to exit "
        "(interpreter start-up, imports and the report included) into an empty folder; the re-run is "
        "the same command on the same folder. jieba.lcut is timed on one core over the same texts "
        "(read by govtext's reader, untimed), before and after the two runs; the ratio uses their mean.",
        "",
    ]
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    if SECTION in text:
        head, rest = text.split(SECTION, 1)
        nxt = rest.find("\n## ")
        text = head + "\n".join(lines) + (rest[nxt + 1 :] if nxt >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines)
    RESULTS.write_text(text, encoding="utf-8")


def compile_govtext() -> None:
    """The bytecode of the govtext package that will run, as an install leaves it."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("govtext")
    assert spec is not None and spec.submodule_search_locations
    for folder in spec.submodule_search_locations:
        compileall.compile_dir(folder, quiet=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--corpora", nargs="+", default=["shared"], help="'shared' and/or sizes in MB (synthetic)"
    )
    ap.add_argument("--write", action="store_true", help="also write the section in bench/RESULTS.md")
    ap.add_argument("--child-lcut", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_lcut:
        child_lcut(args.child_lcut)
        return
    compile_govtext()
    rows = []
    for name in args.corpora:
        row = bench_corpus(name)
        print(json.dumps(row, ensure_ascii=False), flush=True)
        rows.append(row)
    print("\n".join(table(rows)))
    if args.write:
        write_results(rows)


if __name__ == "__main__":
    main()
