"""A fitted TopicModel on disk: model.json (parameters and what the fit found), arrays.npz
(topic × term and unit × topic weights) and the native gensim or scikit-learn model.

``TopicModel.save`` and ``TopicModel.load`` call these; the estimator is passed in (it is
not imported here, so this module sits below ``model`` with no cycle).
"""

from __future__ import annotations

import json
import math
import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from govtext.errors import InputError
from govtext.topics.quality import TopicQuality

FORMAT_VERSION = 2  # 2: NMF kept as (TfidfTransformer, NMF); n_sample_


def jsonable(obj: Any) -> Any:
    """Plain JSON types (numpy scalars, tuples and NaN made safe)."""
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def save_model(model: Any, path: Path) -> Path:
    """Write fitted ``model`` (a TopicModel) into directory ``path`` (created)."""
    import numpy as np

    path.mkdir(parents=True, exist_ok=True)
    q = model.quality_
    fitted = {
        "k_": model.k_,
        "vocabulary_": list(model.vocabulary_),
        "unit_ids_": list(model.unit_ids_),
        "doc_ids_": list(model.doc_ids_),
        "units_settings_": model.units_settings_,
        "units_hash_": model.units_hash_,
        "n_sample_": model.n_sample_,
        "seed_topics_": list(model.seed_topics_),
        "seeds_used_": {k: list(v) for k, v in model.seeds_used_.items()},
        "missing_seeds_": {k: list(v) for k, v in model.missing_seeds_.items()},
        "dropped_topics_": list(model.dropped_topics_),
        "theme_terms_": {k: list(v) for k, v in model.theme_terms_.items()},
        "theme_names_": model.theme_names_,
        "fit_seconds_": model.fit_seconds_,
        "total_seconds_": model.total_seconds_,
        "quality_": {
            "npmi": q.npmi,
            "c_v": q.c_v,
            "diversity": q.diversity,
            "npmi_per_topic": list(q.npmi_per_topic),
            "c_v_per_topic": list(q.c_v_per_topic),
        },
        "k_curve_": model.k_curve_.to_dict(orient="list"),
    }
    state = {
        "format": FORMAT_VERSION,
        "params": jsonable({**model.get_params(), "k_range": list(model.k_range)}),
        "seeds": {k: list(v) for k, v in model.seeds.items()} if model.seeds is not None else None,
        "theme_names_param": dict(model.theme_names) if model.theme_names else None,
        "fitted": jsonable(fitted),
    }
    (path / "model.json").write_text(json.dumps(state, ensure_ascii=False, indent=1), encoding="utf-8")
    np.savez_compressed(path / "arrays.npz", topic_term=model.topic_term_, doc_topic=model.doc_topic_)
    if model.method == "nmf":
        with open(path / "nmf.pkl", "wb") as f:
            pickle.dump(model.model_, f)
    else:
        model.model_.save(str(path / "lda.gensim"))
    return path


def read_state(path: Path) -> dict[str, Any]:
    """model.json of a saved model, its format checked; ``params`` ready for the constructor."""
    meta = path / "model.json"
    if not meta.is_file():
        raise InputError(f"TopicModel.load: {meta} not found; give the directory TopicModel.save wrote")
    state: dict[str, Any] = json.loads(meta.read_text(encoding="utf-8"))
    if state.get("format") != FORMAT_VERSION:
        raise InputError(
            f"TopicModel.load: {meta} has format {state.get('format')!r}, expected {FORMAT_VERSION}"
        )
    state["params"] = {**state["params"], "k_range": tuple(state["params"]["k_range"])}
    return state


def restore_fitted(model: Any, fitted: Mapping[str, Any], path: Path) -> None:
    """Set the learned state of ``model`` (built from the saved parameters) from ``fitted``
    and the arrays and native model under ``path``. The native model is unpickled."""
    import numpy as np
    import pandas as pd
    from gensim.corpora import Dictionary

    arrays = np.load(path / "arrays.npz")
    model.k_ = int(fitted["k_"])
    model.vocabulary_ = tuple(fitted["vocabulary_"])
    model.unit_ids_ = tuple(fitted["unit_ids_"])
    model.doc_ids_ = tuple(fitted["doc_ids_"])
    model.units_settings_ = fitted["units_settings_"]
    model.units_hash_ = fitted["units_hash_"]
    model.n_sample_ = int(fitted["n_sample_"])
    model.seed_topics_ = tuple(fitted["seed_topics_"])
    model.n_seeded_ = len(model.seed_topics_)
    model.n_free_ = model.k_ - model.n_seeded_
    model.seeds_used_ = {k: tuple(v) for k, v in fitted["seeds_used_"].items()}
    model.missing_seeds_ = {k: tuple(v) for k, v in fitted["missing_seeds_"].items()}
    model.dropped_topics_ = tuple(fitted["dropped_topics_"])
    model.theme_terms_ = {k: tuple(v) for k, v in fitted["theme_terms_"].items()}
    model.theme_names_ = dict(fitted["theme_names_"])
    model.fit_seconds_ = float(fitted["fit_seconds_"])
    model.total_seconds_ = float(fitted["total_seconds_"])
    q = fitted["quality_"]
    model.quality_ = TopicQuality(
        npmi=q["npmi"],
        c_v=q["c_v"],
        diversity=q["diversity"],
        npmi_per_topic=tuple(q["npmi_per_topic"]),
        c_v_per_topic=tuple(q["c_v_per_topic"]),
    )
    model.k_curve_ = pd.DataFrame(fitted["k_curve_"])
    model.topic_term_ = arrays["topic_term"]
    model.doc_topic_ = arrays["doc_topic"]
    model.dictionary_ = Dictionary([list(model.vocabulary_)])
    if model.method == "nmf":
        with open(path / "nmf.pkl", "rb") as f:
            model.model_ = pickle.load(f)
    else:
        from gensim.models import LdaModel

        model.model_ = LdaModel.load(str(path / "lda.gensim"))


class NativeKeptApart:
    """Pickles a TopicModel with its native model (``model_``) and gensim dictionary
    (``dictionary_``) as bytes of their own, unpickled on first use."""

    # gensim/scikit-learn objects: a model loaded from the store for its tables never
    # needs them, and importing gensim to unpickle them takes a second.
    _LAZY = ("model_", "dictionary_")

    def _native(self, name: str) -> Any:
        lazy = self.__dict__.get("_lazy")
        if lazy and name in lazy:
            import pickle

            self.__dict__["_" + name] = pickle.loads(lazy.pop(name))
        try:
            return self.__dict__["_" + name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no {name!r}: not fitted") from None

    def _set_native(self, name: str, value: Any) -> None:
        (self.__dict__.get("_lazy") or {}).pop(name, None)
        self.__dict__["_" + name] = value

    model_ = property(lambda self: self._native("model_"), lambda self, v: self._set_native("model_", v))
    dictionary_ = property(
        lambda self: self._native("dictionary_"), lambda self, v: self._set_native("dictionary_", v)
    )

    def __getstate__(self) -> dict[str, Any]:
        import pickle

        state = self.__dict__.copy()
        lazy = dict(state.pop("_lazy", None) or {})
        for name in self._LAZY:
            if "_" + name in state:
                lazy[name] = pickle.dumps(state.pop("_" + name), protocol=pickle.HIGHEST_PROTOCOL)
        state["_lazy"] = lazy
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name in self._LAZY:  # pickled before the native model was kept apart
            if name in state:
                state["_" + name] = state.pop(name)
        self.__dict__.update(state)
