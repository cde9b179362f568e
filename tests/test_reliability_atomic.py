"""Interrupted and repeated runs.

- Kill ``govtext run`` (SIGKILL, at seeded random points, mostly in its writing phase) over
  the output of an earlier run: every file left is complete and is either the earlier
  version or the new one, never half; a re-run then gives exactly the uninterrupted output.
- Two runs (different processes, different hash seeds) give byte-identical tables and the
  same run.json apart from timestamps and timings.

Trials: ``GOVTEXT_KILL_TRIALS`` (default 3; docs/reliability.md records a longer series).
"""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SAMPLE_CORPUS

# Keys of run.json (and the lines of the report pages showing them) that are meant to change.
VOLATILE = ("started", "timings_s", "fit_seconds")
TRIALS = int(os.environ.get("GOVTEXT_KILL_TRIALS", "3"))
PIPELINE = '[topics]\nk = 3\n[report]\nformats = ["html", "md", "csv", "json", "xlsx"]\n'


def _start(out: Path, by: str, hash_seed: int, pipeline: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": str(hash_seed)}
    cmd = [sys.executable, "-m", "govtext", "run", str(pipeline), str(SAMPLE_CORPUS), "--out", str(out)]
    return subprocess.Popen(
        [*cmd, "--by", by, "-q"], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _run(out: Path, by: str, hash_seed: int, pipeline: Path) -> float:
    t0 = time.perf_counter()
    proc = _start(out, by, hash_seed, pipeline)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    return time.perf_counter() - t0


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _content(path: Path) -> Any:
    """What a file says, apart from what is meant to change; raises if the file is not whole."""
    if path.name == ".govtext-outputs.json":
        # The report's ledger: its key (timings left out) and files; their hashes change
        # with run.json's timings.
        ledger = json.loads(path.read_text(encoding="utf-8"))
        return {"key": ledger["key"], "files": sorted(ledger["files"])}
    if path.suffix == ".json":
        return _strip(json.loads(path.read_text(encoding="utf-8")))
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh, strict=True))
        assert rows and len({len(r) for r in rows}) == 1, f"{path}: ragged rows"
        return path.read_bytes()
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True)
        return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        assert text.rstrip().endswith("</html>"), f"{path}: cut short"
    # Markdown escapes the underscores of key names (timings\\_s).
    return [line for line in text.splitlines() if not any(k in line.replace("\\_", "_") for k in VOLATILE)]


def _is_store(p: Path) -> bool:
    # The DuckDB store (and its write-ahead log) lives in the output folder but is no
    # report file: it is carried over, and its bytes are not meant to repeat.
    return p.name.startswith("govtext.duckdb")


def _changed(folder: Path, stamp: float, since: float = float("inf")) -> bool:
    # The report is written into a hidden staging sibling (made after ``since``; an older one
    # is a killed trial's leftover) and swapped in at the end.
    for d in folder.parent.glob(f".{folder.name}.staging-*"):
        try:
            if d.stat().st_mtime >= since:
                return True
        except FileNotFoundError:
            return True
    for p in folder.rglob("*"):
        if _is_store(p):
            continue
        try:
            if p.stat().st_mtime > stamp or p.name.endswith(".tmp"):
                return True
        except FileNotFoundError:  # a temporary file renamed under our feet
            return True
    return False


def _snapshot(folder: Path) -> tuple[dict[str, Any], list[str]]:
    files, temps = {}, []
    for p in sorted(folder.rglob("*")):
        if not p.is_file() or _is_store(p):
            continue
        rel = p.relative_to(folder).as_posix()
        if p.name.startswith(".") and p.name.endswith(".tmp"):
            temps.append(rel)
        else:
            files[rel] = _content(p)
    return files, temps


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("atomic")
    pipeline = root / "p.toml"
    pipeline.write_text(PIPELINE, encoding="utf-8")
    _run(root / "old", "source", 1, pipeline)  # the previous complete output
    seconds = _run(root / "new", "author", 2, pipeline)  # the uninterrupted new output
    mtimes = [p.stat().st_mtime for p in (root / "new").rglob("*") if p.is_file()]
    return {
        "root": root,
        "pipeline": pipeline,
        "seconds": seconds,
        "writing": max(mtimes) - min(mtimes) + 0.05,  # how long the writing phase lasts
        "old": _snapshot(root / "old")[0],
        "new": _snapshot(root / "new")[0],
    }


def test_reliability_kill_and_rerun(runs: dict[str, Any]) -> None:
    old, new = runs["old"], runs["new"]
    assert set(old) == set(new) and old["tables/theme_density.csv"] != new["tables/theme_density.csv"]
    work = runs["root"] / "work"
    rng = random.Random(20261125)
    outcomes = []
    for trial in range(TRIALS):
        # Each trial starts from the previous complete output. Even trials kill at a random
        # point of the writing phase (found by watching the folder), odd ones anywhere.
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(runs["root"] / "old", work)
        stamp = max(p.stat().st_mtime for p in work.rglob("*"))
        in_writing = trial % 2 == 0
        since = time.time()
        proc = _start(work, "author", 10 + trial, runs["pipeline"])
        t0 = time.perf_counter()
        if in_writing:
            while proc.poll() is None and not _changed(work, stamp, since):
                time.sleep(0.002)
            delay = rng.uniform(0, runs["writing"])
        else:
            delay = rng.uniform(0, runs["seconds"])
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        files, temps = _snapshot(work)  # raises on any file that does not parse whole
        assert set(files) == set(old), trial
        versions = {
            rel: "same"
            if old[rel] == new[rel]
            else "new"
            if c == new[rel]
            else "old"
            if c == old[rel]
            else "neither"
            for rel, c in files.items()
        }
        assert "neither" not in versions.values(), (trial, versions)
        n_new = sum(v == "new" for v in versions.values())
        n_old = sum(v == "old" for v in versions.values())
        # The folder as a whole is one run's output: never old and new files side by side.
        assert not (n_new and n_old), (trial, versions)
        outcomes.append(
            {
                "trial": trial,
                "phase": "writing" if in_writing else "anywhere",
                "killed_after_s": round(time.perf_counter() - t0, 2),
                "exit": proc.returncode,
                "files_new": n_new,  # of the files whose content differs between the two runs
                "files_old": n_old,
                "temp_files_left": len(temps),
            }
        )
    print("\nkill trials:\n" + "\n".join(json.dumps(o) for o in outcomes))
    _run(work, "author", 99, runs["pipeline"])
    files, temps = _snapshot(work)
    assert files == new
    assert not temps or all(t.endswith(".tmp") for t in temps)


def test_reliability_rerun_clears_stale_temp_files(tmp_path: Path) -> None:
    from report_fixtures import make_result

    from govtext.report import write_report

    stale = tmp_path / "tables" / ".hits.csv.abc123.tmp"  # what a kill during a write leaves
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"half,writ")
    write_report(make_result(), tmp_path, formats=("csv", "json"))
    assert not list(tmp_path.rglob(".*.tmp"))


def test_reliability_report_files_have_normal_permissions(runs: dict[str, Any]) -> None:
    umask = os.umask(0)
    os.umask(umask)
    for p in (runs["root"] / "new").rglob("*"):
        if p.is_file():
            assert p.stat().st_mode & 0o777 == 0o666 & ~umask, p


def test_reliability_runs_are_deterministic(runs: dict[str, Any], tmp_path: Path) -> None:
    # In this process (hash seed of the test run) against the subprocess run (hash seed 2).
    from govtext.pipeline import load_pipeline, run_pipeline

    run_pipeline(load_pipeline(runs["pipeline"]), [SAMPLE_CORPUS], by="author", out=tmp_path)
    for rel in ["manifest.csv", *(f"tables/{p.name}" for p in (tmp_path / "tables").glob("*.csv"))]:
        assert (tmp_path / rel).read_bytes() == (runs["root"] / "new" / rel).read_bytes(), rel
    assert _snapshot(tmp_path)[0] == runs["new"]


def test_reliability_engines_give_the_same_output(runs: dict[str, Any], tmp_path: Path) -> None:
    # A LocalCluster of two worker processes against local worker processes, both with
    # small batches so the corpus really is split: same tables, same run.json apart from
    # timestamps and the [engine] table itself.
    from govtext.pipeline import load_pipeline, run_pipeline

    outs = {}
    for engine in ("local", "dask"):
        cfg = load_pipeline(runs["pipeline"])
        cfg.engine = replace(cfg.engine, engine=engine, workers=2, batch_chars=4000)
        outcome = run_pipeline(cfg, [SAMPLE_CORPUS], by="author", out=tmp_path / engine)
        assert outcome.store_run["segmented"] == len(outcome.result.corpus)
        outs[engine] = _snapshot(tmp_path / engine)[0]
    for snap in outs.values():
        assert snap["run.json"]["settings"]["pipeline"].pop("engine")["workers"] == 2
        # the pages print the [engine] settings: drop those lines
        snap["report.md"] = [line for line in snap["report.md"] if "pipeline.engine." not in line]
    assert outs["local"].keys() == outs["dask"].keys()
    for rel in outs["local"]:
        if rel.endswith(".html"):
            continue  # index.html prints the same facts as report.md, compared above
        if rel == ".govtext-outputs.json":
            continue  # the ledger's key hashes run.json's settings, [engine] included
        assert outs["local"][rel] == outs["dask"][rel], rel
    # and the same tables as the uninterrupted run of the module fixture (one process)
    for rel, content in outs["dask"].items():
        if rel.startswith("tables/") or rel == "manifest.csv":
            assert content == runs["new"][rel], rel


def test_reliability_report_folder_is_old_or_new_as_a_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from report_fixtures import make_result

    import govtext.report.io as report_io
    from govtext.report import write_report

    formats = ("html", "md", "csv", "json")
    write_report(make_result(by="source"), tmp_path / "new", formats=formats)
    write_report(make_result(by="province"), tmp_path / "out", formats=formats)
    old = _snapshot(tmp_path / "out")[0]
    new = _snapshot(tmp_path / "new")[0]
    real, calls = report_io.atomic_write_bytes, []

    def dies_on_the_fifth_write(path: Path, data: bytes) -> Path:
        calls.append(path)
        if len(calls) == 5:
            raise KeyboardInterrupt  # the process going away mid-report
        return real(path, data)

    monkeypatch.setattr(report_io, "atomic_write_bytes", dies_on_the_fifth_write)
    with pytest.raises(KeyboardInterrupt):
        write_report(make_result(by="source"), tmp_path / "out", formats=formats)
    left = _snapshot(tmp_path / "out")[0]
    assert left in (old, new)
