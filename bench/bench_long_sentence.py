"""Theme matching on long text without sentence punctuation (run by hand).

    PYTHONPATH=. python bench/bench_long_sentence.py

Issue 24: a hit's scope was found by walking to the sentence's end, so text without
full stops (flattened tables, OCR) was quadratic: 基层治理居民自治 × 5,000 took minutes.
Prints, for each repeat count, the matcher's time on the text with and without a full
stop after each repeat, their ratio (target: within 2×), and the wall time of
``govtext tag`` on the 5,000-repeat file, start-up included (target: under 3 s).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from govtext.documents import Document
from govtext.themes import Matcher

UNIT = "基层治理居民自治"


def best_of(matcher: Matcher, text: str, runs: int = 3) -> tuple[float, int]:
    best, n = float("inf"), 0
    for _ in range(runs):
        started = time.perf_counter()
        n = len(matcher.transform(Document("d", text)))
        best = min(best, time.perf_counter() - started)
    return best, n


def main() -> None:
    matcher = Matcher().fit()
    print(f"{'repeats':>8} {'chars':>9} {'no stops s':>11} {'stops s':>8} {'ratio':>6} {'hits':>7}")
    for repeats in (1_000, 5_000, 25_000, 100_000):
        bare, n = best_of(matcher, UNIT * repeats)
        stopped, _ = best_of(matcher, (UNIT + "。") * repeats)
        print(
            f"{repeats:>8} {len(UNIT) * repeats:>9,} {bare:>11.3f} {stopped:>8.3f} {bare / stopped:>6.2f} {n:>7,}"
        )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.txt"
        path.write_text(UNIT * 5_000, encoding="utf-8")
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "govtext", "tag", str(path)], check=True, capture_output=True)
        print(f"govtext tag, {UNIT} × 5,000: {time.perf_counter() - started:.2f} s (start-up included)")


if __name__ == "__main__":
    main()
