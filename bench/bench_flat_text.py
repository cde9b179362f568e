"""Theme matching on text without sentence ends (flattened tables, OCR, scraped blocks).

    .venv/bin/python bench/bench_flat_text.py [REPEATS ...]

For each size, the same hit-dense text is matched twice, without punctuation and with a
full stop after every unit, and segmented once with plain ``jieba.lcut`` in the same run.
Matching used to walk to the sentence's end for every hit (quadratic: minutes at 40,000
characters); the target is flat/punctuated within 2x, and 5,000 repeats under 3 s.
"""

from __future__ import annotations

import platform
import sys
import time

import jieba

from govtext.documents import Document
from govtext.themes import Matcher

UNITS = {
    "hits": "基层治理居民自治",
    "hits and look-alikes": "居民自治广西壮族自治区共建一带一路共建共治共享",
}


def best(fn, runs: int = 2) -> float:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return min(out)


def main(repeats: list[int]) -> None:
    matcher = Matcher().fit()
    matcher.transform(Document("warm", "居民自治。"))
    jieba.lcut("预热")
    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.machine()}, Python {platform.python_version()}"
    )
    print("| text | repeats | chars | flat s | punctuated s | flat/punctuated | jieba.lcut s | flat/lcut |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, unit in UNITS.items():
        for n in repeats:
            flat, punct = unit * n, (unit + "。") * n
            t_flat = best(lambda t=flat: matcher.transform(Document("d", t)))
            t_punct = best(lambda t=punct: matcher.transform(Document("d", t)))
            t_lcut = best(lambda t=flat: jieba.lcut(t))
            print(
                f"| {name} | {n:,} | {len(flat):,} | {t_flat:.2f} | {t_punct:.2f} | {t_flat / t_punct:.2f} "
                f"| {t_lcut:.2f} | {t_flat / t_lcut:.2f} |"
            )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000, 5_000, 20_000])
