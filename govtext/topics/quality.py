"""Topic quality: coherence (NPMI, c_v) on the units' own tokens, diversity, and choosing K.

``unit_coherence`` (what TopicModel uses) counts co-occurrence within a unit (a paragraph
or a document), as Dieng, Ruiz and Blei (2020) do for the NPMI of their quality score: one
sparse product over the units, fast enough to score every candidate K on a sample.
``coherence`` is gensim's ``CoherenceModel`` with its standard sliding windows (10 tokens
for NPMI, 110 for c_v), kept for comparison; it is far slower. Diversity is
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


def unit_coherence(
    top_terms: Sequence[Sequence[str]],
    token_lists: Sequence[Sequence[str]],
    *,
    diversity_terms: Sequence[Sequence[str]] | None = None,
) -> TopicQuality:
    """NPMI and c_v of each topic's top terms, co-occurrence counted per unit.

    NPMI of a pair: log(p(a,b) / (p(a) p(b))) / −log p(a,b), with p the share of units
    holding the word(s); −1 for a pair that never shares a unit. A topic's NPMI is the
    mean over its pairs; its c_v the mean cosine between each word's NPMI vector (against
    the topic's words) and the sum of those vectors (Röder et al. 2015, with units as
    the windows).

    >>> q = unit_coherence([["a", "b"], ["c", "d"]], [["a", "b"], ["a", "b"], ["c"], ["d"]])
    >>> round(q.npmi_per_topic[0], 3), q.npmi_per_topic[1]
    (1.0, -1.0)
    """
    import numpy as np
    from scipy.sparse import csr_matrix

    topics = [list(t) for t in top_terms]
    words = sorted({w for t in topics for w in t})
    index = {w: i for i, w in enumerate(words)}
    n = len(token_lists)
    if not topics or not words or n == 0:
        nan = tuple(float("nan") for _ in topics)
        return TopicQuality(float("nan"), float("nan"), diversity(diversity_terms or top_terms), nan, nan)
    wanted = frozenset(words)
    indptr = [0]
    cols: list[int] = []
    for toks in token_lists:
        cols.extend(index[w] for w in wanted.intersection(toks))
        indptr.append(len(cols))
    presence = csr_matrix(
        (np.ones(len(cols)), np.asarray(cols, dtype=np.int64), np.asarray(indptr, dtype=np.int64)),
        shape=(n, len(words)),
    )
    co = np.asarray((presence.T @ presence).todense(), dtype=float)  # units holding both
    p = np.diag(co) / n
    pij = co / n
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(pij) - np.log(np.outer(p, p))
        npmi = pmi / -np.log(pij)
    npmi[co == 0] = -1.0
    # a pair found in every unit has −log p(a,b) = 0: perfectly associated
    npmi[(co > 0) & (pij >= 1.0)] = 1.0
    npmi_topics: list[float] = []
    cv_topics: list[float] = []
    for topic in topics:
        ids = [index[w] for w in topic]
        block = npmi[np.ix_(ids, ids)]
        m = len(ids)
        pairs = block[~np.eye(m, dtype=bool)]
        npmi_topics.append(float(pairs.mean()) if pairs.size else float("nan"))
        total = block.sum(axis=0)
        norms = np.linalg.norm(block, axis=1) * np.linalg.norm(total)
        cos = np.divide(block @ total, norms, out=np.zeros(m), where=norms > 0)
        cv_topics.append(float(cos.mean()))

    def mean(xs: list[float]) -> float:
        return sum(xs) / len(xs) if xs else float("nan")

    return TopicQuality(
        npmi=mean(npmi_topics),
        c_v=mean(cv_topics),
        diversity=diversity(diversity_terms if diversity_terms is not None else top_terms),
        npmi_per_topic=tuple(npmi_topics),
        c_v_per_topic=tuple(cv_topics),
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
