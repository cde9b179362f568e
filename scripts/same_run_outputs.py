"""Show that a change leaves the outputs of `govtext run` unchanged (run by hand).

    .venv/bin/python scripts/same_run_outputs.py BEFORE [AFTER] [--corpus ../shared/corpus]
    .venv/bin/python scripts/same_run_outputs.py --dirs OUT_A OUT_B

The first form checks out BEFORE and AFTER (git revisions; AFTER defaults to the working
tree, so an uncommitted refactor can be checked) into temporary worktrees, runs
`govtext run CORPUS` with each on the same Python, and compares every output file. The
second compares two report folders that already exist.

A refactor must leave every output byte-identical, except what records the run itself:
its start time and the seconds each stage took (in run.json, the methods table of
index.html and report.md, and the run sheet of report.xlsx). Those lines and cells are
masked before comparing; nothing else is. The DuckDB store is compared table by table
(rows sorted, since DuckDB does not promise an order), leaving out the `runs` table,
which holds the timings, the timestamp columns that say when a row was written, the keys
the store files its work under (a run's id holds its start time; a snapshot's key hashes
the ingest code, so that a changed reader reads the files again), and the pickled topic
model (its fit time is inside; its results are compared). Each revision runs from its own
checkout, whose path is masked where it shows. Exit status 0 when everything matches, 1 with the differences
listed otherwise.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What records the run rather than its results: the start time and stage seconds.
VOLATILE = re.compile(r'started|timings|_seconds|"seconds"|elapsed|stage seconds')
TEXT_SUFFIXES = {".csv", ".md", ".html", ".json", ".svg", ".txt", ".jsonl"}
STORE_SKIP = {"runs"}
# Keys the store files its work under, not results: a run's id holds its start time, and a
# corpus snapshot's key hashes the ingest code too (so a changed reader reads files again).
CACHE_KEYS = {"run_id", "snapshot"}
# Each revision runs from its own checkout, whose path shows in run.json (the dictionary's).
CHECKOUTS: list[str] = []


def masked_lines(path: Path) -> list[str]:
    """The file's lines with the volatile ones masked; in JSON, a volatile key's nested
    object (run.json's ``"timings_s": {...}``) is masked whole."""
    out: list[str] = []
    depth = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if depth:
            depth += line.count("{") + line.count("[") - line.count("}") - line.count("]")
            out.append("<volatile>")
        elif VOLATILE.search(line):
            out.append("<volatile>")
            if line.rstrip().endswith(("{", "[")):
                depth = 1
        else:
            for tree in CHECKOUTS:
                line = line.replace(tree, "<checkout>")
            out.append(line)
    return out


def xlsx_cells(path: Path) -> list[str]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    out: list[str] = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            text = "\t".join("" if v is None else str(v) for v in row)
            out.append(f"{sheet.title}\t" + ("<volatile>" if VOLATILE.search(text) else text))
    book.close()
    return out


def store_tables(path: Path) -> list[str]:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [
            r[0]
            for r in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()
        ]
        out: list[str] = []
        for name in names:
            if name in STORE_SKIP:
                continue
            # A timestamp column says when a row was written and run_id when the run
            # started, not what the run found; a fitted model's pickle (BLOB) carries its fit
            # time, and its results are compared through topic_assignments and the tables.
            cols = [
                c[0]
                for c in con.execute(f'DESCRIBE "{name}"').fetchall()
                if "TIMESTAMP" not in c[1] and c[1] != "BLOB" and c[0] not in CACHE_KEYS
            ]
            select = ", ".join(f'"{c}"' for c in cols)
            rows = sorted(repr(r) for r in con.execute(f'SELECT {select} FROM "{name}"').fetchall())
            digest = hashlib.sha1("\n".join(rows).encode()).hexdigest()
            out.append(f"{name}\t{len(rows)} rows\t{digest}")
        return out
    finally:
        con.close()


def files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def differences(a: Path, b: Path) -> Iterator[str]:
    """One line per difference between two report folders (nothing when they match)."""
    fa, fb = files(a), files(b)
    for name in sorted(fa - fb):
        yield f"only in {a}: {name}"
    for name in sorted(fb - fa):
        yield f"only in {b}: {name}"
    for name in sorted(fa & fb):
        pa, pb = a / name, b / name
        suffix = pa.suffix.lower()
        if suffix == ".duckdb":
            left, right = store_tables(pa), store_tables(pb)
        elif suffix == ".xlsx":
            left, right = xlsx_cells(pa), xlsx_cells(pb)
        elif suffix in TEXT_SUFFIXES:
            left, right = masked_lines(pa), masked_lines(pb)
        else:
            if pa.read_bytes() != pb.read_bytes():
                yield f"differs: {name} (bytes)"
            continue
        if left != right:
            diff = list(difflib.unified_diff(left, right, lineterm="", n=0))[2:8]
            yield f"differs: {name}\n    " + "\n    ".join(d[:160] for d in diff)


def run_at(rev: str | None, corpus: Path, work: Path) -> Path:
    """`govtext run CORPUS` with the code of *rev* (None: the working tree); its report folder."""
    if rev is None:
        tree, label = ROOT, "worktree"
        CHECKOUTS.append(str(ROOT))
    else:
        sha = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", rev], check=True, capture_output=True, text=True
        ).stdout.strip()
        tree, label = work / f"src-{sha}", sha
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), rev], check=True)
    CHECKOUTS.append(str(tree))
    out = work / f"out-{label}"
    env = dict(os.environ, PYTHONPATH=str(tree))
    subprocess.run(
        [sys.executable, "-m", "govtext", "run", str(corpus), "--out", str(out), "--quiet"],
        cwd=tree,
        env=env,
        check=True,
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("revs", nargs="*", help="BEFORE [AFTER] git revisions")
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--dirs", nargs=2, type=Path, metavar=("OUT_A", "OUT_B"))
    args = parser.parse_args(argv)
    if args.dirs:
        a, b = args.dirs
        found = list(differences(a, b))
    else:
        if not 1 <= len(args.revs) <= 2:
            parser.error("give BEFORE [AFTER], or --dirs OUT_A OUT_B")
        with tempfile.TemporaryDirectory(prefix="govtext-same-") as tmp:
            work = Path(tmp)
            try:
                a = run_at(args.revs[0], args.corpus.resolve(), work)
                b = run_at(args.revs[1] if len(args.revs) > 1 else None, args.corpus.resolve(), work)
                found = list(differences(a, b))
            finally:
                for tree in work.glob("src-*"):
                    subprocess.run(
                        ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False
                    )
    for line in found:
        print(line)
    print(f"{len(found)} difference(s) between {a.name} and {b.name}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
