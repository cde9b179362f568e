"""Synthetic corpora for the scale benchmark, built from the paragraphs of ../shared/corpus.

    python bench/synth.py            # bench/data/synth_10mb.jsonl and synth_100mb.jsonl
    python bench/synth.py --mb 10    # one size

Each record is ``{"id", "text", "province", "year"}`` with 2–5 KB of UTF-8 text made of
paragraphs drawn (with a fixed seed) from the provincial reports (``full_text`` split
into lines) and the national reports (``content`` split on blank lines). The files go
to bench/data/, which git ignores: they are derived from texts written by others and
never committed. A file is rebuilt only when its size, seed or sources change.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpus"
DATA = ROOT / "bench" / "data"
SEED = 20260
MIN_BYTES, MAX_BYTES = 2_000, 5_000
csv.field_size_limit(sys.maxsize)


def paragraphs(shared: Path = SHARED) -> list[tuple[str, str, str]]:
    """(paragraph, province, year) for every non-trivial paragraph of the real corpora."""
    out: list[tuple[str, str, str]] = []
    for path in sorted((shared / "provincial-reports-2026").glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                for line in row["full_text"].splitlines():
                    line = line.strip()
                    if len(line) >= 8:  # menu words and breadcrumbs are shorter
                        out.append((line, row["province"], str(row["year"])))
    national = shared / "national-reports" / "government_work_reports.jsonl"
    with national.open(encoding="utf-8") as fh:
        for raw in fh:
            rec = json.loads(raw)
            year = str(rec.get("year") or "")
            for para in rec["content"].split("\n\n"):
                para = para.strip()
                if len(para) >= 8:
                    out.append((para, "全国", year))
    if not out:
        raise SystemExit(f"no paragraphs found under {shared}; is ../shared/corpus there?")
    return out


def records(
    pool: list[tuple[str, str, str]], target_bytes: int, seed: int = SEED
) -> Iterator[dict[str, str]]:
    """Records of 2–5 KB until ``target_bytes`` of text; each takes the metadata of its first paragraph."""
    rng = random.Random(seed)
    total = 0
    n = 0
    while total < target_bytes:
        want = rng.randint(MIN_BYTES, MAX_BYTES)
        parts: list[str] = []
        size = 0
        first = pool[rng.randrange(len(pool))]
        para = first
        while size < want:
            text = para[0]
            room = want - size
            encoded = len(text.encode("utf-8"))
            if encoded > room:
                if size >= MIN_BYTES:
                    break
                # too short still: take the paragraph's head, cut at a character boundary
                text = text.encode("utf-8")[:room].decode("utf-8", "ignore")
                encoded = len(text.encode("utf-8"))
            parts.append(text)
            size += encoded + 1
            para = pool[rng.randrange(len(pool))]
        body = "\n".join(parts)
        total += len(body.encode("utf-8"))
        yield {"id": f"synth-{n:07d}", "text": body, "province": first[1], "year": first[2]}
        n += 1


def _sources_digest(shared: Path) -> str:
    h = hashlib.blake2b(digest_size=8)
    for path in sorted(shared.rglob("*")):
        if path.is_file() and path.suffix in {".csv", ".jsonl"}:
            h.update(path.name.encode())
            h.update(str(path.stat().st_size).encode())
    return h.hexdigest()


def build(mb: int, *, seed: int = SEED, shared: Path = SHARED, out_dir: Path = DATA) -> Path:
    """bench/data/synth_<mb>mb.jsonl (re-used when already built with the same parameters)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"synth_{mb}mb.jsonl"
    stamp = path.with_suffix(".json")
    params = {"mb": mb, "seed": seed, "sources": _sources_digest(shared), "min": MIN_BYTES, "max": MAX_BYTES}
    if path.exists() and stamp.exists() and json.loads(stamp.read_text()) == params:
        return path
    pool = paragraphs(shared)
    tmp = path.with_suffix(".jsonl.part")
    n = 0
    with tmp.open("w", encoding="utf-8") as fh:
        for rec in records(pool, mb * 1_000_000, seed):
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
    tmp.replace(path)
    stamp.write_text(json.dumps(params))
    return path


PART_BYTES = 5_000_000


def build_parts(mb: int, *, part_bytes: int = PART_BYTES, **kwargs: object) -> Path:
    """The corpus of ``build(mb)`` as a folder of JSON Lines files of about ``part_bytes``
    each (bench/data/synth_<mb>mb/part-000.jsonl …), the same records in the same order.

    A scholar's 100 MB is many files; ingest holds one file at a time, so a corpus in
    one 100 MB file would make the reader's memory, not the pipeline's, the peak.
    """
    whole = build(mb, **kwargs)  # type: ignore[arg-type]
    folder = whole.with_suffix("")
    stamp = folder.with_name(folder.name + ".parts.json")  # outside: ingest would read it
    params = {"whole": json.loads(whole.with_suffix(".json").read_text()), "part_bytes": part_bytes}
    if stamp.exists() and json.loads(stamp.read_text()) == params:
        return folder
    if folder.exists():
        for old in folder.glob("part-*.jsonl"):
            old.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    part, size, out = 0, 0, None
    with whole.open(encoding="utf-8") as src:
        for line in src:
            if out is None or size >= part_bytes:
                if out is not None:
                    out.close()
                out = (folder / f"part-{part:03d}.jsonl").open("w", encoding="utf-8")
                part, size = part + 1, 0
            out.write(line)
            size += len(line.encode("utf-8"))
    if out is not None:
        out.close()
    stamp.write_text(json.dumps(params))
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, action="append", help="corpus size in MB of text (repeatable)")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    for mb in args.mb or [10, 100]:
        path = build(mb, seed=args.seed)
        print(f"{path}  {path.stat().st_size / 1e6:.1f} MB on disk")


if __name__ == "__main__":
    main()
