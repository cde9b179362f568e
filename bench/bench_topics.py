"""Benchmark the topic models on the 21 provincial reports, split into paragraphs.

    PYTHONPATH=. python bench/bench_topics.py [--shared ../shared/corpus] [--devset tests/devset]

Reports, for ``lda``, ``nmf`` and ``seeded`` with ``k="auto"``: the chosen K, coherence
(NPMI, c_v), diversity and wall time, beside gensim ``LdaModel`` with default settings
on the same tokens at the same K (three random states, since its default draws a fresh
one). Then the ROC AUC, per theme, of the seeded topic's share in a development-set
sentence for separating sentences labelled with that theme from the others. Plain
``jieba.lcut`` over the same texts is timed as the reference for the other timings.

The theme dictionary comes from ``govtext.themes``; before that package is merged,
``--themes-from DIR`` adds another checkout's ``govtext`` directory to the package path
(read-only). Nothing is written; the tables go to stdout.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def read_reports(shared: Path) -> list[Any]:
    from govtext.documents import Document

    docs = []
    for path in sorted((shared / "provincial-reports-2026").glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for i, row in enumerate(csv.DictReader(fh)):
                # Paragraphs are the non-blank lines of full_text (Document's default).
                docs.append(
                    Document(
                        doc_id=f"{path.stem}#{i}",
                        text=row["full_text"],
                        title=row.get("title", ""),
                        meta={"province": row.get("province", ""), "year": row.get("year", "")},
                    )
                )
    return docs


def load_devset(devset: Path, shared: Path) -> list[tuple[str, set[str], str]]:
    """(sentence text, labels, split) for every labelled reference, checked against its sha1;
    split is ``labels`` (the rules' tuning set) or ``heldout``."""
    sys.path.insert(0, str(devset))
    from units import sha1, unit  # the devset's own reader, so references resolve the same way

    out = []
    for name in ("labels.jsonl", "heldout.jsonl"):
        path = devset / name
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            ref = json.loads(line)
            _, sentence, _ = unit(shared, ref)
            if sha1(sentence) != ref["sha1"]:
                raise SystemExit(f"devset reference changed: {ref}")
            out.append((sentence, set(ref["labels"]), path.stem))
    return out


def default_lda(units: Any, k: int, seeds: tuple[int, ...] = (0, 1, 2)) -> dict[str, float]:
    """gensim LdaModel with default settings (only num_topics, id2word and a seed given)."""
    from gensim.corpora import Dictionary
    from gensim.models import LdaModel

    from govtext.topics import coherence

    gdict = Dictionary([list(units.vocabulary)])
    bow = [gdict.doc2bow(list(t)) for t in units.token_lists]
    npmi, cv, secs = [], [], []
    for rs in seeds:
        t0 = time.perf_counter()
        lda = LdaModel(bow, num_topics=k, id2word=gdict, random_state=rs)
        secs.append(time.perf_counter() - t0)
        top = [[w for w, _ in lda.show_topic(i, 10)] for i in range(k)]
        q = coherence(top, units.token_lists, gdict)
        npmi.append(q.npmi)
        cv.append(q.c_v)
    return {
        "npmi": statistics.mean(npmi),
        "npmi_sd": statistics.stdev(npmi) if len(npmi) > 1 else 0.0,
        "c_v": statistics.mean(cv),
        "seconds": statistics.mean(secs),
    }


def sentence_shares(model: Any, sentences: list[str], segmenter: Any, units_settings: dict) -> Any:
    """Topic shares of each sentence under a fitted model; sentences without a known word get 1/K."""
    import numpy as np

    from govtext.documents import Document
    from govtext.topics import build_units

    docs = [Document(doc_id=f"s{i}", text=s) for i, s in enumerate(sentences)]
    toks = [segmenter.tokens(d) for d in docs]
    keep = units_settings.get("keep_pos")
    units = build_units(
        docs,
        toks,
        unit="document",
        min_df=1,
        max_df=1.0,
        keep_pos=keep,
        keep_words=units_settings["keep_words"],
        compounds=units_settings["compounds"],
    )
    shares = np.full((len(sentences), model.k_), 1.0 / model.k_)
    if len(units):
        theta = model.transform(units)
        for uid, row in zip(units.unit_ids, theta, strict=True):
            if row.sum() > 0:
                shares[int(uid[1:])] = row
    return shares


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--devset", type=Path, default=ROOT / "tests" / "devset")
    ap.add_argument("--themes-from", type=Path, default=None)
    ap.add_argument("--methods", default="lda,nmf,seeded")
    ap.add_argument("--k", default="auto")
    ap.add_argument("--seeded", default="{}", help="extra TopicModel parameters for seeded, as JSON")
    args = ap.parse_args()

    import govtext

    if args.themes_from:
        govtext.__path__.append(str(args.themes_from / "govtext"))
    import jieba
    import numpy as np
    from sklearn.metrics import roc_auc_score

    from govtext.segment import Segmenter
    from govtext.topics import TopicModel, TopicWarning, build_units, seeds_from_dictionary

    # Imported by name: govtext.themes may live in another checkout (--themes-from).
    load_dictionary = importlib.import_module("govtext.themes").load_dictionary
    warnings.simplefilter("ignore", TopicWarning)
    docs = read_reports(args.shared)
    texts = [d.text for d in docs]
    jieba.initialize()
    t0 = time.perf_counter()
    for text in texts:
        jieba.lcut(text)
    t_jieba = time.perf_counter() - t0
    seg = Segmenter(pos=True)
    seg.tokens(docs[0])
    t0 = time.perf_counter()
    toks = [seg.tokens(d) for d in docs]
    t_seg = time.perf_counter() - t0

    dictionary = load_dictionary()
    seeds = seeds_from_dictionary(dictionary, "theme")
    t0 = time.perf_counter()
    units = build_units(docs, toks, compounds=[w for ws in seeds.values() for w in ws])
    t_units = time.perf_counter() - t0
    n_paras = sum(len(d.paragraphs) for d in docs)
    print(
        f"corpus: {len(docs)} reports, {n_paras} paragraphs → {len(units)} units, {units.n_tokens} tokens, "
        f"vocabulary {len(units.vocabulary)}"
    )
    print(
        f"jieba.lcut {t_jieba:.2f} s; Segmenter(pos=True) {t_seg:.2f} s ({t_seg / t_jieba:.1f}×); "
        f"build_units {t_units:.2f} s ({t_units / t_jieba:.2f}×)\n"
    )

    k: int | str = args.k if args.k == "auto" else int(args.k)
    extra = json.loads(args.seeded)
    models: dict[str, Any] = {}
    rows = []
    for method in args.methods.split(","):
        params: dict[str, Any] = {"method": method, "k": k, "dictionary": dictionary}
        if method == "seeded":
            params.update(extra)
        t0 = time.perf_counter()
        tm = TopicModel(**params).fit(units)
        total = time.perf_counter() - t0
        models[method] = tm
        base = default_lda(units, tm.k_)
        rows.append((method, tm, total, base))
        print(f"{method}: K curve")
        print(tm.k_curve_.round(4).to_string(index=False))
        print()

    print(
        "| method | K | NPMI | c_v | diversity | fit at K (s) | auto-K total (s) | default LdaModel NPMI (mean ± sd, 3 seeds) | its c_v | its time (s) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for method, tm, total, base in rows:
        q = tm.quality_
        print(
            f"| {method} | {tm.k_} | {q.npmi:.4f} | {q.c_v:.4f} | {q.diversity:.3f} | {tm.fit_seconds_:.2f} | "
            f"{total:.1f} | {base['npmi']:.4f} ± {base['npmi_sd']:.4f} | {base['c_v']:.4f} | {base['seconds']:.2f} |"
        )
    print(
        f"\n(times relative to jieba.lcut of the same texts, {t_jieba:.2f} s: "
        + ", ".join(f"{m} fit {tm.fit_seconds_ / t_jieba:.1f}×" for m, tm, _, _ in rows)
        + ")"
    )

    if "seeded" in models:
        tm = models["seeded"]
        print("\nseeded topics:")
        print(
            tm.summary()[["topic", "label", "kind", "top_terms", "prevalence", "npmi", "overlap"]]
            .round(3)
            .to_string(index=False)
        )
        print("dropped:", tm.dropped_topics_)
        if not args.devset.is_dir():
            print(f"\nno development set at {args.devset}: ROC AUC not computed")
            return
        dev = load_devset(args.devset, args.shared)
        shares = sentence_shares(tm, [s for s, _, _ in dev], seg, dict(tm.units_settings_))
        splits = {"all": np.ones(len(dev), bool)}
        for split in ("labels", "heldout"):
            splits[split] = np.array([sp == split for _, _, sp in dev])
        print(
            f"\nROC AUC of the seeded topic's share per development-set sentence "
            f"({', '.join(f'{k} {int(m.sum())}' for k, m in splits.items())} sentences):"
        )
        print("| theme | positives (all) | AUC all | AUC labels | AUC heldout |")
        print("|---|---|---|---|---|")
        means: dict[str, list[float]] = {k: [] for k in splits}
        for theme in dictionary.themes:
            y = np.array([theme in labels for _, labels, _ in dev])
            if theme not in tm.seed_topics_:
                print(
                    f"| {theme} | {int(y.sum())} | topic dropped (seeds absent or too rare in the corpus) | | |"
                )
                continue
            score = shares[:, tm.seed_topics_.index(theme)]
            cells = []
            for name, mask in splits.items():
                ys = y[mask]
                if 0 < ys.sum() < len(ys):
                    auc = roc_auc_score(ys, score[mask])
                    means[name].append(auc)
                    cells.append(f"{auc:.3f} ({int(ys.sum())})" if name != "all" else f"{auc:.3f}")
                else:
                    cells.append("—")
            print(f"| {theme} | {int(y.sum())} | " + " | ".join(cells) + " |")
        print(
            "| mean | | "
            + " | ".join(f"{statistics.mean(v):.3f} ({len(v)} themes)" if v else "—" for v in means.values())
            + " |"
        )


if __name__ == "__main__":
    main()
