"""CPU time of the theme matcher per article and per candidate occurrence (run by hand).

    .venv/bin/python bench/bench_matcher.py [--rounds 5]
    PYTHONPATH=<other checkout> .venv/bin/python bench/bench_matcher.py   # its matcher

The articles are those of bench/bench_serve.py: 133 distinct 3,000-character windows of
corpus/ (dense: about 90 hits, 150 candidates each) and 3,000-character windows of the
national government work reports (sparse: a few hits each; left out without the shared
corpus). For ``Matcher.transform`` (what ``govtext tag`` and serve's /v1/tag call) and
``Matcher.explain`` (every candidate with its verdict: kwic, ``explain=true``) it prints
the best of ``--rounds`` rounds of ``time.process_time`` per article, which other work on a
shared machine moves far less than wall time, and that divided by the candidates
(counted, vetoed and subsumed occurrences) of the articles.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_serve import dense_windows, windows

from govtext.documents import Document
from govtext.themes import Matcher
from govtext.themes import matcher as matcher_module


def cpu_per_article(fn, docs: list[Document], rounds: int) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(rounds):
        t0 = time.process_time()
        for doc in docs:
            fn(doc)
        best = min(best, time.process_time() - t0)
    return best / len(docs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    m = Matcher().fit()
    groups = {"dense (corpus/ windows)": dense_windows()}
    sparse, _ = windows()
    if sparse:
        groups["sparse (national report windows)"] = sparse[:133]
    print(f"matcher: {matcher_module.__file__}")
    print(
        "| articles | n | hits | candidates | transform µs/article | explain µs/article | explain µs/candidate |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, texts in groups.items():
        docs = [Document(f"a{i}", t) for i, t in enumerate(texts)]
        hits = sum(len(m.transform(d)) for d in docs) / len(docs)
        cands = sum(len(m.explain(d)) for d in docs) / len(docs)
        t_transform = cpu_per_article(m.transform, docs, args.rounds)
        t_explain = cpu_per_article(m.explain, docs, args.rounds)
        print(
            f"| {name} | {len(docs)} | {hits:.1f} | {cands:.1f} | {t_transform * 1e6:.0f} | "
            f"{t_explain * 1e6:.0f} | {t_explain * 1e6 / max(cands, 1):.1f} |"
        )


if __name__ == "__main__":
    main()
