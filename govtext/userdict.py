"""The dictionaries jieba is loaded with, and the jieba-rs engine built from them.

jieba's own main dictionary, then the governance user dictionary shipped in
govtext/data, then users' dictionaries in jieba's ``word [freq] [pos]`` format.
``build_rjieba`` puts jieba-rs in exactly the state pure jieba reaches with the same
entries, so both backends of ``govtext.segment.Segmenter`` give the same tokens.

>>> [e for e in read_user_dict(default_user_dict()) if e.word == "接诉即办"][0].word
'接诉即办'
"""

from __future__ import annotations

import hashlib
import re
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from govtext.errors import ConfigError, DictionaryError

_USERDICT_LINE = re.compile(r"^(\S+)(?:\s+(\S+))?(?:\s+(\S+))?$")
_POS_TAG = re.compile(r"^[a-z]+$")


def default_user_dict() -> Path:
    """Path of the governance user dictionary shipped with the package."""
    return Path(str(resources.files("govtext") / "data" / "userdict.txt"))


def main_dict_path() -> Path:
    """jieba's own main dictionary (the one ``jieba.lcut`` uses), found without
    importing jieba (0.1 s of start-up a run that only reads the store does not need)."""
    import importlib.util

    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        raise ConfigError("jieba is not installed; install govtext's dependencies (pip install -e .)")
    return Path(spec.origin).parent / "dict.txt"


@dataclass(frozen=True)
class DictEntry:
    """One line of a user dictionary: ``word [freq] [pos]`` (jieba's format)."""

    word: str
    freq: int | None
    tag: str | None


def read_user_dict(path: str | Path) -> list[DictEntry]:
    """Parse a user dictionary; blank lines and lines starting with ``#`` are skipped.

    A bad line raises DictionaryError naming the file, the line and the fix.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise DictionaryError(
            f"cannot read user dictionary ({exc.strerror}); check the path", str(p)
        ) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DictionaryError("user dictionary is not UTF-8; save it as UTF-8", str(p)) from exc
    entries = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = _USERDICT_LINE.match(line)
        if m is None:
            raise DictionaryError(
                f"expected 'word [frequency] [pos]' separated by spaces, got {line!r}; "
                "a word cannot contain spaces",
                str(p),
                lineno,
            )
        word, a, b = m.groups()
        freq: int | None = None
        tag: str | None = None
        for field in (a, b):
            if field is None:
                continue
            if field.isdigit() and freq is None and tag is None:
                freq = int(field)
            elif _POS_TAG.match(field) and tag is None:
                tag = field
            else:
                raise DictionaryError(
                    f"{field!r} after {word!r} is neither a frequency (a whole number) nor a "
                    "part-of-speech tag (lower-case letters, e.g. nz); "
                    f"write e.g. '{word} 500 nz'",
                    str(p),
                    lineno,
                )
        entries.append(DictEntry(word, freq, tag))
    return entries


@lru_cache(maxsize=8)
def _main_dict_columns(path: str) -> tuple[list[str], list[int], list[str]]:
    """jieba's main dictionary as three columns: words, frequencies, tags.

    Split as one text, three fields a line (checked), rather than line by line: the
    segmenter is built before the workers fork, while the other core waits, and this
    takes a quarter of the time."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    fields = text.split()
    lines = text.splitlines()
    if len(fields) != 3 * len(lines):
        bad = next(i for i, line in enumerate(lines, 1) if len(line.split()) != 3)
        raise ValueError(f"{path}, line {bad}: expected 'word frequency tag'")
    return fields[0::3], list(map(int, fields[1::3])), fields[2::3]


def build_rjieba(entries: Sequence[DictEntry]) -> tuple[Any, dict[str, str]]:
    """A jieba-rs engine in exactly the state pure jieba reaches with the same entries.

    Two differences must be undone. jieba-rs keeps the first tag of a word added twice
    (jieba keeps the last), so entries are merged here and each word added once. And
    jieba adds every added frequency to its total, even for a word it already had,
    while jieba-rs replaces the old one; the total decides between long and short
    routes, so a padding word that can never match (it starts with NUL) makes up the
    difference.

    Also returns the word-to-tag table jieba.posseg would use (its ``word_tag_tab``),
    so tags can be looked up for cut tokens instead of asking jieba-rs to tag.
    """
    import rjieba

    words, freqs, tag_list, pad = merged_columns(entries)
    eng = rjieba.Jieba.empty()
    # punctuation is never in the dictionary; tagging it 'x' here spares the slow path
    table: dict[str, str] = {
        chr(c): "x"
        for r in ((0x21, 0x7F), (0x2000, 0x2070), (0x3000, 0x3040), (0xFE30, 0xFE70), (0xFF01, 0xFF66))
        for c in range(*r)
        if not chr(c).isalnum()
    }
    # 350k words: added and tabled by map and update, without a Python-level loop
    deque(map(eng.add_word, words, freqs, tag_list), maxlen=0)
    table.update(zip(words, tag_list, strict=True))
    if pad > 0:
        eng.add_word("\x00govtext-total-padding", pad, "x")
    return eng, table


def merged_columns(entries: Sequence[DictEntry]) -> tuple[list[str], list[int], list[str], int]:
    """The words jieba-rs is given, each once in jieba's order, their frequencies and
    tags, and the padding of the total (see ``build_rjieba``), for jieba's main
    dictionary and ``entries``.

    Kept in the cache folder under a hash of the main dictionary's content and the
    entries: merging them is ~0.5 s of a run's start, when the segmenter is built before
    the workers fork and the other core waits (issue 20); read back, ~0.05 s. A cache
    that is missing, damaged or cannot be written is rebuilt, at the old cost.
    """
    import json

    from govtext.normalize import cache_dir

    desc: list[Any] = [
        _CACHE_VERSION,
        file_digest(main_dict_path()),
        [[e.word, e.freq, e.tag] for e in entries],
    ]
    if any(e.freq is None for e in entries):  # suggested by jieba's own code: its version counts
        import jieba

        desc.append(jieba.__version__)
    key = hashlib.blake2b(json.dumps(desc, ensure_ascii=False).encode(), digest_size=12).hexdigest()
    path = cache_dir() / f"rjieba-words-{key}.bin"
    cached = _read_columns(path)
    if cached is not None:
        return cached
    columns = _merge_columns(entries)
    _write_columns(path, columns)
    return columns


_CACHE_VERSION = 1
_CACHE_KEEP = 4  # sets of dictionaries whose merge is kept
_MAGIC = b"govtext-rjieba-words-1\n"


def _merge_columns(entries: Sequence[DictEntry]) -> tuple[list[str], list[int], list[str], int]:
    """``merged_columns`` computed afresh."""
    words, counts, word_tags = _main_dict_columns(str(main_dict_path()))
    # a word listed twice keeps its first place and its last frequency and tag, as jieba's
    freqs: dict[str, int] = dict(zip(words, counts, strict=True))
    tags: dict[str, str] = dict(zip(words, word_tags, strict=True))
    total = sum(counts)
    shell: Any = None
    for e in entries:
        if e.freq is None:
            # jieba's suggest_freq needs the dictionary as it stands at this entry.
            if shell is None:
                shell = _jieba_shell(freqs, total)
            add = int(shell.suggest_freq(e.word, False))
        else:
            add = e.freq
        if shell is not None:
            shell.add_word(e.word, add, e.tag)
        freqs[e.word] = add
        if e.tag:
            tags[e.word] = e.tag
        total += add
    tag_list = [tags.get(word, "x") for word in freqs]
    return list(freqs), list(freqs.values()), tag_list, total - sum(freqs.values())


def _write_columns(path: Path, columns: tuple[list[str], list[int], list[str], int]) -> None:
    """The columns as the magic line, a JSON header (counts, byte lengths, the padding),
    the words and the tags joined by newlines, the frequencies as int64."""
    import json
    from array import array

    from govtext.normalize import write_cache_file

    words, freqs, tags, pad = columns
    if any("\n" in w for w in words) or any("\n" in t for t in tags):
        return  # cannot be joined by newlines (jieba's dictionaries split on whitespace)
    try:
        blobs = ["\n".join(words).encode(), "\n".join(tags).encode(), array("q", freqs).tobytes()]
    except OverflowError:
        return
    head = json.dumps({"n": len(words), "pad": pad, "sizes": [len(b) for b in blobs]}).encode() + b"\n"
    if not write_cache_file(path, _MAGIC + head + b"".join(blobs)):
        return
    # ~7 MB a set of dictionaries: keep the few most recently written
    try:
        kept = sorted(
            path.parent.glob("rjieba-words-*.bin"), key=lambda p: p.stat().st_mtime_ns, reverse=True
        )
        for old in kept[_CACHE_KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:  # another run pruned the same file first
        pass


def _read_columns(path: Path) -> tuple[list[str], list[int], list[str], int] | None:
    """What ``_write_columns`` wrote, or None if it is missing or does not hold together."""
    import json
    from array import array

    try:
        data = path.read_bytes()
        if not data.startswith(_MAGIC):
            return None
        end = data.index(b"\n", len(_MAGIC))
        head = json.loads(data[len(_MAGIC) : end])
        n, pad, sizes = int(head["n"]), int(head["pad"]), [int(s) for s in head["sizes"]]
        at = end + 1
        if len(sizes) != 3 or at + sum(sizes) != len(data) or sizes[2] != 8 * n:
            return None
        words = data[at : at + sizes[0]].decode().split("\n")
        tags = data[at + sizes[0] : at + sizes[0] + sizes[1]].decode().split("\n")
        freqs = array("q")
        freqs.frombytes(data[at + sizes[0] + sizes[1] :])
    except (OSError, ValueError, KeyError, TypeError):  # UnicodeDecodeError and JSON's are ValueErrors
        return None
    if len(words) != n or len(tags) != n:
        return None
    return words, freqs.tolist(), tags, pad


def tags_like_posseg(words: list[str], table: dict[str, str], hot: dict[str, str]) -> list[str]:
    """Tags jieba.posseg gives these tokens with the HMM off: the dictionary's tag, else
    'eng' for a run of ASCII letters/digits, else 'x' (punctuation, unknown characters).

    Looked up in ``hot``, a small table of the words seen so far that stays in the CPU
    cache (word frequencies are Zipfian), falling back to the full table; this is
    cheaper than jieba-rs's own tagging, which builds a tuple per token.
    """
    tags: list[Any] = list(map(hot.get, words))
    i = -1
    try:
        while True:
            i = tags.index(None, i + 1)  # hop between misses at C speed
            w = words[i]
            tag = table.get(w)
            if tag is None:
                tag = "eng" if w.isascii() and w.isalnum() else "x"
            tags[i] = hot[w] = tag
    except ValueError:
        pass
    return tags


def _jieba_shell(freqs: dict[str, int], total: int) -> Any:
    """A pure jieba Tokenizer holding ``freqs`` (used only to suggest frequencies)."""
    import jieba

    shell = jieba.Tokenizer(str(main_dict_path()))
    with open(main_dict_path(), "rb") as f:
        pf, _ = shell.gen_pfdict(f)
    for word, freq in freqs.items():
        pf[word] = freq
        for i in range(1, len(word)):
            pf.setdefault(word[:i], 0)
    shell.FREQ = pf
    shell.total = total
    shell.initialized = True
    return shell


@lru_cache(maxsize=64)
def _file_digest(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.blake2b(Path(path).read_bytes(), digest_size=16).hexdigest()


def file_digest(path: Path) -> str:
    """A content hash of a dictionary file, computed once per (path, mtime, size)."""
    st = path.stat()
    return _file_digest(str(path), st.st_mtime_ns, st.st_size)
