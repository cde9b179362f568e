"""Stopwords: the general Chinese list and the report filler words shipped in
govtext/data, users' own word lists, and what counts as a content word.

>>> "我们" in load_stopwords(filler=False), "进一步" in load_stopwords()
(True, True)
>>> is_content("接诉即办"), is_content("2026")
(True, False)
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

from govtext.errors import DictionaryError

_CONTENT = re.compile(r"[\u3400-\u9fffA-Za-z]")


def stopwords_dir() -> Path:
    """The folder of the shipped word lists (govtext/data)."""
    return Path(str(resources.files("govtext") / "data"))


def read_word_list(path: str | Path) -> list[str]:
    """Words separated by spaces or line breaks; ``#`` starts a comment line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise DictionaryError(f"cannot read word list ({exc.strerror}); check the path", str(p)) from exc
    except UnicodeDecodeError as exc:
        raise DictionaryError("word list is not UTF-8; save it as UTF-8", str(p)) from exc
    out = []
    for line in text.splitlines():
        if not line.lstrip().startswith("#"):
            out.extend(line.split())
    return out


@lru_cache(maxsize=16)
def load_stopwords(*, filler: bool = True, extra: tuple[str, ...] = ()) -> frozenset[str]:
    """The general Chinese stopwords shipped in govtext/data, plus report filler words
    (``filler=True``) and the words of the ``extra`` files."""
    words = set(read_word_list(stopwords_dir() / "stopwords_zh.txt"))
    if filler:
        words.update(read_word_list(stopwords_dir() / "stopwords_filler.txt"))
    for path in extra:
        words.update(read_word_list(path))
    return frozenset(words)


def is_content(word: str) -> bool:
    """True when the word has a CJK character or a letter (not punctuation or a number)."""
    return _CONTENT.search(word) is not None
