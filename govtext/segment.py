"""Tokens: jieba segmentation with the governance user dictionary, POS and sentences.

A Segmenter owns its own ``jieba.Tokenizer`` so user dictionaries never leak into the
global jieba state another library may rely on. Text is segmented in its normalised
view (see ``govtext.normalize``) and token offsets are mapped back to the original.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from govtext.documents import Document
from govtext.normalize import normalize
from govtext.sentences import split_sentences


def default_user_dict() -> Path:
    """Path of the governance user dictionary shipped with the package."""
    return Path(str(resources.files("govtext") / "data" / "userdict.txt"))


@dataclass(frozen=True)
class Tokens:
    """The tokens of one document; ``starts``/``ends`` are offsets into the original text."""

    doc_id: str
    words: tuple[str, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    pos: tuple[str, ...] | None
    sentences: tuple[tuple[int, int], ...]
    settings_hash: str

    def __len__(self) -> int:
        return len(self.words)


class Segmenter:
    """jieba with the governance dictionary, optional extra dictionaries and POS tags.

    Parameters are stored as given; ``settings_hash`` identifies everything that can
    change the output (the caching key together with the text hash).
    """

    def __init__(
        self,
        *,
        user_dicts: Sequence[str | Path] = (),
        use_default_dict: bool = True,
        hmm: bool = False,
        pos: bool = False,
    ) -> None:
        self.user_dicts = tuple(str(p) for p in user_dicts)
        self.use_default_dict = use_default_dict
        self.hmm = hmm
        self.pos = pos
        self._tokenizer: Any = None
        self._posseg: Any = None

    def _dict_paths(self) -> list[Path]:
        paths = [default_user_dict()] if self.use_default_dict else []
        return paths + [Path(p) for p in self.user_dicts]

    @property
    def settings_hash(self) -> str:
        import jieba

        h = hashlib.blake2b(digest_size=8)
        h.update(json.dumps({"hmm": self.hmm, "pos": self.pos, "jieba": jieba.__version__}).encode())
        for p in self._dict_paths():
            h.update(p.read_bytes())
        return h.hexdigest()

    def _ensure(self) -> Any:
        if self._tokenizer is None:
            import logging

            import jieba

            jieba.setLogLevel(logging.WARNING)
            tok = jieba.Tokenizer()
            tok.initialize()
            for path in self._dict_paths():
                tok.load_userdict(str(path))
            self._tokenizer = tok
        return self._tokenizer

    def cut(self, text: str) -> list[str]:
        """Tokens of a text as jieba gives them (on the normalised view)."""
        return list(self._ensure().cut(normalize(text).text, HMM=self.hmm))

    def tokens(self, doc: Document) -> Tokens:
        view = normalize(doc.text)
        tok = self._ensure()
        words: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        tags: list[str] | None = None
        if self.pos:
            import jieba.posseg

            if self._posseg is None:
                self._posseg = jieba.posseg.POSTokenizer(tok)
            tags = []
            pos = 0
            for pair in self._posseg.cut(view.text, HMM=self.hmm):
                w = pair.word
                a, b = view.to_original(pos, pos + len(w))
                pos += len(w)
                if w.isspace():
                    continue
                words.append(w)
                starts.append(a)
                ends.append(b)
                tags.append(pair.flag)
        else:
            for w, s, e in tok.tokenize(view.text, HMM=self.hmm):
                if w.isspace():
                    continue
                a, b = view.to_original(s, e)
                words.append(w)
                starts.append(a)
                ends.append(b)
        return Tokens(
            doc_id=doc.doc_id,
            words=tuple(words),
            starts=tuple(starts),
            ends=tuple(ends),
            pos=tuple(tags) if tags is not None else None,
            sentences=tuple(split_sentences(doc.text)),
            settings_hash=self.settings_hash,
        )
