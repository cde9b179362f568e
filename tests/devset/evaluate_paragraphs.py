"""Score a dictionary on the blind-labelled paragraphs (used by the test and by hand).

    PYTHONPATH=. .venv/bin/python tests/devset/evaluate_paragraphs.py ../shared/corpus [DICTIONARY.toml]
    PYTHONPATH=. .venv/bin/python tests/devset/evaluate_paragraphs.py ../shared/corpus - p2503   # … and a wave apart
    PYTHONPATH=. .venv/bin/python tests/devset/evaluate_paragraphs.py --write ../shared/corpus   # refresh default.validity.json

prints agreement between the two coders, then precision, recall and F1 per theme, per
genre and micro, with 95% intervals (bootstrap over paragraphs), for the tune and the
test part, beside the naive baseline (a paragraph carries a theme when it contains the
theme's Chinese name), and each coder alone against the adjudicated labels. With a first
uid, the paragraphs from it on (a new wave) are also scored apart. A paragraph carries a
theme when the matcher counts a hit in it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from adjudicate import REFS, THEMES, read_jsonl
from paragraph_units import paragraph

from govtext.documents import Document
from govtext.themes import Matcher, load_dictionary

NAMES = {
    "self_governance": "自治",
    "rule_of_law": "法治",
    "rule_of_virtue": "德治",
    "co_construction": "共建",
    "co_governance": "共治",
    "shared_benefits": "共享",
    "empowerment": "赋权",
    "push_down": "下沉",
    "effectiveness": "增效",
    "party_building": "党建引领",
    "whistle_report": "吹哨报到",
    "complaint_response": "接诉即办",
}


@dataclass(frozen=True)
class Scores:
    """Precision, recall and F1 with bootstrap intervals, from per-paragraph tp/fp/fn counts."""

    tp: int
    fp: int
    fn: int
    p_ci: tuple[float, float]
    r_ci: tuple[float, float]
    f1_ci: tuple[float, float]

    @property
    def precision(self) -> float:
        return _p(self.tp, self.fp)

    @property
    def recall(self) -> float:
        return _p(self.tp, self.fn)

    @property
    def f1(self) -> float:
        return _f1(self.tp, self.fp, self.fn)


def _p(a: float, b: float) -> float:
    return a / (a + b) if a + b else 1.0


def _f1(tp: float, fp: float, fn: float) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


def labelled(refs: Iterable[dict] | None = None) -> list[dict]:
    return [r for r in (refs if refs is not None else read_jsonl(REFS)) if "labels" in r]


def score(
    gold: list[set[str]], pred: list[set[str]], themes: Iterable[str], n_boot: int = 1000, seed: int = 0
) -> Scores:
    """Micro scores over ``themes``, the intervals from resampling paragraphs (percentile bootstrap)."""
    themes = tuple(themes)
    counts = np.array(
        [
            [len((g & p) & set(themes)), len((p - g) & set(themes)), len((g - p) & set(themes))]
            for g, p in zip(gold, pred, strict=True)
        ]
    ).reshape(-1, 3)
    tp, fp, fn = (int(x) for x in counts.sum(axis=0))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(counts), size=(n_boot, len(counts))) if len(counts) else np.zeros((0, 0), int)
    boot = counts[idx].sum(axis=1) if len(counts) else np.zeros((0, 3))
    ps = [_p(t, f) for t, f, _ in boot]
    rs = [_p(t, n) for t, _, n in boot]
    fs = [_f1(t, f, n) for t, f, n in boot]

    def ci(xs: list[float]) -> tuple[float, float]:
        return (float(np.percentile(xs, 2.5)), float(np.percentile(xs, 97.5))) if xs else (float("nan"),) * 2

    return Scores(tp, fp, fn, ci(ps), ci(rs), ci(fs))


def predict(shared: Path, refs: list[dict], dictionary: Path | None = None) -> list[set[str]]:
    matcher = Matcher(load_dictionary(dictionary) if dictionary else load_dictionary()).fit()
    return [{h.theme for h in matcher.transform(Document(r["uid"], paragraph(shared, r)))} for r in refs]


def naive(shared: Path, refs: list[dict]) -> list[set[str]]:
    return [{t for t, name in NAMES.items() if name in paragraph(shared, r)} for r in refs]


def kappa(a: list[bool], b: list[bool]) -> float:
    """Cohen's kappa of two coders' yes/no calls (1.0 when both never or always say yes)."""
    n = len(a)
    po = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pa, pb = sum(a) / n, sum(b) / n
    pe = pa * pb + (1 - pa) * (1 - pb)
    return 1.0 if pe == 1 else (po - pe) / (1 - pe)


def table(refs: list[dict], pred: list[set[str]], key: Callable[[dict], str]) -> dict[str, Scores]:
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(refs):
        groups.setdefault(key(r), []).append(i)
    return {
        g: score([set(refs[i]["labels"]) for i in ix], [pred[i] for i in ix], THEMES)
        for g, ix in sorted(groups.items())
    }


def _fmt(s: Scores) -> str:
    return (
        f"P {s.precision:.3f} [{s.p_ci[0]:.2f}, {s.p_ci[1]:.2f}]  R {s.recall:.3f} [{s.r_ci[0]:.2f}, {s.r_ci[1]:.2f}]"
        f"  F1 {s.f1:.3f} [{s.f1_ci[0]:.2f}, {s.f1_ci[1]:.2f}]  (tp {s.tp} fp {s.fp} fn {s.fn})"
    )


def part_scores(shared: Path, refs: list[dict], pred: list[set[str]], split: str) -> dict:
    """One part's scores: micro, the naive baseline, per theme (with its gold count) and
    per genre; ``main`` prints them, ``figures`` stores them."""
    ix = [i for i, r in enumerate(refs) if r["split"] == split]
    sub = [refs[i] for i in ix]
    sp = [pred[i] for i in ix]
    gold = [set(r["labels"]) for r in sub]
    return {
        "paragraphs": len(sub),
        "micro": score(gold, sp, THEMES),
        "baseline": score(gold, naive(shared, sub), THEMES),
        # One coder alone against the adjudicated labels: how well a trained reader
        # scores, the yardstick for the rules (an upper estimate: the gold is made from
        # the two coders' labels).
        "coder_a": score(gold, [set(r["coder_a"]) for r in sub], THEMES),
        "coder_b": score(gold, [set(r["coder_b"]) for r in sub], THEMES),
        "themes": {t: (sum(t in g for g in gold), score(gold, sp, (t,))) for t in THEMES},
        "genres": table(sub, sp, lambda r: r["genre"]),
    }


def main(shared: Path, dictionary: Path | None = None, first_uid: str | None = None) -> None:
    refs = labelled()
    print(f"{len(refs)} labelled paragraphs")
    a = [set(r["coder_a"]) for r in refs]
    b = [set(r["coder_b"]) for r in refs]
    print("agreement (coder A vs B): micro", _fmt(score(b, a, THEMES)))
    for t in THEMES:
        ka = kappa([t in x for x in a], [t in x for x in b])
        print(f"  {t:20s} kappa {ka:.3f}  A {sum(t in x for x in a)}  B {sum(t in x for x in b)}")
    pred = predict(shared, refs, dictionary)
    for split in ("tune", "test"):
        part = part_scores(shared, refs, pred, split)
        print(f"\n== {split}: {part['paragraphs']} paragraphs")
        print("micro     ", _fmt(part["micro"]))
        print("baseline  ", _fmt(part["baseline"]))
        print("coder A   ", _fmt(part["coder_a"]))
        print("coder B   ", _fmt(part["coder_b"]))
        for t, (n, sc) in part["themes"].items():
            print(f"  {t:20s} n={n:4d}", _fmt(sc))
        for g, sc in part["genres"].items():
            print(f"  genre {g:12s}", _fmt(sc))
    if first_uid:
        # A wave drawn from the tune part, scored before any rule is written from it: a
        # second never-tuned figure, on documents of the tune genres.
        wave = [{**r, "split": "wave"} for r in refs if r["uid"] >= first_uid]
        part = part_scores(shared, wave, predict(shared, wave, dictionary), "wave")
        print(f"\n== from {first_uid}: {part['paragraphs']} paragraphs")
        for name in ("micro", "baseline", "coder_a", "coder_b"):
            print(f"{name:10s}", _fmt(part[name]))
        for t, (n, sc) in part["themes"].items():
            print(f"  {t:20s} n={n:4d}", _fmt(sc))
        for g, sc in part["genres"].items():
            print(f"  genre {g:12s}", _fmt(sc))


VALIDITY = Path(__file__).parents[2] / "govtext" / "themes" / "data" / "default.validity.json"


def figures(shared: Path) -> dict:
    """The shipped dictionary's figures, as ``default.validity.json`` holds them: point
    estimates with 95% bootstrap intervals, per part, theme and genre, and the dictionary
    hash they belong to (the report quotes them only for that dictionary)."""
    refs = labelled()
    pred = predict(shared, refs)

    def row(s: Scores) -> dict:
        return {
            "precision": round(s.precision, 3),
            "recall": round(s.recall, 3),
            "f1": round(s.f1, 3),
            "precision_ci": [round(x, 3) for x in s.p_ci],
            "recall_ci": [round(x, 3) for x in s.r_ci],
            "f1_ci": [round(x, 3) for x in s.f1_ci],
            "tp": s.tp,
            "fp": s.fp,
            "fn": s.fn,
        }

    out: dict = {
        "dictionary_hash": load_dictionary().hash,
        "paragraphs": len(refs),
        "source": "tests/devset/paragraphs.jsonl; docs/validity.md",
    }
    a = [set(r["coder_a"]) for r in refs]
    b = [set(r["coder_b"]) for r in refs]
    out["agreement"] = {
        "micro_f1": round(score(b, a, THEMES, n_boot=0).f1, 3),
        "kappa": {t: round(kappa([t in x for x in a], [t in x for x in b]), 3) for t in THEMES},
    }
    for split in ("tune", "test"):
        part = part_scores(shared, refs, pred, split)
        out[split] = {
            "paragraphs": part["paragraphs"],
            "micro": row(part["micro"]),
            "baseline": row(part["baseline"]),
            "coder_a": row(part["coder_a"]),
            "coder_b": row(part["coder_b"]),
            "themes": {t: {"gold": n, **row(sc)} for t, (n, sc) in part["themes"].items()},
            "genres": {g: row(sc) for g, sc in part["genres"].items()},
        }
    return out


if __name__ == "__main__":
    if sys.argv[1] == "--write":  # refresh the shipped figures after a dictionary change
        VALIDITY.write_text(
            json.dumps(figures(Path(sys.argv[2])), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
    else:  # evaluate_paragraphs.py SHARED [DICTIONARY.toml|-] [FIRST_UID of a wave to score apart]
        given = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] != "-" else None
        main(Path(sys.argv[1]), Path(given) if given else None, sys.argv[3] if len(sys.argv) > 3 else None)
