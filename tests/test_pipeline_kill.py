"""SIGKILL a `govtext run` part-way, run it again: it completes, re-uses what the killed run
stored, and gives the same tables as an uninterrupted run.

The corpus is made of the sample corpus's own paragraphs, shuffled into a few hundred
files (fixed seed), so the per-document stage lasts long enough to be cut in the
middle; the kill comes once the store's write-ahead log shows committed batches.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from conftest import ROOT, SAMPLE_CORPUS

from govtext.store import query_store

PIPELINE = '[topics]\nenabled = false\n[report]\nformats = ["csv", "json"]\n[engine]\nworkers = 1\nbatch_chars = 5000\n'
N_FILES = 240


def _corpus(folder: Path) -> None:
    rng = random.Random(20261125)
    paras = [
        line
        for f in sorted(SAMPLE_CORPUS.glob("*.md"))
        for line in f.read_text(encoding="utf-8").splitlines()
        if len(line) > 40
    ]
    folder.mkdir()
    for i in range(N_FILES):
        text = "\n\n".join(rng.sample(paras, min(len(paras), 12)))
        (folder / f"doc{i:04d}.txt").write_text(f"第{i}号\n\n{text}\n", encoding="utf-8")


def _cmd(pipeline: Path, corpus: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "govtext", "run", str(pipeline), str(corpus), "--out", str(out), "-q"]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _tables(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "tables").glob("*.csv"))}


def _runs(store: Path) -> list[dict[str, Any]]:
    return query_store(store, "SELECT status, reused FROM runs ORDER BY started").to_dict("records")


def test_pipeline_kill_then_rerun_completes_and_reuses(tmp_path: Path) -> None:
    import json

    corpus = tmp_path / "corpus"
    _corpus(corpus)
    pipeline = tmp_path / "p.toml"
    pipeline.write_text(PIPELINE, encoding="utf-8")
    whole = tmp_path / "whole"
    subprocess.run(_cmd(pipeline, corpus, whole), env=_env(), check=True, capture_output=True, timeout=300)
    expected = _tables(whole)

    # Kill once the write-ahead log holds some committed batches; retry with another
    # threshold if the kill came too early (nothing stored) or too late (all stored).
    threshold = 400_000
    for _attempt in range(5):
        out = tmp_path / f"killed{_attempt}"
        wal = out / "govtext.duckdb.wal"
        proc = subprocess.Popen(
            _cmd(pipeline, corpus, out), env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        while proc.poll() is None:
            if wal.exists() and wal.stat().st_size > threshold:
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.002)
        proc.wait(timeout=60)
        killed = proc.returncode == -signal.SIGKILL
        stored = int(
            query_store(out / "govtext.duckdb", "SELECT count(DISTINCT hits_key) AS n FROM hit_sets")["n"][0]
        )
        if killed and 0 < stored < N_FILES:
            break
        threshold = threshold * 2 if stored == 0 else threshold // 3
    else:
        raise AssertionError("could not kill the run between its first and last stored batch")
    print(f"killed on attempt {_attempt}: {stored} of {N_FILES} documents' hits stored")
    assert [r["status"] for r in _runs(out / "govtext.duckdb")] == ["running"]

    subprocess.run(_cmd(pipeline, corpus, out), env=_env(), check=True, capture_output=True, timeout=300)
    runs = _runs(out / "govtext.duckdb")
    assert [r["status"] for r in runs] == ["running", "done"]
    reused = json.loads(runs[-1]["reused"])
    assert reused["hits_reused"] == stored and reused["tokens_reused"] >= stored
    assert reused["segmented"] == reused["documents"] - reused["tokens_reused"] > 0
    assert _tables(out) == expected
