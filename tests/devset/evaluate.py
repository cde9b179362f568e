"""Score a Matcher against the labelled development set (used by the test and by hand).

    PYTHONPATH=. python tests/devset/evaluate.py ../shared/corpus      # prints the table

The matcher sees the whole paragraph (so clause and sentence context is real) and a
sentence carries a theme when a counted hit starts inside it. The naive baseline
says a sentence carries a theme when it contains the theme's Chinese name.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from units import sha1, unit

from govtext.documents import Document
from govtext.themes import Matcher, ThemeDictionary, load_dictionary

LABELS = Path(__file__).parent / "labels.jsonl"  # tuning set: rules were adjusted against it
HELDOUT = Path(__file__).parent / "heldout.jsonl"  # labelled after tuning, never tuned against


@dataclass(frozen=True)
class Prf:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def load_refs(path: Path = LABELS) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def predict(shared: Path, refs: list[dict], matcher: Matcher) -> list[set[str]]:
    out = []
    for ref in refs:
        par, sent, start = unit(shared, ref)
        if sha1(sent) != ref["sha1"]:
            raise AssertionError(
                f"devset reference changed: {ref['file']} paragraph {ref['paragraph']} sentence {ref['sentence']}"
            )
        hits = matcher.transform(Document("dev", par))
        out.append({h.theme for h in hits if start <= h.start < start + len(sent)})
    return out


def baseline(shared: Path, refs: list[dict], dictionary: ThemeDictionary) -> list[set[str]]:
    names = dictionary.theme_names()
    return [{tid for tid, name in names.items() if name in unit(shared, ref)[1]} for ref in refs]


def score(gold: list[set[str]], pred: list[set[str]], themes: list[str]) -> dict[str, Prf]:
    out = {}
    for t in themes:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if t in g and t in p)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if t not in g and t in p)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if t in g and t not in p)
        out[t] = Prf(tp, fp, fn)
    out["micro"] = Prf(
        sum(v.tp for v in out.values()), sum(v.fp for v in out.values()), sum(v.fn for v in out.values())
    )
    return out


def macro(scores: dict[str, Prf]) -> tuple[float, float, float]:
    per = [v for k, v in scores.items() if k != "micro"]
    return (
        sum(v.precision for v in per) / len(per),
        sum(v.recall for v in per) / len(per),
        sum(v.f1 for v in per) / len(per),
    )


def evaluate(
    shared: Path, dictionary: ThemeDictionary | None = None, labels: Path = LABELS
) -> tuple[dict[str, Prf], dict[str, Prf], list[dict], list[set[str]]]:
    dictionary = dictionary or load_dictionary()
    refs = load_refs(labels)
    gold = [set(r["labels"]) for r in refs]
    themes = list(dictionary.themes)
    pred = predict(shared, refs, Matcher(dictionary=dictionary).fit())
    base = baseline(shared, refs, dictionary)
    return score(gold, pred, themes), score(gold, base, themes), refs, pred


def table(rules: dict[str, Prf], base: dict[str, Prf]) -> str:
    lines = [
        f"{'theme':20} {'n':>3} | {'P':>5} {'R':>5} {'F1':>5} | {'base P':>6} {'base R':>6} {'base F1':>7}"
    ]
    for t, v in rules.items():
        b = base[t]
        lines.append(
            f"{t:20} {v.tp + v.fn:>3} | {v.precision:5.2f} {v.recall:5.2f} {v.f1:5.2f} | {b.precision:6.2f} {b.recall:6.2f} {b.f1:7.2f}"
        )
    mp, mr, mf = macro(rules)
    bp, br, bf = macro(base)
    lines.append(f"{'macro':20} {'':>3} | {mp:5.2f} {mr:5.2f} {mf:5.2f} | {bp:6.2f} {br:6.2f} {bf:7.2f}")
    return "\n".join(lines)


if __name__ == "__main__":
    shared = Path(sys.argv[1])
    labels = HELDOUT if "--heldout" in sys.argv else LABELS
    rules, base, refs, pred = evaluate(shared, labels=labels)
    print(table(rules, base))
    if "-v" in sys.argv:
        for ref, p in zip(refs, pred, strict=True):
            g = set(ref["labels"])
            if g != p:
                sent = unit(shared, ref)[1]
                print(f"{ref['group']:10} missed={sorted(g - p)} false={sorted(p - g)} :: {sent[:160]}")
