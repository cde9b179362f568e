"""Draw the paragraph-level labelled set (run by hand; writes references, never text).

    PYTHONPATH=. .venv/bin/python tests/devset/select_paragraphs.py ../shared/corpus \
        tests/devset/paragraphs.jsonl /tmp/devset-batches 150

writes one reference per paragraph to the first file (genre, split, stratum, uid) and,
for the blind annotators, batches of ``{"uid", "text"}`` lines to the folder (outside
the repository: the text is the corpus's, never the project's). Batches mix genres
and splits, so an annotator cannot tell where a paragraph came from.

Splits measure generalisation. The first dictionary was tuned on all 21 provincial
reports, the seed page, the project's articles and the national reports since 2013,
so those are the *tune* part. The *test* part holds documents no rule was written
against: the national reports of 1992–2012 (two whole decades, with their NPC
resolutions), the party congress reports of the 14th–17th congresses, and half of the
CPPCC proposals and of the citizen messages (chosen by a hash of their id, so whole
records fall on one side).

The fifth wave (2026-12-05) moved half of that test part into tune, by whole documents:
six passes of rules written from tune errors had left the never-tuned figure where it
was, because the test part's decades and genres use wording no tune paragraph held. The
test part is now the national reports of 2003–2012 (one whole decade), the 16th and
17th congress reports, and a quarter of the proposals and messages (a second hash bit);
1992–2002, the 14th and 15th congresses and the other halves joined tune, their labelled
paragraphs with them. The fifth wave's new paragraphs come from the new test part only,
so it holds at least 500 never-tuned paragraphs again.

Strata, in each genre: paragraphs holding a governance trigger string, hard negatives
(the look-alikes of THEMES.md: 自治区, 一带一路, 数据共享, 降本增效, economic 赋能 …) and
paragraphs with neither, drawn with a fixed seed in the proportions below.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paragraph_units import ROOT, _csv_rows, _jsonl_rows, _workbook_rows, paragraphs, sha1

SEED = 20261204
TRIGGER = re.compile(
    "治理|自治|法治|依法|法规|条例|执法|普法|德治|道德|公德|美德|家风|文明|移风易俗|共建|共治|共享|协商|"
    "参与|志愿|社会组织|枫桥|群防群治|赋权|赋能|放权|下放|下沉|下移|增效|效能|效率|放管服|党建|党组织|"
    "吹哨|报到|诉求|接诉|12345|热线|社区|基层|网格|议事|业委会|业主委员会"
)
HARD = re.compile(
    "自治区|自治州|自治县|自治旗|高度自治|一带一路|数据共享|信息共享|资源共享平台|共享单车|共享经济|"
    "降本增效|提质增效|(?:产业|经济|千行百业|发展|制造|数字)[^。]{0,6}赋能|赋能[^。]{0,6}(?:产业|经济|千行百业|发展)|"
    "下沉市场|双拥共建|共建共享实验室|协同治理"
)
MIX = {"trigger": 0.55, "hard": 0.15, "none": 0.30}
MIN_CHARS, MAX_CHARS = 20, 900
PER_DOC = 45  # no single long report fills a genre
BOILERPLATE = re.compile("您的位置|字号|打印|全屏|收藏|分享到|责任编辑|来源：|扫一扫")

# (genre, split) → paragraphs to draw
QUOTA = {
    ("provincial", "tune"): 330,
    ("national", "tune"): 150,
    ("congress", "tune"): 70,
    ("cppcc", "tune"): 110,
    ("messages", "tune"): 110,
    ("seed", "tune"): 40,
    ("commentary", "tune"): 40,
    ("national", "test"): 260,
    ("congress", "test"): 120,
    ("cppcc", "test"): 180,
    ("messages", "test"): 180,
}


# A second wave, drawn from the tune part only, where the first wave left the rules the
# fewest examples (its test-part figures were weakest in these genres; the test part
# itself gains nothing, so the never-tuned figure stays comparable across waves).
WAVE2_SEED = SEED + 2
WAVE2_QUOTA = {
    ("national", "tune"): 180,
    ("congress", "tune"): 90,
    ("cppcc", "tune"): 150,
    ("messages", "tune"): 150,
    ("provincial", "tune"): 60,
}

# A third wave, again from the tune part only: after the second wave the never-tuned
# figures were weakest for 下沉 and 共治 and in the CPPCC and congress genres, and the
# second wave's paragraphs showed that rules written on one wave transfer weakly to the
# next, so more unseen tune paragraphs of the same genres are what the rules lack.
WAVE3_SEED = SEED + 3
WAVE3_QUOTA = {
    ("cppcc", "tune"): 80,
    ("congress", "tune"): 50,
    ("national", "tune"): 70,
    ("messages", "tune"): 50,
    ("provincial", "tune"): 50,
}
# A fourth wave, tune part only: after the third wave's rules the never-tuned figures
# were still weakest in the CPPCC and congress genres (F1 0.67 and 0.69), and rules
# written from one wave's errors again reached the next wave's wording poorly, so the
# rules need more unseen paragraphs of exactly those genres to find families in.
WAVE4_SEED = SEED + 4
WAVE4_QUOTA = {
    ("cppcc", "tune"): 110,
    ("congress", "tune"): 70,
    ("national", "tune"): 50,
    ("messages", "tune"): 40,
    ("provincial", "tune"): 30,
}
# A fifth wave, test part only, after half of the old test part moved to tune (module
# docstring): new never-tuned paragraphs from the documents still in test.
WAVE5_SEED = SEED + 5
WAVE5_QUOTA = {
    ("national", "test"): 100,
    ("congress", "test"): 50,
    ("cppcc", "test"): 80,
    ("messages", "test"): 70,
}
# wave → (seed, quota, the last uid of the waves before it)
WAVES = {
    2: (WAVE2_SEED, WAVE2_QUOTA, "p1571"),
    3: (WAVE3_SEED, WAVE3_QUOTA, "p2200"),
    4: (WAVE4_SEED, WAVE4_QUOTA, "p2502"),
    5: (WAVE5_SEED, WAVE5_QUOTA, "p2801"),
}


def _half(key: str) -> str:
    """The first waves' split of proposals and messages: half of the records in test."""
    return "test" if int(hashlib.sha1(key.encode()).hexdigest(), 16) % 2 else "tune"


def _quarter(key: str) -> str:
    """The split since the fifth wave: of the first waves' test half, half stays in test."""
    return "test" if _half(key) == "test" and _half("wave5" + key) == "test" else "tune"


def records(shared: Path) -> list[tuple[str, str, str, int, str]]:
    """(genre, split, file, row, field) of every record of every genre."""
    out: list[tuple[str, str, str, int, str]] = []
    for p in sorted((shared / "provincial-reports-2026").glob("*.csv")):
        out.append(("provincial", "tune", str(p.relative_to(shared)), 0, "full_text"))
    nat = shared / "national-reports" / "government_work_reports.jsonl"
    year = None
    for i, rec in enumerate(_jsonl_rows(nat)):
        # A resolution (year null) approves the report listed just before it.
        year = int(rec["year"]) if rec.get("year") else year
        split = "test" if year is not None and 2003 <= year <= 2012 else "tune"
        out.append(("national", split, str(nat.relative_to(shared)), i, "content"))
    cpc = shared / "national-reports" / "cpc_congress_reports.jsonl"
    for i, rec in enumerate(_jsonl_rows(cpc)):
        split = "test" if 16 <= int(rec["congress"]) <= 17 else "tune"
        out.append(("congress", split, str(cpc.relative_to(shared)), i, "content"))
    jszx = shared / "jiangsu-cppcc-2022" / "jszx2022.csv"
    for i, rec in enumerate(_csv_rows(jszx)):
        out.append(("cppcc", _quarter("cppcc" + rec["pkid"]), str(jszx.relative_to(shared)), i, "content"))
    for name, fields in (
        ("full_dataset_sheet_3.xlsx", ("留言详情",)),
        ("full_dataset_sheet_4.xlsx", ("留言详情", "答复意见")),
    ):
        path = shared / "citizen-messages" / name
        for i, rec in enumerate(_workbook_rows(path)):
            split = _quarter("msg" + rec["留言编号"])
            for f in fields:
                out.append(("messages", split, str(path.relative_to(shared)), i, f))
    for p in sorted((shared / "seed").glob("*.txt")):
        out.append(("seed", "tune", str(p.relative_to(shared)), 0, ""))
    for p in sorted((ROOT / "corpus").glob("[0-9]*.md")):
        out.append(("commentary", "tune", f"corpus/{p.name}", 0, ""))
    return out


def stratum(text: str) -> str:
    if HARD.search(text):
        return "hard"
    return "trigger" if TRIGGER.search(text) else "none"


def draw_pools(shared: Path, rng: random.Random) -> dict[tuple[str, str, str], list[dict]]:
    """Every candidate paragraph's reference, by (genre, split, stratum)."""
    pools: dict[tuple[str, str, str], list[dict]] = {}
    for genre, split, file, row, field in records(shared):
        pars = paragraphs(shared, file, row, field)
        kept = [
            (i, t)
            for i, t in enumerate(pars)
            if MIN_CHARS <= len(t) <= MAX_CHARS and not (genre == "provincial" and BOILERPLATE.search(t))
        ]
        if len(kept) > PER_DOC:
            kept = rng.sample(kept, PER_DOC)
        for i, t in kept:
            ref = {"genre": genre, "split": split, "file": file, "row": row, "field": field, "paragraph": i}
            ref["sha1"] = sha1(t)
            ref["stratum"] = stratum(t)
            pools.setdefault((genre, split, ref["stratum"]), []).append(ref)
    return pools


def choose(
    pools: dict[tuple[str, str, str], list[dict]],
    quota: dict[tuple[str, str], int],
    rng: random.Random,
    seen: set[str],
) -> list[dict]:
    """Draw each (genre, split)'s quota in the MIX proportions, skipping texts in *seen*."""
    chosen: list[dict] = []
    for (genre, split), n in quota.items():
        want = {s: round(n * share) for s, share in MIX.items()}
        # A stratum short of paragraphs hands its share to the trigger stratum, then to none.
        for s in ("hard", "trigger", "none"):
            have = [r for r in pools.get((genre, split, s), []) if r["sha1"] not in seen]
            take = min(want[s], len(have))
            short = want[s] - take
            if short and s == "hard":
                want["trigger"] += short
            elif short and s == "trigger":
                want["none"] += short
            for r in rng.sample(have, take):
                seen.add(r["sha1"])  # the same paragraph text twice (reports repeat) is labelled once
                chosen.append(r)
    rng.shuffle(chosen)
    return chosen


def write_batches(shared: Path, chosen: list[dict], batch_dir: Path, batch_size: int, first: int) -> None:
    batch_dir.mkdir(parents=True, exist_ok=True)
    for b in range(0, len(chosen), batch_size):
        lines = [
            json.dumps(
                {
                    "uid": r["uid"],
                    "text": paragraphs(shared, r["file"], r["row"], r["field"])[r["paragraph"]],
                },
                ensure_ascii=False,
            )
            for r in chosen[b : b + batch_size]
        ]
        (batch_dir / f"batch_{b // batch_size + first:02d}.jsonl").write_text(
            "\n".join(lines) + "\n", encoding="utf-8"
        )


def report(chosen: list[dict]) -> None:
    counts = Counter((r["genre"], r["split"], r["stratum"]) for r in chosen)
    for key in sorted(counts):
        print(*key, counts[key], sep="\t")
    print("total", len(chosen), sep="\t")


def main(shared: Path, refs_out: Path, batch_dir: Path, batch_size: int) -> None:
    rng = random.Random(SEED)
    chosen = choose(draw_pools(shared, rng), QUOTA, rng, set())
    for k, r in enumerate(chosen):
        r["uid"] = f"p{k + 1:04d}"
    refs_out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in chosen), encoding="utf-8")
    write_batches(shared, chosen, batch_dir, batch_size, 1)
    report(chosen)


def extend(shared: Path, refs: Path, batch_dir: Path, batch_size: int, wave: int = 2) -> None:
    """Append a later wave to *refs*: new paragraphs, new uids, new batches."""
    seed, quota, last_before = WAVES[wave]
    old = [json.loads(line) for line in refs.read_text(encoding="utf-8").splitlines() if line.strip()]
    if max(r["uid"] for r in old) != last_before:
        raise SystemExit(f"{refs} must end at {last_before} before wave {wave} is drawn")
    # The labelled paragraphs follow their documents into the current split (the fifth
    # wave moved documents from test to tune; for earlier waves nothing changes).
    split_of = {(file, row): split for _, split, file, row, _ in records(shared)}
    for r in old:
        r["split"] = split_of[(r["file"], r["row"])]
    rng = random.Random(seed)
    chosen = choose(draw_pools(shared, rng), quota, rng, {r["sha1"] for r in old})
    for k, r in enumerate(chosen):
        r["uid"] = f"p{len(old) + k + 1:04d}"
    refs.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in old + chosen), encoding="utf-8")
    first = -(-len(old) // 150) + 1  # after the earlier waves' batches of 150
    write_batches(shared, chosen, batch_dir, batch_size, first)
    report(chosen)


# the command that draws each later wave → its number in WAVES
WAVE_COMMANDS = {"extend": 2, "wave3": 3, "wave4": 4, "wave5": 5}

if __name__ == "__main__":
    # select_paragraphs.py extend|wave3|wave4|wave5 SHARED REFS BATCH_DIR [SIZE]
    if sys.argv[1] in WAVE_COMMANDS:
        extend(
            Path(sys.argv[2]),
            Path(sys.argv[3]),
            Path(sys.argv[4]),
            int(sys.argv[5]) if len(sys.argv) > 5 else 150,
            wave=WAVE_COMMANDS[sys.argv[1]],
        )
    else:
        main(
            Path(sys.argv[1]),
            Path(sys.argv[2]),
            Path(sys.argv[3]),
            int(sys.argv[4]) if len(sys.argv) > 4 else 150,
        )
