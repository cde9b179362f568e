"""Golden tokens of sentences the project wrote, with and without the governance
dictionary: a jieba upgrade or a dictionary edit shows up as a readable diff.

Regenerate after a deliberate change with GOVTEXT_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from govtext.segment import Segmenter

GOLDEN = Path(__file__).parent / "golden"
SENTENCES = GOLDEN / "segment_sentences.txt"


def _sentences() -> list[str]:
    lines = SENTENCES.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def _render(segmenter: Segmenter, pos: bool) -> str:
    out = []
    for sentence in _sentences():
        if pos:
            out.append(" ".join(f"{w}/{t}" for w, t in segmenter.tag(sentence)))
        else:
            out.append(" / ".join(segmenter.cut(sentence)))
    return "\n".join(out) + "\n"


CASES = {
    "segment_tokens_governance.txt": (dict(), False),
    "segment_tokens_plain.txt": (dict(use_default_dict=False), False),
    "segment_pos_governance.txt": (dict(pos=True), True),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("backend", ["rjieba", "jieba"])
def test_segment_golden_tokens(name, backend):
    params, pos = CASES[name]
    got = _render(Segmenter(backend=backend, **params), pos)
    path = GOLDEN / name
    if os.environ.get("GOVTEXT_UPDATE_GOLDEN") and backend == "jieba":
        path.write_text(got, encoding="utf-8")
    assert got.splitlines() == path.read_text(encoding="utf-8").splitlines()


def test_segment_golden_dictionary_keeps_slogans_that_plain_jieba_splits():
    gov = (GOLDEN / "segment_tokens_governance.txt").read_text(encoding="utf-8")
    plain = (GOLDEN / "segment_tokens_plain.txt").read_text(encoding="utf-8")
    for slogan in ("接诉即办", "吹哨报到", "未诉先办", "双报到", "基层群众自治", "议事协商"):
        assert f" {slogan} " in f" {gov.replace(chr(10), ' ')} "
        assert f" {slogan} " not in f" {plain.replace(chr(10), ' ')} "
