"""The vectorised ``normalize`` (long texts) equals the per-character loop, and maps spans alike."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from govtext.normalize import FAST_MIN_CHARS, normalize, normalize_loop

ROOT = Path(__file__).resolve().parents[1]
PIECES = [
    "接訴即辦",
    "居民自治",
    "１２３４５",
    "\u3000",
    " ",
    "\n",
    "\n\n",
    "\t",
    "abc",
    "黨建引領",
    "，",
    "。",
    "𠀀",
    "ａ",
]


def _loop(text: str):  # type: ignore[no-untyped-def]
    return normalize_loop(text, simplify=True, fold_width=True, join_cjk_breaks=True)


def _check(text: str) -> None:
    fast, slow = normalize(text), _loop(text)
    assert fast.text == slow.text
    assert fast.origin == slow.origin
    for s, e in [
        (0, 0),
        (0, 1),
        (3, 9),
        (len(slow.text) - 1, len(slow.text)),
        (len(slow.text), len(slow.text)),
    ]:
        if 0 <= s <= e <= len(slow.text):
            assert fast.to_original(s, e) == slow.to_original(s, e)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=80, max_size=200))
def test_normalize_fast_equals_loop_on_long_texts(parts: list[str]) -> None:
    text = "".join(parts)
    if len(text) >= FAST_MIN_CHARS:
        _check(text)


def test_normalize_fast_equals_loop_on_the_sample_corpus() -> None:
    rng = random.Random(7)
    for path in sorted((ROOT / "corpus").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        assert len(text) >= FAST_MIN_CHARS
        _check(text)
        view = normalize(text)
        for _ in range(50):
            s = rng.randrange(len(view.text))
            e = min(len(view.text), s + rng.randrange(1, 12))
            a, b = view.to_original(s, e)
            assert a == view.origin[s] and b == view.origin[e - 1] + 1


def test_normalize_lone_surrogates_are_kept_not_fatal() -> None:
    # a broken file can decode to lone surrogates: OpenCC and UTF-32 refuse them
    for text, simplified in [("㐀\ud800", "㐀"), ("接訴即辦\ud800 \n" * 100, "接诉即办")]:
        view = normalize(text)
        assert "\ud800" in view.text and simplified in view.text
        assert view.text == _loop(text).text
        assert len(view.origin) == len(view.text)


def test_char_flags_table_is_cached_and_rebuilt_when_damaged(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    from govtext.normalize import build_char_flags, char_flags

    monkeypatch.setenv("GOVTEXT_CACHE_DIR", str(tmp_path))
    built = build_char_flags()
    first = char_flags.__wrapped__()  # not the per-process copy
    (cached,) = tmp_path.glob("charflags-*.npy")
    assert np.array_equal(first, built)
    assert np.array_equal(np.load(cached), built)
    cached.write_bytes(b"not a table")
    assert np.array_equal(char_flags.__wrapped__(), built)
    assert np.array_equal(np.load(cached), built)  # written again
    monkeypatch.setenv("GOVTEXT_CACHE_DIR", str(tmp_path / "file"))
    (tmp_path / "file").write_text("a file where the folder should be")
    assert np.array_equal(char_flags.__wrapped__(), built)  # unwritable cache: still works


def test_cache_file_written_whole_or_not_at_all(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from govtext.normalize import write_cache_file

    target = tmp_path / "cache" / "table.bin"
    assert write_cache_file(target, b"table")
    assert target.read_bytes() == b"table"
    # a folder where the file should go: os.replace fails after the temporary file is written
    blocked = tmp_path / "cache" / "blocked.bin"
    (blocked / "inside").mkdir(parents=True)
    assert not write_cache_file(blocked, b"table")
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["blocked.bin", "table.bin"]
