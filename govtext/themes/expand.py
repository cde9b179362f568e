"""Propose new dictionary terms per theme from word embeddings trained on a corpus.

A ``TermExpander`` segments the corpus with the governance segmenter, trains a gensim
Word2Vec model, and for each theme ranks the words closest to the theme's existing
terms (those that occur as tokens). Proposals are suggestions for a person to review,
each shown with the existing terms it is nearest to; nothing is added automatically.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from govtext.documents import Document
from govtext.errors import InputError, NotFittedError
from govtext.themes.dictionary import load_dictionary
from govtext.themes.rules import ThemeDictionary

_CJK_WORD = re.compile(r"^[\u4e00-\u9fff]{2,}$")
# Proposals must be content words: nouns, verbal nouns, set phrases, abbreviations.
# Plain verbs, pronouns and function words sit near everything in policy prose.
_CONTENT_POS = ("n", "vn", "l", "j", "i")


@dataclass(frozen=True)
class Proposal:
    term: str
    score: float  # cosine similarity to the theme's centroid
    count: int  # occurrences in the corpus
    nearest: tuple[tuple[str, float], ...]  # existing terms of the theme closest to it


class TermExpander:
    """Word2Vec-based term proposals for each theme of a dictionary.

    Parameters are stored as given; ``fit`` trains on documents and sets ``model_``,
    ``seeds_`` (theme → existing terms found as tokens) and ``proposals_``.
    Training uses one worker so that ``random_state`` makes it reproducible.
    """

    def __init__(
        self,
        dictionary: ThemeDictionary | None = None,
        *,
        top_n: int = 10,
        min_count: int = 3,
        vector_size: int = 100,
        window: int = 5,
        epochs: int = 10,
        random_state: int = 0,
        segmenter: Any = None,
    ) -> None:
        self.dictionary = dictionary
        self.top_n = top_n
        self.min_count = min_count
        self.vector_size = vector_size
        self.window = window
        self.epochs = epochs
        self.random_state = random_state
        self.segmenter = segmenter

    def _sentences(self, docs: Iterable[Document]) -> tuple[list[list[str]], dict[str, str]]:
        """Token lists per sentence (CJK words only) and each word's part of speech."""
        if self.segmenter is None:
            from govtext.segment import Segmenter

            self.segmenter = Segmenter(pos=True)
        out = []
        pos: dict[str, str] = {}
        for doc in docs:
            toks = self.segmenter.tokens(doc)
            tags = toks.pos or ("",) * len(toks.words)
            j = 0
            for _a, b in toks.sentences:
                sent = []
                while j < len(toks.words) and toks.starts[j] < b:
                    w = toks.words[j]
                    if any("\u4e00" <= ch <= "\u9fff" for ch in w):
                        sent.append(w)
                        pos.setdefault(w, tags[j])
                    j += 1
                if len(sent) > 1:
                    out.append(sent)
        return out, pos

    def fit(self, documents: Iterable[Document]) -> TermExpander:
        from gensim.models import Word2Vec

        d = self.dictionary or load_dictionary()
        sentences, pos = self._sentences(documents)
        if not sentences:
            raise InputError(
                "no text to train word embeddings on; give documents with Chinese text", param="documents"
            )
        model = Word2Vec(
            sentences=sentences,
            vector_size=self.vector_size,
            window=self.window,
            min_count=self.min_count,
            workers=1,
            seed=self.random_state,
            epochs=self.epochs,
            sg=1,
        )
        wv = model.wv
        known = {t for terms in d.terms_by_theme().values() for t in terms}
        seeds = {tid: [t for t in terms if t in wv.key_to_index] for tid, terms in d.terms_by_theme().items()}
        # A theme whose terms never occur as tokens falls back to its name.
        for tid, theme in d.themes.items():
            if not seeds[tid] and theme.name in wv.key_to_index:
                seeds[tid] = [theme.name]
        proposals: dict[str, list[Proposal]] = {}
        for tid, words in seeds.items():
            if not words:
                proposals[tid] = []
                continue
            found = []
            for word, score in wv.most_similar(positive=words, topn=self.top_n * 5):
                if word in known or not _CJK_WORD.match(word) or any(word in k or k in word for k in words):
                    continue
                if pos.get(word) and not pos[word].startswith(_CONTENT_POS):
                    continue
                nearest = sorted(((s, float(wv.similarity(word, s))) for s in words), key=lambda x: -x[1])[:3]
                found.append(Proposal(word, float(score), int(wv.get_vecattr(word, "count")), tuple(nearest)))
                if len(found) >= self.top_n:
                    break
            proposals[tid] = found
        self.model_ = model
        self.seeds_ = seeds
        self.proposals_ = proposals
        return self

    def proposals_frame(self) -> Any:
        """Long table: theme, term, score, count, nearest (pandas)."""
        if not hasattr(self, "proposals_"):
            raise NotFittedError("This TermExpander is not fitted yet; call fit(documents) first.")
        import pandas as pd

        rows = [
            {
                "theme": tid,
                "term": p.term,
                "score": p.score,
                "count": p.count,
                "nearest": "、".join(n for n, _ in p.nearest),
            }
            for tid, ps in self.proposals_.items()
            for p in ps
        ]
        return pd.DataFrame(rows, columns=["theme", "term", "score", "count", "nearest"])


def render_proposals(proposals: dict[str, list[Proposal]], d: ThemeDictionary) -> str:
    lines = []
    for tid, ps in proposals.items():
        name = d.themes[tid].name if tid in d.themes else tid
        lines.append(f"{name} ({tid})")
        if not ps:
            lines.append("  (none of the theme's terms occurs often enough in the corpus)")
        for p in ps:
            near = ", ".join(f"{n} {s:.2f}" for n, s in p.nearest)
            lines.append(f"  {p.term:<10} {p.score:.2f}  ×{p.count:<4} nearest: {near}")
    return "\n".join(lines)
