"""validate score: every figure against a hand computation, and the intervals' coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from govtext.errors import ConfigError
from govtext.validate.agreement import agreement, alpha, kappa
from govtext.validate.score import adjudicate, weighted_scores


def test_weighted_counts_and_metrics_by_hand() -> None:
    # 5 units, 2 themes; weights as from strata of sizes 10/2 and 3/3
    gold = np.array([[1, 0], [1, 1], [0, 1], [0, 0], [1, 0]])
    pred = np.array([[1, 1], [0, 1], [1, 1], [0, 0], [1, 0]])
    w = np.array([5.0, 5.0, 1.0, 1.0, 1.0])
    r = weighted_scores(gold, pred, w, ["a", "a", "b", "b", "b"], n_boot=200, seed=1)
    # theme 0: tp units 0,4 → 5+1; fp unit 2 → 1; fn unit 1 → 5
    # theme 1: tp units 1,2 → 5+1; fp unit 0 → 5; fn none
    assert r["tp"].tolist() == [6.0, 6.0, 12.0]
    assert r["fp"].tolist() == [1.0, 5.0, 6.0]
    assert r["fn"].tolist() == [5.0, 0.0, 5.0]
    assert r["precision"] == pytest.approx([6 / 7, 6 / 11, 12 / 18])
    assert r["recall"] == pytest.approx([6 / 11, 1.0, 12 / 17])
    assert r["f1"] == pytest.approx([12 / 18, 12 / 17, 24 / 35])
    for k in ("precision", "recall", "f1"):
        assert np.all(r[f"{k}_low"] <= r[k] + 1e-12) and np.all(r[k] <= r[f"{k}_high"] + 1e-12)


def test_unweighted_equals_plain_counts() -> None:
    gold = np.array([[1], [0], [1], [1]])
    pred = np.array([[1], [1], [0], [1]])
    r = weighted_scores(gold, pred, np.ones(4), ["s"] * 4, n_boot=100)
    assert (r["tp"][0], r["fp"][0], r["fn"][0]) == (2, 1, 1)
    assert r["precision"][0] == pytest.approx(2 / 3) and r["recall"][0] == pytest.approx(2 / 3)


def test_kappa_and_alpha_by_hand() -> None:
    a = np.array([1, 1, 0, 0, 1, 0])
    b = np.array([1, 0, 0, 0, 1, 1])
    # observed agreement 4/6, chance 0.5·0.5 + 0.5·0.5 = 0.5 → κ = (2/3 − 1/2)/(1/2) = 1/3
    assert kappa(a, b) == pytest.approx(1 / 3)
    # coincidences: o11 = 4, o00 = 4, o01 = o10 = 2, n = 12, n0 = n1 = 6
    # α = 1 − (4/12) / (2·6·6 / (12·11)) = 1 − 132/216 = 7/18
    assert alpha(np.vstack([a, b])) == pytest.approx(7 / 18)
    assert np.isnan(kappa(np.zeros(4, int), np.zeros(4, int)))
    assert np.isnan(alpha(np.zeros((2, 4), int)))
    c = {"c1": pd.DataFrame({"t": a}), "c2": pd.DataFrame({"t": b})}
    row = agreement(c, ["t"]).iloc[0]
    assert row["agreement"] == pytest.approx(4 / 6) and row["kappa"] == pytest.approx(1 / 3)
    assert row["alpha"] == pytest.approx(7 / 18) and row["positive_share"] == pytest.approx(0.5)


def test_adjudication_rules() -> None:
    c1 = pd.DataFrame({"t": [1, 1, 0, 0]})
    c2 = pd.DataFrame({"t": [1, 0, 1, 0]})
    coders = {"coder1": c1, "coder2": c2}
    assert adjudicate(coders, "coder1")["t"].tolist() == [1, 1, 0, 0]
    assert adjudicate(coders, "majority")["t"].tolist() == [1, 1, 1, 0]  # two coders: either
    assert adjudicate(coders, "both")["t"].tolist() == [1, 0, 0, 0]
    three = {**coders, "coder3": pd.DataFrame({"t": [0, 0, 1, 1]})}
    assert adjudicate(three, "majority")["t"].tolist() == [1, 0, 1, 0]  # two of three
    with pytest.raises(ConfigError, match="gold must be one of"):
        adjudicate(coders, "coder9")


def test_interval_coverage_with_known_precision() -> None:
    # Two strata, every unit predicted positive: stratum A (N=9000) is right 90% of the
    # time, B (N=1000) 50%; 100 units drawn from each, so B is oversampled 9×.
    # True precision of the corpus = (9000·0.9 + 1000·0.5) / 10000 = 0.86; an
    # unweighted estimate would aim at 0.70 and miss.
    rng = np.random.default_rng(7)
    true_p = 0.86
    strata = ["A"] * 100 + ["B"] * 100
    w = np.array([90.0] * 100 + [10.0] * 100)
    pred = np.ones((200, 1), int)
    reps, covered, estimates = 300, 0, []
    for _ in range(reps):
        gold = np.concatenate([rng.random(100) < 0.9, rng.random(100) < 0.5]).astype(int)[:, None]
        r = weighted_scores(gold, pred, w, strata, n_boot=300, seed=int(rng.integers(1 << 31)))
        covered += r["precision_low"][0] <= true_p <= r["precision_high"][0]
        estimates.append(r["precision"][0])
    assert abs(np.mean(estimates) - true_p) < 0.01
    assert 0.90 <= covered / reps <= 0.99
