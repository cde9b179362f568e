"""The examples in the docstrings of the segmentation modules run as written."""

from __future__ import annotations

import doctest

import pytest

import govtext.segment
import govtext.sentences
import govtext.store
import govtext.vocab


@pytest.mark.parametrize("module", [govtext.segment, govtext.sentences, govtext.store, govtext.vocab])
def test_segment_docstring_examples_run(module):
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
