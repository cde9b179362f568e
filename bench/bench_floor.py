"""What the parts govtext cannot do without cost on their own: a floor under the scale target.

    python bench/bench_floor.py [--size 100]

The 10× target of issue 9 asks the per-document stages on two workers to run ten times
as fast as plain ``jieba.lcut`` on one core. This script times, on one core and in CPU
seconds, the parts of that work that govtext's own code does not decide, over the same
synthetic corpus as bench_run.py (a folder of 5 MB JSON Lines files):

- ``json``: decoding the JSON Lines records (``json.loads`` per line);
- ``cut``: jieba-rs's cut with govtext's dictionary, HMM off, over the texts joined in
  batches of 100 (what a worker does; the words come back as Python strings);
- ``scan``: one pyahocorasick pass with the dictionary's terms over every text;
- ``store``: inserting (doc_id, text) into a new DuckDB file and closing it (the texts
  alone, no tokens or hits);
- the yardstick: ``jieba.lcut`` over the first 10 MB, as in bench_run.py.

Their sum is a floor: the target needs the whole of the per-document work, these parts
and everything else (the normalised view, POS tags, vocabulary ids, offsets,
sentences, regex rules and exclusions, duplicate fingerprints, tokens and hits in the
store, moving the texts between processes), to fit in the CPU time two cores have.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))


def cpu() -> float:
    return time.process_time()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=100, help="corpus size in MB")
    args = ap.parse_args()
    from synth import build, build_parts

    folder = build_parts(args.size)
    out: dict[str, float] = {}

    t = cpu()
    texts: list[str] = []
    for f in sorted(folder.glob("*.jsonl")):
        for line in f.read_bytes().splitlines():
            texts.append(json.loads(line)["text"])
    out["json"] = cpu() - t
    mb = sum(len(x.encode("utf-8")) for x in texts) / 1e6

    from govtext.segment import Segmenter

    seg = Segmenter(pos=True)
    eng = seg._ensure()  # the jieba-rs engine govtext builds (dictionary loaded, not timed)
    t = cpu()
    n_tokens = 0
    for i in range(0, len(texts), 100):
        n_tokens += len(eng.cut("\x00".join(texts[i : i + 100]), hmm=False))
    out["cut"] = cpu() - t

    import ahocorasick

    from govtext.themes import load_dictionary

    automaton = ahocorasick.Automaton()
    for rule in load_dictionary().rules():
        for term in rule.terms:
            automaton.add_word(term, term)
    automaton.make_automaton()
    t = cpu()
    n_found = sum(1 for x in texts for _ in automaton.iter(x))
    out["scan"] = cpu() - t

    import duckdb
    import numpy as np

    db = folder.with_name("floor.duckdb")
    db.unlink(missing_ok=True)
    t = cpu()
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE d (doc_id VARCHAR PRIMARY KEY, text VARCHAR)")
    for i in range(0, len(texts), 3000):
        chunk = texts[i : i + 3000]
        ids = np.array([f"d{k}" for k in range(i, i + len(chunk))], dtype=object)
        body = np.empty(len(chunk), dtype=object)
        body[:] = chunk
        con.register("rows", {"doc_id": ids, "text": body})
        con.execute("INSERT INTO d SELECT * FROM rows")
        con.unregister("rows")
    con.close()
    out["store"] = cpu() - t  # DuckDB's own threads count in this process's CPU time
    db.unlink(missing_ok=True)

    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    sample = [json.loads(line)["text"] for line in build(10).read_text(encoding="utf-8").splitlines()]
    t = cpu()
    for x in sample:
        jieba.lcut(x)
    lcut_s = cpu() - t
    yard = sum(len(x.encode("utf-8")) for x in sample) / 1e6 / lcut_s

    floor = sum(out.values())
    print(f"{len(texts)} texts, {mb:.1f} MB, {n_tokens:,} tokens, {n_found:,} term occurrences")
    for k, v in out.items():
        print(f"  {k:<6} {v:6.2f} CPU-s  ({v / mb * 100:.2f} per 100 MB)")
    print(f"  floor  {floor:6.2f} CPU-s  ({floor / mb * 100:.2f} per 100 MB)")
    print(f"jieba.lcut one core: {yard:.2f} MB/CPU-s")
    need = mb / (10 * yard) * 2  # CPU seconds two cores have for 10× the yardstick
    print(
        f"10x jieba.lcut on 2 cores leaves {need:.2f} CPU-s for {mb:.1f} MB; the floor takes "
        f"{floor:.2f} ({floor / need:.0%}), leaving {need - floor:.2f} CPU-s for everything else"
    )


if __name__ == "__main__":
    main()
