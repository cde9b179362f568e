"""Phrase discovery: multi-character phrases the dictionaries are missing.

Governance writing coins slogans faster than dictionaries follow (每月一题, 小巷管家 …).
``PhraseFinder`` proposes them from a corpus with the two classic signals of Chinese
new-word discovery, plus one that governance writing hands us:

- cohesion: the pointwise mutual information of the phrase's weakest split (a real
  word's halves co-occur far more often than chance);
- freedom: the entropy of the characters just left and right of it (a real word
  appears in many contexts; a fragment such as 接诉即 is always followed by 办);
- quotation: slogans are introduced in Chinese quotation marks “…”.

Only phrases that the current dictionaries split into several tokens are proposed.
The result is ranked, with counts and example contexts, and can be written in the
user-dictionary format (``format_user_dict``) for ``Segmenter(user_dicts=...)``.

>>> from govtext.documents import Document
>>> docs = [Document(doc_id=str(i), text=t) for i, t in enumerate(["推行“小巷管家”制度，小巷管家走街串巷。"] * 3)]
>>> [c.phrase for c in PhraseFinder(min_count=3).fit(docs).candidates_][:1]
['小巷管家']
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from govtext.errors import ConfigError, NotFittedError

if TYPE_CHECKING:
    import pandas as pd

    from govtext.documents import Document
    from govtext.segment import Segmenter

_RUN = re.compile(r"[\u3400-\u9fff]+")
_QUOTED = re.compile(r"“([\u3400-\u9fff]{2,12})”")
# Characters that almost never start or end a word in this register: a phrase that
# begins or ends with one is a fragment of a clause, not a term.
_EDGE_STOP = set("的了和与及或在是对把被将为从等之其而也都就并向于以各该这那个年月日要有不")
_BOUNDARY = "\x00"  # the edge of a run counts as one more distinct neighbour each time


@dataclass(frozen=True)
class Candidate:
    """One proposed phrase with the evidence for it."""

    phrase: str
    count: int
    pmi: float
    left_entropy: float
    right_entropy: float
    quoted: int
    score: float
    examples: tuple[str, ...]
    freq: int
    tag: str = "nz"

    def record(self) -> dict[str, Any]:
        return {
            "phrase": self.phrase,
            "count": self.count,
            "pmi": round(self.pmi, 3),
            "left_entropy": round(self.left_entropy, 3),
            "right_entropy": round(self.right_entropy, 3),
            "quoted": self.quoted,
            "score": round(self.score, 3),
            "freq": self.freq,
            "tag": self.tag,
            "examples": list(self.examples),
        }


def _entropy(counter: Counter[str], boundary: int) -> float:
    total = sum(counter.values()) + boundary
    if total == 0:
        return 0.0
    h = -sum(c / total * math.log(c / total) for c in counter.values())
    # each run edge is a different context: ``boundary`` distinct neighbours of count 1
    h -= boundary * (1 / total) * math.log(1 / total)
    return h


def _neighbours(
    runs: list[str], pool: Collection[str], min_len: int, max_len: int
) -> tuple[dict[str, Counter[str]], dict[str, Counter[str]], Counter[str], Counter[str]]:
    """The characters met left and right of each phrase of ``pool`` in ``runs``, and how
    often it stood at a run's left or right edge instead (see ``_entropy``)."""
    left: dict[str, Counter[str]] = defaultdict(Counter)
    right: dict[str, Counter[str]] = defaultdict(Counter)
    edge_l: Counter[str] = Counter()
    edge_r: Counter[str] = Counter()
    for run in runs:
        n = len(run)
        for size in range(min_len, min(max_len, n) + 1):
            for i in range(n - size + 1):
                phrase = run[i : i + size]
                if phrase not in pool:
                    continue
                if i:
                    left[phrase][run[i - 1]] += 1
                else:
                    edge_l[phrase] += 1
                if i + size < n:
                    right[phrase][run[i + size]] += 1
                else:
                    edge_r[phrase] += 1
    return left, right, edge_l, edge_r


class PhraseFinder:
    """Propose phrases missing from the dictionaries (estimator style: ``fit`` returns self).

    Parameters
    ----------
    min_len, max_len : phrase length in characters.
    min_count : occurrences needed (quoted phrases need ``min_quoted``).
    min_pmi : cohesion threshold (natural log) of the weakest split.
    min_entropy : threshold on both left and right neighbour entropy.
    min_quoted : times in “…” that make a phrase a candidate whatever its statistics.
    top : how many candidates to keep (best first).
    n_examples : example contexts per candidate.
    segmenter : the Segmenter whose dictionaries a phrase must be missing from
        (default: the governance dictionary).
    """

    def __init__(
        self,
        *,
        min_len: int = 2,
        max_len: int = 6,
        min_count: int = 5,
        min_pmi: float = 3.0,
        min_entropy: float = 1.0,
        min_quoted: int = 2,
        top: int = 100,
        n_examples: int = 3,
        segmenter: Segmenter | None = None,
    ) -> None:
        self.min_len = min_len
        self.max_len = max_len
        self.min_count = min_count
        self.min_pmi = min_pmi
        self.min_entropy = min_entropy
        self.min_quoted = min_quoted
        self.top = top
        self.n_examples = n_examples
        self.segmenter = segmenter

    def _check_params(self) -> None:
        if not 2 <= self.min_len <= self.max_len <= 12:
            raise ConfigError(
                f"The 'min_len'/'max_len' parameters of PhraseFinder must satisfy 2 <= min_len <= max_len <= 12. "
                f"Got {self.min_len}/{self.max_len} instead."
            )
        if self.min_count < 1 or self.top < 1:
            raise ConfigError(
                f"The 'min_count' and 'top' parameters of PhraseFinder must be at least 1. "
                f"Got {self.min_count}/{self.top} instead."
            )

    def fit(self, docs: Iterable[Document]) -> PhraseFinder:
        from govtext.normalize import fast_view
        from govtext.segment import Segmenter

        self._check_params()
        seg = self.segmenter or Segmenter()
        doc_list = list(docs)
        views = [fast_view(d.text)[0] for d in doc_list]
        runs = [r for v in views for r in _RUN.findall(v)]
        quoted = Counter(q for v in views for q in _QUOTED.findall(v.replace('"', "“")))

        counts: Counter[str] = Counter()
        lo, hi = 1, self.max_len
        for run in runs:
            n = len(run)
            for size in range(lo, min(hi, n) + 1):
                counts.update(run[i : i + size] for i in range(n - size + 1))
        n_chars = sum(counts[c] for c in counts if len(c) == 1) or 1

        def pmi(phrase: str) -> float:
            joint = counts[phrase] / n_chars
            return min(
                math.log(joint / ((counts[phrase[:k]] / n_chars) * (counts[phrase[k:]] / n_chars)))
                for k in range(1, len(phrase))
            )

        pool: dict[str, float] = {}
        for phrase, c in counts.items():
            if not self.min_len <= len(phrase) <= self.max_len:
                continue
            if phrase[0] in _EDGE_STOP or phrase[-1] in _EDGE_STOP:
                continue
            q = quoted.get(phrase, 0)
            if c < self.min_count and q < self.min_quoted:
                continue
            p = pmi(phrase)
            if p >= self.min_pmi or q >= self.min_quoted:
                pool[phrase] = p

        left, right, edge_l, edge_r = _neighbours(runs, pool, self.min_len, self.max_len)

        scored = []
        for phrase, p in pool.items():
            le = _entropy(left[phrase], edge_l[phrase])
            re_ = _entropy(right[phrase], edge_r[phrase])
            q = quoted.get(phrase, 0)
            if min(le, re_) < self.min_entropy and q < self.min_quoted:
                continue
            if len(seg.cut(phrase)) <= 1:
                continue  # the dictionaries already keep it whole
            c = counts[phrase]
            score = math.log1p(c) * (max(p, 0.0) + min(le, re_)) + 2.0 * math.log1p(q)
            scored.append((score, phrase, c, p, le, re_, q))
        scored.sort(key=lambda t: (-t[0], t[1]))
        scored = _drop_nested(scored)[: self.top]
        self.candidates_ = [
            Candidate(
                phrase=phrase,
                count=c,
                pmi=p,
                left_entropy=le,
                right_entropy=re_,
                quoted=q,
                score=score,
                examples=tuple(_examples(phrase, doc_list, self.n_examples)),
                freq=_suggest_freq(seg, phrase, c),
            )
            for score, phrase, c, p, le, re_, q in scored
        ]
        self.n_documents_ = len(doc_list)
        return self

    def _fitted(self) -> list[Candidate]:
        if not hasattr(self, "candidates_"):
            raise NotFittedError("PhraseFinder: call fit(documents) before reading candidates")
        return self.candidates_

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        rows = [c.record() for c in self._fitted()]
        cols = ["phrase", "count", "pmi", "left_entropy", "right_entropy", "quoted", "score", "freq", "tag"]
        frame = pd.DataFrame(rows, columns=[*cols, "examples"])
        frame["examples"] = frame["examples"].map(lambda xs: " | ".join(xs))
        return frame

    def user_dict(self) -> str:
        return format_user_dict(self._fitted())


def _drop_nested(scored: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Drop a phrase contained in a better-ranked one seen about as often (its fragment)."""
    kept: list[tuple[Any, ...]] = []
    for item in scored:
        phrase, count = item[1], item[2]
        if any(phrase in k[1] and k[2] >= 0.8 * count for k in kept):
            continue
        kept.append(item)
    return kept


def _examples(phrase: str, docs: Sequence[Document], n: int, width: int = 12) -> list[str]:
    out = []
    for d in docs:
        i = d.text.find(phrase)
        if i < 0:
            continue
        a, b = max(0, i - width), min(len(d.text), i + len(phrase) + width)
        context = " ".join(d.text[a:b].split())
        out.append(f"{d.doc_id}: …{context}…")
        if len(out) >= n:
            break
    return out


def _suggest_freq(seg: Segmenter, phrase: str, count: int) -> int:
    """A frequency that keeps the phrase whole in running text (at least jieba's own
    suggestion, which only just joins it in isolation)."""
    eng = seg._ensure()
    try:
        suggested = (
            int(eng.suggest_freq(phrase))
            if seg.backend_ == "rjieba"
            else int(eng.suggest_freq(phrase, False))
        )
    except Exception:  # a suggestion is a convenience; never fail discovery over it
        suggested = 0
    return max(suggested * 2, 100, count)


def format_user_dict(candidates: Iterable[Candidate]) -> str:
    """Candidates as a user dictionary (``word freq tag``), evidence in comment lines."""
    lines = [
        "# Phrases proposed by govtext vocab discover. Review, delete what is not a term,",
        "# then pass this file with --user-dict (or Segmenter(user_dicts=[...])).",
    ]
    for c in candidates:
        lines.append(
            f"# count {c.count}, PMI {c.pmi:.2f}, entropy L {c.left_entropy:.2f} R {c.right_entropy:.2f}, "
            f"quoted {c.quoted}"
        )
        lines.append(f"{c.phrase} {c.freq} {c.tag}")
    return "\n".join(lines) + "\n"


def discover_phrases(docs: Iterable[Document], **params: Any) -> list[Candidate]:
    """``PhraseFinder(**params).fit(docs).candidates_``."""
    return PhraseFinder(**params).fit(docs).candidates_
