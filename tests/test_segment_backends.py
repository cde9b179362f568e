"""The fast backend (jieba-rs) against pure jieba on the real corpora."""

from __future__ import annotations

import csv
import difflib
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govtext.normalize import fast_view, normalize
from govtext.segment import Segmenter
from govtext.tokens import Tokens


def _provincial_texts(provincial_dir: Path) -> list[tuple[str, str]]:
    out = []
    for path in sorted(provincial_dir.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                out.append((path.name, row["full_text"]))
    return out


@pytest.fixture(scope="module")
def real_texts(provincial_dir: Path, seed_page: Path) -> list[tuple[str, str]]:
    texts = _provincial_texts(provincial_dir)
    assert len(texts) == 21
    return [*texts, (seed_page.name, seed_page.read_text(encoding="utf-8"))]


@pytest.fixture(scope="module")
def fast() -> Segmenter:
    return Segmenter(backend="rjieba")


@pytest.fixture(scope="module")
def reference() -> Segmenter:
    return Segmenter(backend="jieba")


def _diff(a: Tokens, b: Tokens) -> list[str]:
    sm = difflib.SequenceMatcher(None, list(a.words), list(b.words), autojunk=False)
    return [
        f"{op}: {a.words[i1:i2]} vs {b.words[j1:j2]}"
        for op, i1, i2, j1, j2 in sm.get_opcodes()
        if op != "equal"
    ]


def test_segment_rjieba_tokens_equal_jieba_on_real_corpus(real_texts, fast, reference):
    for name, text in real_texts:
        a = fast.tokens_of_text(text, name)
        b = reference.tokens_of_text(text, name)
        assert a == b, f"{name}: {_diff(a, b)[:5]}"


def test_segment_rjieba_pos_equals_posseg_on_real_corpus(real_texts):
    fast = Segmenter(backend="rjieba", pos=True)
    reference = Segmenter(backend="jieba", pos=True)
    # posseg is slow (about 0.5 MB/s): four reports and the seed page keep this test short
    for name, text in [*real_texts[:4], real_texts[-1]]:
        a = fast.tokens_of_text(text, name)
        b = reference.tokens_of_text(text, name)
        assert a.words == b.words, f"{name}: {_diff(a, b)[:5]}"
        bad = [(w, p, q) for w, p, q in zip(a.words, a.pos or (), b.pos or (), strict=True) if p != q]
        assert bad == [], f"{name}: {bad[:10]}"


def test_segment_hmm_on_backends_agree_to_f1_0999(real_texts):
    fast = Segmenter(backend="rjieba", hmm=True)
    reference = Segmenter(backend="jieba", hmm=True)
    assert fast.settings_hash != reference.settings_hash  # with the HMM on they may differ
    tp = n_fast = n_ref = 0
    for _, text in real_texts[:6]:
        a = fast.tokens_of_text(text)
        b = reference.tokens_of_text(text)
        sa = set(zip(a.starts, a.ends, strict=True))
        sb = set(zip(b.starts, b.ends, strict=True))
        tp += len(sa & sb)
        n_fast += len(sa)
        n_ref += len(sb)
    f1 = 2 * tp / (n_fast + n_ref)
    assert f1 >= 0.999


def test_segment_backends_share_settings_hash_with_hmm_off():
    assert Segmenter(backend="rjieba").settings_hash == Segmenter(backend="jieba").settings_hash


def test_segment_user_dict_without_frequencies_gives_same_tokens(tmp_path):
    d = tmp_path / "extra.txt"
    d.write_text("街巷长制\n小巷管家 nz\n民生诉求 800\n", encoding="utf-8")
    text = "推行街巷长制，小巷管家走街串巷收集民生诉求，推动接诉即办。"
    a = Segmenter(backend="rjieba", user_dicts=[d]).cut(text)
    b = Segmenter(backend="jieba", user_dicts=[d]).cut(text)
    assert a == b
    assert "街巷长制" in a and "小巷管家" in a and "民生诉求" in a


def test_segment_rjieba_words_cached_equal_merged_afresh(tmp_path, monkeypatch):
    """The merged dictionary read back from the cache folder is the one merged afresh,
    a damaged cache is merged again, and other entries get another file."""
    from govtext import userdict

    monkeypatch.setenv("GOVTEXT_CACHE_DIR", str(tmp_path))
    entries = Segmenter(backend="rjieba").user_entries()
    fresh = userdict._merge_columns(entries)
    assert userdict.merged_columns(entries) == fresh  # written
    (cached,) = tmp_path.glob("rjieba-words-*.bin")
    assert userdict.merged_columns(entries) == fresh  # read back
    cached.write_bytes(cached.read_bytes()[:-8])
    assert userdict.merged_columns(entries) == fresh  # damaged: merged again, rewritten
    assert userdict._read_columns(cached) == fresh
    extra = [*entries, userdict.DictEntry("街巷长制", None, None)]
    assert userdict.merged_columns(extra) == userdict._merge_columns(extra)
    assert len(list(tmp_path.glob("rjieba-words-*.bin"))) == 2
    monkeypatch.setattr(userdict, "_CACHE_KEEP", 1)  # only the latest merge is kept
    assert userdict.merged_columns(entries[:-1]) == userdict._merge_columns(entries[:-1])
    assert len(list(tmp_path.glob("rjieba-words-*.bin"))) == 1
    assert userdict.merged_columns(entries) == fresh  # merged again
    text = "推行街巷长制，小巷管家走街串巷收集民生诉求，推动接诉即办。"
    monkeypatch.setenv("GOVTEXT_CACHE_DIR", str(tmp_path / "unwritable" / "x"))
    (tmp_path / "unwritable").write_text("a file, not a folder")
    assert Segmenter(backend="rjieba").cut(text) == Segmenter(backend="jieba").cut(text)


def test_segment_offsets_point_at_the_token_in_the_original(real_texts, fast):
    name, text = real_texts[-1]
    tok = fast.tokens_of_text(text, name)
    assert len(tok) > 1000
    for w, s, e in zip(tok.words, tok.starts, tok.ends, strict=True):
        assert normalize(text[s:e]).text == w


def test_segment_offsets_across_broken_lines_and_fullwidth():
    text = "推进接诉\n  即办改革，ＡＢＣ１２３。"
    tok = Segmenter().tokens_of_text(text)
    spans = {w: text[s:e] for w, s, e in zip(tok.words, tok.starts, tok.ends, strict=True)}
    assert spans["接诉即办"] == "接诉\n  即办"
    assert spans["ABC123"] == "ＡＢＣ１２３"


@lru_cache(maxsize=1)
def _shared_segmenter() -> Segmenter:
    return Segmenter()


_TEXT_ALPHABET = st.sampled_from(list("接诉即办後來說話abcＡＢ１２ 　\n\t。，“”"))


@settings(max_examples=300, deadline=None)
@given(st.text(_TEXT_ALPHABET, max_size=40))
def test_segment_fast_view_equals_normalize(text):
    view, breaks, shift = fast_view(text)
    norm = normalize(text)
    assert view == norm.text
    for i in range(len(view)):
        k = max(j for j, b in enumerate(breaks) if b <= i)
        assert i + shift[k] == norm.origin[i]


@settings(max_examples=200, deadline=None)
@given(st.text(_TEXT_ALPHABET, max_size=40))
def test_segment_tokens_cover_every_non_blank_character_once(text):
    tok = _shared_segmenter().tokens_of_text(text)
    covered = sorted(
        i for s, e in zip(tok.starts, tok.ends, strict=True) for i in range(s, e) if not text[i].isspace()
    )
    assert covered == [i for i, ch in enumerate(text) if not ch.isspace()]


def test_segment_fast_view_equals_normalize_on_real_corpus(real_texts, national_file: Path):
    import json

    texts = [t for _, t in real_texts]
    with national_file.open(encoding="utf-8") as f:
        texts += [json.loads(line)["content"] for line in f]
    assert any("們" in t or "會" in t for t in texts)  # the 1954 report is traditional
    for text in texts:
        view, breaks, shift = fast_view(text)
        norm = normalize(text)
        assert view == norm.text
        idx = np.arange(len(view))
        mapped = idx + np.asarray(shift)[np.searchsorted(np.asarray(breaks), idx, side="right") - 1]
        assert mapped.tolist() == list(norm.origin)
