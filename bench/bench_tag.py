"""Benchmark theme matching against plain jieba.lcut on the shared corpus (run by hand).

    PYTHONPATH=. python bench/bench_tag.py [../shared/corpus]

Reports, for the 21 provincial reports and the national reports: matcher time
(normalise + Aho-Corasick + rule checks), plain ``jieba.lcut`` time on the same texts,
and the ratio; plus the wall time of ``govtext tag`` on one provincial report,
start-up included (needs the package's CLI and ingest installed).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from pathlib import Path

from govtext.documents import Document
from govtext.themes import Matcher


def load(shared: Path) -> dict[str, list[Document]]:
    prov = []
    for path in sorted((shared / "provincial-reports-2026").glob("*.csv")):
        with path.open(encoding="utf-8-sig") as fh:
            prov.append(Document(path.stem, next(csv.DictReader(fh))["full_text"]))
    nat = []
    with (shared / "national-reports" / "government_work_reports.jsonl").open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            nat.append(Document(f"national-{i}", json.loads(line)["content"]))
    return {"provincial": prov, "national": nat}


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main(shared: Path) -> None:
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    t_fit = timed(lambda: Matcher().fit())
    matcher = Matcher().fit()
    print(f"Matcher().fit(): {t_fit * 1000:.0f} ms")
    for name, docs in load(shared).items():
        chars = sum(len(d.text) for d in docs)
        t_match = min(timed(lambda docs=docs: [matcher.transform(d) for d in docs]) for _ in range(3))
        t_jieba = min(timed(lambda docs=docs: [jieba.lcut(d.text) for d in docs]) for _ in range(3))
        hits = sum(len(matcher.transform(d)) for d in docs)
        print(
            f"{name:10} {len(docs):3} docs {chars / 1e6:5.2f} M chars  hits {hits:6}  "
            f"matcher {t_match:6.3f} s ({chars / t_match / 1e6:5.2f} M chars/s)  "
            f"jieba.lcut {t_jieba:6.3f} s  ratio matcher/jieba {t_match / t_jieba:5.2f}"
        )
    report = next((shared / "provincial-reports-2026").glob("*广西*.csv"))
    cmd = [sys.executable, "-c", "from govtext.cli import main; main()", "tag", str(report)]
    walls = []
    for _ in range(3):
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        walls.append(time.perf_counter() - t)
    status = "ok" if proc.returncode == 0 else f"failed: {proc.stderr.strip().splitlines()[-1:]}"
    print(f"govtext tag (one provincial report, start-up included): best {min(walls):.2f} s wall ({status})")


if __name__ == "__main__":
    main(
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
    )
