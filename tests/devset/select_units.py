"""Propose development-set sentences (run by hand; prints to stdout, writes nothing).

    PYTHONPATH=. python tests/devset/select_units.py ../shared/corpus > /tmp/candidates.tsv
    # the held-out set: another seed, a third of the size, none of the tuning units
    PYTHONPATH=. python tests/devset/select_units.py ../shared/corpus 7 0.34 tests/devset/labels.jsonl
    # its second batch (appended to heldout.jsonl)
    PYTHONPATH=. python tests/devset/select_units.py ../shared/corpus 99 0.35 tests/devset/labels.jsonl tests/devset/heldout.jsonl

Hard cases first (THEMES.md): the three autonomous regions, Belt and Road, data
sharing, enterprise efficiency, AI 赋能, then sentences that mention governance
words, the seed page, a few national reports, and random sentences with none of
the trigger strings. Selection is seeded, so the list is reproducible; the labels
are then written by hand into labels.jsonl.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from units import paragraphs, sentences, sha1

GROUPS: list[tuple[str, tuple[str, ...], int, str]] = [
    ("autonomous", ("自治",), 45, "autonomous"),
    ("belt_road", ("共建",), 40, "provincial"),
    ("sharing", ("共享",), 35, "provincial"),
    ("ai_enable", ("赋能", "赋权", "放权"), 35, "provincial"),
    ("efficiency", ("增效", "效能", "效率"), 35, "provincial"),
    ("push_down", ("下沉", "下移", "下放"), 18, "provincial"),
    (
        "governance",
        (
            "法治",
            "德治",
            "道德",
            "文明",
            "党建",
            "党组织",
            "协商",
            "诉求",
            "12345",
            "热线",
            "自我",
            "议事",
            "基层治理",
            "社会治理",
            "社区",
        ),
        55,
        "provincial",
    ),
    ("seed", ("",), 70, "seed"),
    ("national", ("治理", "自治", "共享", "法治", "基层", "社区"), 25, "national"),
    ("random", ("",), 30, "provincial"),
]
TRIGGERS = (
    "自治",
    "共建",
    "共治",
    "共享",
    "赋",
    "下沉",
    "增效",
    "效能",
    "法治",
    "德治",
    "党建",
    "吹哨",
    "诉",
    "12345",
    "治理",
    "协商",
    "文明",
    "权",
)


def pool(shared: Path, kind: str) -> list[tuple[str, int, int, int, str]]:
    files: list[tuple[str, int]] = []
    if kind in ("provincial", "autonomous"):
        for p in sorted((shared / "provincial-reports-2026").glob("*.csv")):
            if kind == "provincial" or "自治区" in p.name:
                files.append((str(p.relative_to(shared)), 0))
    elif kind == "seed":
        files = [(str(p.relative_to(shared)), 0) for p in sorted((shared / "seed").glob("*.txt"))]
    else:
        path = shared / "national-reports" / "government_work_reports.jsonl"
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            year = json.loads(line).get("year")
            if year and int(year) >= 2013:
                files.append((str(path.relative_to(shared)), i))
    out = []
    for file, row in files:
        for pi, par in enumerate(paragraphs(shared, file, row)):
            for si, sent in enumerate(sentences(par)):
                if len(sent) >= 12:
                    out.append((file, row, pi, si, sent))
    return out


def main(shared: Path, seed: int = 20260601, scale: float = 1.0, exclude: list[Path] | None = None) -> None:
    rng = random.Random(seed)
    seen: set[tuple[str, int, int, int]] = set()
    for path in exclude or []:
        for line in path.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            seen.add((r["file"], r["row"], r["paragraph"], r["sentence"]))
    for name, words, n0, kind in GROUPS:
        n = max(1, round(n0 * scale))
        items = pool(shared, kind)
        if name == "random":
            items = [x for x in items if not any(t in x[4] for t in TRIGGERS)]
        else:
            items = [x for x in items if any(w in x[4] for w in words)]
        items = [x for x in items if x[:4] not in seen]
        for file, row, pi, si, sent in rng.sample(items, min(n, len(items))):
            seen.add((file, row, pi, si))
            print(
                json.dumps(
                    {
                        "group": name,
                        "file": file,
                        "row": row,
                        "paragraph": pi,
                        "sentence": si,
                        "sha1": sha1(sent),
                    },
                    ensure_ascii=False,
                ),
                sent,
                sep="\t",
            )


if __name__ == "__main__":
    args = sys.argv[1:]
    main(
        Path(args[0]),
        int(args[1]) if len(args) > 1 else 20260601,
        float(args[2]) if len(args) > 2 else 1.0,
        [Path(a) for a in args[3:]],
    )
