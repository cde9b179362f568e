"""Agreement between coders per theme: percent agreement, Cohen's kappa, Krippendorff's alpha.

Kappa comes from scikit-learn (for more than two coders: the mean over pairs, as
Light's kappa), alpha from the ``krippendorff`` package (nominal level). Where every
code of a theme is the same value the statistic is undefined and reported as NaN.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd


def kappa(a: np.ndarray, b: np.ndarray) -> float:
    from sklearn.metrics import cohen_kappa_score

    if len(set(a.tolist()) | set(b.tolist())) < 2:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(cohen_kappa_score(a, b))


def alpha(matrix: np.ndarray) -> float:
    """Krippendorff's alpha (nominal) of a coders × units matrix of 0/1."""
    import krippendorff

    if matrix.shape[1] == 0 or len(np.unique(matrix)) < 2:
        return float("nan")
    return float(krippendorff.alpha(reliability_data=matrix.astype(float), level_of_measurement="nominal"))


def agreement(
    coders: dict[str, pd.DataFrame], themes: list[str], names: dict[str, str] | None = None
) -> pd.DataFrame:
    """One row per theme: units, coders, percent agreement, kappa, alpha."""
    cols = ["theme", "name", "units", "coders", "positive_share", "agreement", "kappa", "alpha"]
    names = names or {}
    coder_list = list(coders)
    rows = []
    for t in themes:
        m = np.vstack([coders[c][t].to_numpy() for c in coder_list]) if coder_list else np.zeros((0, 0))
        if len(coder_list) < 2:
            rows.append(
                [
                    t,
                    names.get(t, ""),
                    m.shape[1],
                    len(coder_list),
                    float(m.mean()) if m.size else np.nan,
                    np.nan,
                    np.nan,
                    np.nan,
                ]
            )
            continue
        pairs = list(itertools.combinations(range(len(coder_list)), 2))
        agree = float(np.mean([np.mean(m[i] == m[j]) for i, j in pairs]))
        k = float(np.mean([kappa(m[i], m[j]) for i, j in pairs]))
        rows.append([t, names.get(t, ""), m.shape[1], len(coder_list), float(m.mean()), agree, k, alpha(m)])
    return pd.DataFrame(rows, columns=cols)
