"""Score a dictionary against the coders' codes, with weighted bootstrap intervals.

Gold standard (``gold``): ``coder1`` takes the first coder's codes; ``majority`` marks
a theme when at least half the coders mark it (ties count as 1, so with two coders a
unit is gold when EITHER coder marks it); ``both`` marks it only when EVERY coder does
(with two coders: both).

Counts are weighted by the sampling weights (N_h/n_h), so precision, recall and F1
estimate the figures for the whole corpus, not for the oversampled sample:
TP = Σ w·[pred ∧ gold], FP = Σ w·[pred ∧ ¬gold], FN = Σ w·[¬pred ∧ gold];
P = TP/(TP+FP), R = TP/(TP+FN), F1 = 2TP/(2TP+FP+FN); micro sums the counts over
themes. The 95% intervals are percentile bootstrap intervals: units are resampled
with replacement within their strata (the sample's design), the weighted counts
recomputed for each resample.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from govtext.errors import ConfigError
from govtext.themes import Matcher, ThemeDictionary, load_dictionary
from govtext.validate.agreement import agreement
from govtext.validate.sample import predict
from govtext.validate.workbook import Codes, read_codes

GOLD = ("coder1", "majority", "both")
SCORE_COLUMNS = [
    "theme", "name", "gold", "predicted", "tp", "fp", "fn",
    "precision", "precision_low", "precision_high",
    "recall", "recall_low", "recall_high",
    "f1", "f1_low", "f1_high",
]  # fmt: skip


def adjudicate(coders: dict[str, pd.DataFrame], rule: str = "majority") -> pd.DataFrame:
    """The gold codes (0/1 per unit and theme) by ``rule`` (see the module docstring)."""
    if rule not in GOLD:
        raise ConfigError(f"gold must be one of {', '.join(GOLD)}; got {rule!r}")
    frames = list(coders.values())
    if not frames:
        raise ConfigError("no coder's codes to adjudicate")
    if rule == "coder1":
        return frames[0].copy()
    total = sum(f for f in frames)
    assert isinstance(total, pd.DataFrame)
    k = len(frames)
    if rule == "majority":
        return (total * 2 >= k).astype(int)
    return (total == k).astype(int)


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1), np.nan)


def metrics(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall and F1 from (weighted) counts; NaN where undefined."""
    return _ratio(tp, tp + fp), _ratio(tp, tp + fn), _ratio(2 * tp, 2 * tp + fp + fn)


def weighted_scores(
    gold: np.ndarray,
    pred: np.ndarray,
    weights: np.ndarray,
    strata: Sequence[str],
    *,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, np.ndarray]:
    """Counts, metrics and bootstrap intervals for units × themes 0/1 arrays.

    Returns arrays over themes plus one last entry for micro (counts summed).
    """
    gold = np.asarray(gold, dtype=bool)
    pred = np.asarray(pred, dtype=bool)
    w = np.asarray(weights, dtype=float)[:, None]
    ind = {"tp": (pred & gold) * w, "fp": (pred & ~gold) * w, "fn": (~pred & gold) * w}
    # one more column: micro, the sums over themes
    ind = {k: np.hstack([v, v.sum(axis=1, keepdims=True)]) for k, v in ind.items()}
    counts = {k: v.sum(axis=0) for k, v in ind.items()}
    p, r, f = metrics(counts["tp"], counts["fp"], counts["fn"])
    out: dict[str, np.ndarray] = {**counts, "precision": p, "recall": r, "f1": f}
    n = gold.shape[0]
    rng = np.random.default_rng(seed)
    mult = np.zeros((n_boot, n))
    strata_arr = np.asarray(list(strata))
    for s in np.unique(strata_arr):
        idx = np.flatnonzero(strata_arr == s)
        draws = rng.multinomial(len(idx), np.full(len(idx), 1 / len(idx)), size=n_boot)
        mult[:, idx] = draws
    bc = {k: mult @ v for k, v in ind.items()}  # n_boot × (themes + 1)
    bp, br, bf = metrics(bc["tp"], bc["fp"], bc["fn"])
    lo, hi = 100 * (1 - level) / 2, 100 * (1 + level) / 2
    for name, arr in (("precision", bp), ("recall", br), ("f1", bf)):
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                out[f"{name}_low"] = np.nanpercentile(arr, lo, axis=0)
                out[f"{name}_high"] = np.nanpercentile(arr, hi, axis=0)
    return out


@dataclass
class Scores:
    """What ``score`` found: agreement and scores per theme, each unit's verdict, and the
    false positives and negatives with their sentences."""

    scores: pd.DataFrame
    agreement: pd.DataFrame
    units: pd.DataFrame
    errors: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        def records(df: pd.DataFrame) -> list[dict[str, Any]]:
            return json.loads(df.to_json(orient="records", force_ascii=False))

        return {
            "meta": self.meta,
            "scores": records(self.scores),
            "agreement": records(self.agreement),
            "errors": records(self.errors),
        }

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> Scores:
        from govtext.errors import InputError

        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
            return cls(
                scores=pd.DataFrame(raw["scores"]),
                agreement=pd.DataFrame(raw["agreement"]),
                units=pd.DataFrame(),
                errors=pd.DataFrame(raw["errors"]),
                meta=raw["meta"],
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(
                f"scores file {str(path)!r} cannot be read ({exc}); give the scores.json of validate score"
            ) from None


def score_codes(
    codes: Codes,
    dictionary: ThemeDictionary | None = None,
    *,
    gold: str = "majority",
    n_boot: int = 2000,
    seed: int = 0,
) -> Scores:
    """Agreement, adjudication and the dictionary's scores on checked codes."""
    d = dictionary or load_dictionary()
    themes = codes.themes
    names = {**{t: t for t in themes}, **d.theme_names()}
    agree = agreement(codes.coders, themes, names)
    g = adjudicate(codes.coders, gold)
    units = codes.units.set_index("unit_id")
    # re-tag with the given dictionary: its themes that the coders coded are scored
    scored = [t for t in themes if t in d.themes]
    matcher = Matcher(dictionary=d, themes=scored or None).fit()
    hits = predict(matcher, list(units.index), [str(t) for t in units["text"]])
    pred = np.array([[any(h.theme == t for h in hs) for t in scored] for hs in hits], dtype=bool).reshape(
        len(units), len(scored)
    )
    gold_arr = (
        g.loc[units.index, scored].to_numpy().astype(bool) if scored else np.zeros((len(units), 0), bool)
    )
    res = weighted_scores(
        gold_arr, pred, units["weight"].to_numpy(), list(units["stratum"]), n_boot=n_boot, seed=seed
    )
    w = units["weight"].to_numpy()[:, None]
    n_gold = [*list((gold_arr * w).sum(axis=0)), float((gold_arr * w).sum())]
    n_pred = [*list((pred * w).sum(axis=0)), float((pred * w).sum())]
    rows = []
    for i, t in enumerate([*scored, "micro"]):
        rows.append(
            [t, names.get(t, "") if t != "micro" else "", n_gold[i], n_pred[i]]
            + [float(res[k][i]) for k in SCORE_COLUMNS[4:]]
        )
    table = pd.DataFrame(rows, columns=SCORE_COLUMNS)
    unit_rows, err_rows = _per_unit(units, scored, gold_arr, pred, hits, names)
    errors = pd.DataFrame(
        err_rows, columns=["unit_id", "doc_id", "theme", "name", "kind", "terms", "sentence", "weight"]
    )
    meta = {
        "workbook": codes.path,
        "sample_dictionary_hash": codes.meta.get("dictionary_hash", ""),
        "dictionary_hash": d.hash,
        "dictionary": [str(p) for p in d.source_paths],
        "gold": gold,
        "coders": list(codes.coders),
        "units": len(units),
        "unit": codes.meta.get("unit", ""),
        "population": codes.meta.get("population", ""),
        "bootstrap": n_boot,
        "seed": seed,
        "not_scored": [t for t in themes if t not in d.themes],
    }
    return Scores(scores=table, agreement=agree, units=pd.DataFrame(unit_rows), errors=errors, meta=meta)


def _per_unit(
    units: pd.DataFrame,
    scored: list[str],
    gold_arr: np.ndarray,
    pred: np.ndarray,
    hits: list[Any],
    names: dict[str, str],
) -> tuple[list[dict[str, Any]], list[list[Any]]]:
    """Per unit: its gold and predicted themes, and one error row per theme the
    dictionary got wrong there (with the terms and sentences of a false positive)."""
    err_rows: list[list[Any]] = []
    unit_rows: list[dict[str, Any]] = []
    for k, (uid, u) in enumerate(units.iterrows()):
        unit_rows.append(
            {
                "unit_id": uid,
                "doc_id": u["doc_id"],
                "weight": float(u["weight"]),
                "gold": [t for j, t in enumerate(scored) if gold_arr[k, j]],
                "predicted": [t for j, t in enumerate(scored) if pred[k, j]],
            }
        )
        for j, t in enumerate(scored):
            if pred[k, j] and not gold_arr[k, j]:
                sents = dict.fromkeys(h.sentence for h in hits[k] if h.theme == t)
                terms = dict.fromkeys(h.term for h in hits[k] if h.theme == t)
                err_rows.append(
                    [
                        uid,
                        u["doc_id"],
                        t,
                        names.get(t, ""),
                        "false_positive",
                        "、".join(terms),
                        " … ".join(sents),
                        float(u["weight"]),
                    ]
                )
            elif gold_arr[k, j] and not pred[k, j]:
                err_rows.append(
                    [
                        uid,
                        u["doc_id"],
                        t,
                        names.get(t, ""),
                        "false_negative",
                        "",
                        str(u["text"]),
                        float(u["weight"]),
                    ]
                )
    return unit_rows, err_rows


def score(
    workbook: str | Path,
    *,
    csv: Sequence[str | Path] = (),
    dictionary: str | Path | None = None,
    extra: Sequence[str | Path] = (),
    gold: str = "majority",
    n_boot: int = 2000,
    seed: int = 0,
    out: str | Path | None = None,
) -> Scores:
    """Read and check ``workbook`` (plus coder CSVs), score ``dictionary`` against the
    adjudicated codes, and write ``out`` (scores.json) when given."""
    if gold not in GOLD:
        raise ConfigError(f"gold must be one of {', '.join(GOLD)}; got {gold!r}")
    codes = read_codes(workbook, csv)
    d = load_dictionary(dictionary, extra=extra)
    result = score_codes(codes, d, gold=gold, n_boot=n_boot, seed=seed)
    if out is not None:
        result.save(out)
    return result
