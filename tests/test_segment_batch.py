"""``Segmenter.tokens_batch`` (one jieba call per batch) equals ``tokens_of_text`` per text.

Workers segment whole batches at once; these tests hold the batch path to the
per-document path on the real reports, on the national file's paragraphs and on
generated texts with every awkward character class the view handles.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_segment_backends import _provincial_texts

from govtext.segment import Segmenter
from govtext.tokens import TokenBatch, Tokens


def _vocab_is_first_use(batch: TokenBatch) -> None:
    # the store numbers new words in this order, so engines must agree on it, and a
    # dropped whitespace token must leave no word behind
    words = [w for i in range(len(batch)) for w in batch.tokens(i).words]
    assert batch.vocab == tuple(dict.fromkeys(words))


def _same(a: Tokens, b: Tokens) -> None:
    assert tuple(a.words) == tuple(b.words)
    assert tuple(a.starts) == tuple(b.starts)
    assert tuple(a.ends) == tuple(b.ends)
    assert (a.pos is None) == (b.pos is None)
    if a.pos is not None and b.pos is not None:
        assert tuple(a.pos) == tuple(b.pos)
    assert tuple(a.sentences) == tuple(b.sentences)
    assert a.settings_hash == b.settings_hash


@pytest.fixture(scope="module")
def texts(provincial_dir: Path, national_file: Path) -> list[str]:
    out = [t for _, t in _provincial_texts(provincial_dir)]
    with national_file.open(encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i % 9 == 0:  # a spread of years, traditional-free and long
                out.append(json.loads(line)["content"][:20000])
    return out


@pytest.mark.parametrize(("pos", "hmm"), [(False, False), (True, False), (True, True)])
def test_batch_equals_one_by_one_on_real_texts(texts: list[str], pos: bool, hmm: bool) -> None:
    seg = Segmenter(pos=pos, hmm=hmm)
    batch = seg.tokens_batch(texts)
    assert len(batch) == len(texts)
    _vocab_is_first_use(batch)
    for i, text in enumerate(texts):
        _same(batch.tokens(i), seg.tokens_of_text(text))


def test_pure_jieba_backend_batch() -> None:
    seg = Segmenter(pos=True, backend="jieba")
    texts = ["推进接诉即办改革。\n\n健全自治、法治、德治相结合的乡村治理体系", "", "ＡＢＣ 12345 热线"]
    batch = seg.tokens_batch(texts)
    _vocab_is_first_use(batch)
    for i, text in enumerate(texts):
        _same(batch.tokens(i), seg.tokens_of_text(text))


_ALPHABET = st.sampled_from(
    list("推进接诉即办改革自治法治德治共建共享基层治理網格員訴")
    + list("，。；！？、“”（）：:,.;!? \n\r\t\u3000")
    + list("ＡＢＣ１２３abcXYZ0123456789-_%#&+")
    + ["\x00", "\x1f", "\ufeff", "\u200b", "😀"]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet=_ALPHABET, max_size=60), min_size=0, max_size=6))
def test_batch_equals_one_by_one_on_generated_texts(texts: list[str]) -> None:
    seg = _SEG
    batch = seg.tokens_batch(texts)
    assert len(batch) == len(texts)
    _vocab_is_first_use(batch)
    for i, text in enumerate(texts):
        _same(batch.tokens(i), seg.tokens_of_text(text))


_SEG = Segmenter(pos=True)
