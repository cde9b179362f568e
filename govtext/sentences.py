"""Sentence splitting with character offsets: the unit of evidence.

Sentences end at 。！？!? ； (and ; ), at a line break, or at …… ; closing quotes and
brackets that follow the end mark stay with the sentence. Spans are half-open
character offsets into the text given, cover every non-blank character, and never
include the leading/trailing whitespace of a line.
"""

from __future__ import annotations

import re

_END = "。！？!?；;"
_CLOSERS = "”’」』）)】》\"'"
# One sentence: a run without end marks or newlines, then optional end marks, then closers.
_SENTENCE = re.compile(
    rf"[^{_END}\n]+(?:[{_END}]+|……)?[{re.escape(_CLOSERS)}]*|[{_END}]+[{re.escape(_CLOSERS)}]*"
)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return (start, end) spans of the sentences of ``text``.

    >>> t = "一是自治。二是“法治！”\\n三是德治"
    >>> [t[a:b] for a, b in split_sentences(t)]
    ['一是自治。', '二是“法治！”', '三是德治']
    """
    spans = []
    for m in _SENTENCE.finditer(text):
        a, b = m.span()
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            spans.append((a, b))
    return spans
