"""Intervals and tests: Garwood (Poisson) and Wilson intervals, p-value adjustment, G²."""

from __future__ import annotations

from typing import Any, Literal

from govtext.errors import InputError

Correction = Literal["bh", "holm", "none"]


def poisson_interval(count: Any, confidence: float = 0.95) -> tuple[Any, Any]:
    """Exact (Garwood) interval for a Poisson mean given observed ``count`` (array-like).

    ``low = χ²(α/2; 2k)/2`` (0 when k = 0) and ``high = χ²(1-α/2; 2k+2)/2``.
    """
    import numpy as np
    from scipy.special import gammaincinv

    # χ²(q; 2k)/2 is the q-quantile of Gamma(k, 1): gammaincinv(k, q).
    k = np.asarray(count, dtype=float)
    alpha = 1.0 - confidence
    low = np.where(k > 0, gammaincinv(np.maximum(k, 1e-300), alpha / 2), 0.0)
    high = gammaincinv(k + 1, 1 - alpha / 2)
    return low, high


def wilson_interval(successes: Any, n: Any, confidence: float = 0.95) -> tuple[Any, Any]:
    """Wilson score interval for a binomial proportion; NaN where ``n`` is 0."""
    import numpy as np
    from scipy.special import ndtri

    x = np.asarray(successes, dtype=float)
    n_ = np.asarray(n, dtype=float)
    z = ndtri(1 - (1 - confidence) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n_
        denom = 1 + z**2 / n_
        centre = (p + z**2 / (2 * n_)) / denom
        half = z * np.sqrt(p * (1 - p) / n_ + z**2 / (4 * n_**2)) / denom
        # At 0 and n the bounds are exactly 0 and 1; say so instead of leaving rounding dust.
        low = np.where(n_ > 0, np.where(x <= 0, 0.0, np.clip(centre - half, 0, 1)), np.nan)
        high = np.where(n_ > 0, np.where(x >= n_, 1.0, np.clip(centre + half, 0, 1)), np.nan)
    return low, high


def adjust_p(p: Any, method: Correction) -> Any:
    """Adjusted p-values: Benjamini–Hochberg (false discovery rate) or Holm (family-wise)."""
    import numpy as np

    p = np.asarray(p, dtype=float)
    m = p.size
    if m == 0 or method == "none":
        return p.copy()
    order = np.argsort(p, kind="mergesort")
    ranked = p[order]
    if method == "bh":
        adj = ranked * m / np.arange(1, m + 1)
        adj = np.minimum.accumulate(adj[::-1])[::-1]
    elif method == "holm":
        adj = ranked * (m - np.arange(m))
        adj = np.maximum.accumulate(adj)
    else:
        raise InputError(
            f"The 'correction' parameter must be one of {{'bh', 'holm', 'none'}}. Got {method!r} instead."
        )
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return out


def g_squared(a: Any, b: Any, n1: float, n2: float) -> Any:
    """G² of the 2×2 table [[a, b], [n1-a, n2-b]] (0·ln 0 taken as 0)."""
    import numpy as np

    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    n = n1 + n2
    k = a + b
    obs = (a, b, n1 - a, n2 - b)
    exp = (n1 * k / n, n2 * k / n, n1 * (n - k) / n, n2 * (n - k) / n)
    total = np.zeros_like(a)
    for o, e in zip(obs, exp, strict=True):
        with np.errstate(divide="ignore", invalid="ignore"):
            total += np.where(o > 0, o * np.log(o / e), 0.0)
    # Rounding can leave -1e-15 where observed equals expected; G² is never negative.
    return np.maximum(2 * total, 0.0)
