"""Would a learned classifier find the paragraphs the rules miss? (measured, not shipped)

    PYTHONPATH=. .venv/bin/python tests/devset/learned_candidates.py ../shared/corpus

Trains one TF-IDF (jieba words and word pairs) logistic regression per theme on the tune
part's adjudicated labels and, on the never-tuned part, counts the paragraphs it proposes
that the rules did not hit (the candidates a scholar would be shown) and how many of them
carry the theme, at three score thresholds, beside the rules' F1 and the F1 of rules or
candidates together. docs/validity.md quotes the result: too few right candidates to ship.
"""

from __future__ import annotations

import sys
from pathlib import Path

import jieba
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, str(Path(__file__).parent))
from evaluate_paragraphs import THEMES, labelled, predict
from paragraph_units import paragraph


def _f1(hit: np.ndarray, gold: np.ndarray) -> float:
    tp = int((hit & gold).sum())
    return 2 * tp / max(1, 2 * tp + int((hit & ~gold).sum()) + int((~hit & gold).sum()))


def main(shared: Path) -> None:
    refs = labelled()
    rules = predict(shared, refs)
    words = [" ".join(jieba.lcut(paragraph(shared, r))) for r in refs]
    tune = np.array([r["split"] == "tune" for r in refs])
    x = TfidfVectorizer(
        token_pattern=r"(?u)\S+", ngram_range=(1, 2), min_df=2, sublinear_tf=True
    ).fit_transform(words)
    totals = {t: [0, 0] for t in (0.5, 0.7, 0.9)}
    for theme in THEMES:
        gold = np.array([theme in r["labels"] for r in refs])
        if gold[tune].sum() < 10:
            continue
        model = LogisticRegression(C=4, class_weight="balanced", max_iter=2000).fit(x[tune], gold[tune])
        score = model.predict_proba(x[~tune])[:, 1]
        hit, g = np.array([theme in p for p, t in zip(rules, tune, strict=True) if not t]), gold[~tune]
        for threshold in totals:
            cand = (score >= threshold) & ~hit
            totals[threshold][0] += int(cand.sum())
            totals[threshold][1] += int((cand & g).sum())
            print(
                f"{theme:20s} >= {threshold}: {int(cand.sum()):3d} candidates, {int((cand & g).sum()):3d} right;"
                f" {int((~hit & g).sum()):3d} gold the rules miss; F1 rules {_f1(hit, g):.2f},"
                f" rules or candidates {_f1(hit | (score >= threshold), g):.2f}"
            )
    for threshold, (n, right) in totals.items():
        print(f"all themes >= {threshold}: {n} candidates, {right} right")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
