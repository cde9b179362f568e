"""CPU time to ingest the 21 provincial reports, beyond Python start-up.

Run by hand:  PYTHONPATH=. python bench/ingest_provincial.py [FOLDER]

Each measurement is a fresh interpreter (so imports count), timed as the children's
user+system CPU from getrusage; a bare ``python -c pass`` is subtracted. The baseline is
plain ``jieba.lcut`` over the same cleaned texts in the same run (dictionary load included),
so the ratio says how ingest compares with the cheapest thing every later stage must do.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDER = (
    Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "corpus" / "provincial-reports-2026"
)
REPEAT = 5

INGEST = f"from govtext.ingest import read_corpus; c = read_corpus([{str(FOLDER)!r}]); assert len(c) == 21"
JIEBA = (
    "import jieba, logging; jieba.setLogLevel(logging.WARNING); from govtext.ingest import read_corpus; "
    f"texts = [d.text for d in read_corpus([{str(FOLDER)!r}])]; import time; jieba.initialize(); "
    "[jieba.lcut(t) for t in texts]"
)
INGEST_ONLY_JIEBA_INPUT = (
    f"from govtext.ingest import read_corpus; texts = [d.text for d in read_corpus([{str(FOLDER)!r}])]"
)

WARM = (
    f"import time; from govtext.ingest import read_corpus; read_corpus([{str(FOLDER)!r}]); "
    f"t = time.process_time(); read_corpus([{str(FOLDER)!r}]); print(time.process_time() - t)"
)


def cpu(code: str) -> float:
    """Best-of-REPEAT child CPU seconds for ``python -c code``."""
    best = float("inf")
    for _ in range(REPEAT):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT)})
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        best = min(best, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return best


def main() -> None:
    bare = cpu("pass")
    ingest = cpu(INGEST) - bare
    jieba_total = cpu(JIEBA) - cpu(INGEST_ONLY_JIEBA_INPUT)
    print(f"python start-up            {bare:6.3f} s CPU")
    print(f"ingest 21 reports          {ingest:6.3f} s CPU beyond start-up (imports included)")
    print(f"jieba.lcut same texts      {jieba_total:6.3f} s CPU (dictionary load included)")
    print(f"ratio ingest / jieba.lcut  {ingest / jieba_total:6.2f}")
    warm = subprocess.run(
        [sys.executable, "-c", WARM],
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    ).stdout.strip()
    print(f"ingest again, same process {float(warm):6.3f} s CPU (imports and numpy already loaded)")


if __name__ == "__main__":
    main()
