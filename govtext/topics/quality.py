"""Topic quality: coherence (NPMI, c_v) on the units' own tokens, diversity, and choosing K.

Coherence is gensim's ``CoherenceModel`` over the same token lists the model was fitted
on, with its standard sliding windows (10 tokens for NPMI, 110 for c_v). Diversity is
the share of distinct words among the top terms of all topics (Dieng, Ruiz and Blei
2020, "Topic Modeling in Embedding Spaces").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from govtext.errors import ConfigError

K_RULES: tuple[str, ...] = ("quality", "npmi", "c_v")


@dataclass(frozen=True)
class TopicQuality:
    """Mean and per-topic coherence of one fitted model, and its diversity."""

    npmi: float
    c_v: float
    diversity: float
    npmi_per_topic: tuple[float, ...]
    c_v_per_topic: tuple[float, ...]

    @property
    def quality(self) -> float:
        """NPMI × diversity, the topic-quality score of Dieng et al. (2020)."""
        return self.npmi * self.diversity


def diversity(top_terms: Sequence[Sequence[str]]) -> float:
    """Distinct words / all words among the topics' top terms (1.0: no topic repeats another's words)."""
    words = [w for terms in top_terms for w in terms]
    return len(set(words)) / len(words) if words else 0.0


def coherence(
    top_terms: Sequence[Sequence[str]],
    token_lists: Sequence[Sequence[str]],
    dictionary: Any,
    *,
    measures: Sequence[str] = ("c_npmi", "c_v"),
    diversity_terms: Sequence[Sequence[str]] | None = None,
) -> TopicQuality:
    """Score topics given as lists of top terms against ``token_lists``.

    ``dictionary`` is the gensim Dictionary the model used. ``diversity_terms`` (often a
    longer top list) defaults to ``top_terms``. A measure left out of ``measures`` is NaN.
    """
    from gensim.models.coherencemodel import CoherenceModel

    texts = [list(t) for t in token_lists]
    topics = [list(t) for t in top_terms]
    scores: dict[str, list[float]] = {}
    for measure in ("c_npmi", "c_v"):
        if measure not in measures or not topics:
            scores[measure] = [float("nan")] * len(topics)
            continue
        # processes=1: the machine is shared and the corpora are small; parallel
        # accumulation would also make results depend on chunking.
        cm = CoherenceModel(
            topics=topics,
            texts=texts,
            dictionary=dictionary,
            coherence=measure,
            topn=max(len(t) for t in topics),
            processes=1,
        )
        scores[measure] = [float(x) for x in cm.get_coherence_per_topic()]

    def mean(xs: list[float]) -> float:
        return sum(xs) / len(xs) if xs else float("nan")

    return TopicQuality(
        npmi=mean(scores["c_npmi"]),
        c_v=mean(scores["c_v"]),
        diversity=diversity(diversity_terms if diversity_terms is not None else top_terms),
        npmi_per_topic=tuple(scores["c_npmi"]),
        c_v_per_topic=tuple(scores["c_v"]),
    )


def choose_k(curve: Sequence[tuple[int, TopicQuality]], rule: str = "quality") -> int:
    """Pick K from (k, quality) pairs by a stated rule; ties go to the smaller K.

    - ``"quality"`` (default): the highest NPMI × diversity (Dieng et al. 2020), which
      rewards topics that are coherent *and* distinct from each other; if no K has a
      positive NPMI the product is meaningless and the rule falls back to ``"npmi"``.
    - ``"npmi"``: the highest mean NPMI.
    - ``"c_v"``: the highest mean c_v.
    """
    if rule not in K_RULES:
        raise ConfigError(f"The 'k_rule' parameter of TopicModel must be one of {K_RULES}. Got {rule!r}.")
    if not curve:
        raise ConfigError("choose_k: no candidate K was fitted; give a non-empty k_range")

    def key(item: tuple[int, TopicQuality]) -> tuple[float, int]:
        k, q = item
        if rule == "quality" and any(qq.npmi > 0 for _, qq in curve):
            score = q.quality
        elif rule == "c_v":
            score = q.c_v
        else:
            score = q.npmi
        # NaN never wins; rounding keeps float noise from breaking a tie the wrong way.
        return (round(score, 10) if score == score else float("-inf"), -k)

    return max(curve, key=key)[0]
