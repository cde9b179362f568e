"""The statistics of compare against hand computations and textbook values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2, chi2_contingency, false_discovery_control

from govtext.compare import keyness, poisson_interval, wilson_interval
from govtext.compare.stats import adjust_p
from govtext.errors import InputError


def test_compare_keyness_matches_hand_computed_g2() -> None:
    # 2×2 table: the term 10 times in a 1,000-token target, 20 times in a 4,000-token reference.
    target = {"治理": 10, "其他": 990}
    reference = {"治理": 20, "其他": 3980}
    n = 5000
    e11, e12 = 1000 * 30 / n, 4000 * 30 / n  # 6, 24
    e21, e22 = 1000 * 4970 / n, 4000 * 4970 / n  # 994, 3976
    g2 = 2 * (
        10 * math.log(10 / e11)
        + 20 * math.log(20 / e12)
        + 990 * math.log(990 / e21)
        + 3980 * math.log(3980 / e22)
    )
    k = keyness(target, reference, min_count=1, correction="none").set_index("term")
    row = k.loc["治理"]
    assert row["G2"] == pytest.approx(g2, rel=1e-12)
    # On paper: 2 × (5.1083 − 3.6464 − 3.9920 + 4.0020) = 2 × 1.4719 = 2.9438.
    assert row["G2"] == pytest.approx(2.9438, abs=1e-3)
    assert row["p"] == pytest.approx(chi2.sf(g2, 1), rel=1e-12)
    # Relative frequencies 1% and 0.5%: twice as frequent, log ratio 1.
    assert row["log_ratio"] == pytest.approx(1.0)
    assert row["direction"] == "over"
    assert (row["count_target"], row["count_reference"]) == (10, 20)
    assert row["per_10k_target"] == pytest.approx(100.0)
    # And scipy's G-test of the same table agrees.
    stat, _, _, _ = chi2_contingency([[10, 20], [990, 3980]], correction=False, lambda_="log-likelihood")
    assert row["G2"] == pytest.approx(stat, rel=1e-9)


def test_compare_keyness_zero_count_and_direction() -> None:
    k = keyness({"甲": 0, "乙": 100}, {"甲": 8, "乙": 92}, min_count=1, correction="none").set_index("term")
    assert k.loc["甲", "direction"] == "under"
    # A zero count is taken as 0.5 for the log ratio (Hardie), so it stays finite.
    assert k.loc["甲", "log_ratio"] == pytest.approx(math.log2((0.5 / 100) / (8 / 100)))
    assert np.isfinite(k["G2"]).all() and (k["G2"] >= 0).all()


def test_compare_keyness_min_count_and_sorting() -> None:
    target = {"a": 50, "b": 3, "c": 10, "d": 937}
    reference = {"a": 10, "b": 1, "c": 10, "d": 979}
    k = keyness(target, reference, min_count=5)
    assert "b" not in set(k["term"])  # 3 + 1 < 5: not tested, not counted in the correction
    assert list(k["G2"]) == sorted(k["G2"], reverse=True)
    assert k.iloc[0]["term"] == "a"
    assert (k["p_adj"] >= k["p"] - 1e-15).all()


def test_compare_adjust_bh_matches_scipy() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 0.2, size=40)
    assert adjust_p(p, "bh") == pytest.approx(false_discovery_control(p, method="bh"))


def test_compare_adjust_holm_by_hand() -> None:
    # Sorted 0.01, 0.03, 0.04 times 3, 2, 1 = 0.03, 0.06, 0.04 → running max 0.03, 0.06, 0.06.
    assert list(adjust_p(np.array([0.01, 0.04, 0.03]), "holm")) == pytest.approx([0.03, 0.06, 0.06])
    with pytest.raises(InputError, match="'correction'"):
        adjust_p(np.array([0.5]), "bonferroni")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("count", "low", "high"),
    [(0, 0.0, 3.6889), (1, 0.0253, 5.5716), (10, 4.7954, 18.3904)],  # Garwood table values
)
def test_compare_poisson_interval_textbook(count: int, low: float, high: float) -> None:
    lo, hi = poisson_interval([count])
    assert lo[0] == pytest.approx(low, abs=1e-3)
    assert hi[0] == pytest.approx(high, abs=1e-3)


@pytest.mark.parametrize(
    ("x", "n", "low", "high"), [(0, 10, 0.0, 0.2775), (5, 10, 0.2366, 0.7634), (10, 10, 0.7225, 1.0)]
)
def test_compare_wilson_interval_textbook(x: int, n: int, low: float, high: float) -> None:
    lo, hi = wilson_interval([x], [n])
    assert lo[0] == pytest.approx(low, abs=1e-4)
    assert hi[0] == pytest.approx(high, abs=1e-4)


def test_compare_wilson_interval_empty_group_is_nan() -> None:
    lo, hi = wilson_interval([0], [0])
    assert math.isnan(lo[0]) and math.isnan(hi[0])


def test_compare_keyness_accepts_series() -> None:
    a = keyness(pd.Series({"x": 30, "y": 70}), pd.Series({"x": 10, "y": 90}), min_count=1)
    b = keyness({"x": 30, "y": 70}, {"x": 10, "y": 90}, min_count=1)
    pd.testing.assert_frame_equal(a, b)
