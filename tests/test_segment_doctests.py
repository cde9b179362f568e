"""The examples in the docstrings of the segmentation modules run as written."""

from __future__ import annotations

import doctest

import pytest

import govtext.normalize
import govtext.segment
import govtext.sentences
import govtext.stopwords
import govtext.store
import govtext.tokens
import govtext.userdict
import govtext.vocab


@pytest.mark.parametrize(
    "module",
    [
        govtext.normalize,
        govtext.segment,
        govtext.sentences,
        govtext.stopwords,
        govtext.store,
        govtext.tokens,
        govtext.userdict,
        govtext.vocab,
    ],
)
def test_segment_docstring_examples_run(module):
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
