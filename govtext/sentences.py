"""Sentence splitting with character offsets: the unit of evidence.

Sentences end at 。！？!? ； (and ; ) or at a line break; closing quotes and brackets
that follow the end mark stay with the sentence. Spans are half-open character
offsets into the text given; they are sorted, never overlap, start and end on a
non-blank character, and together cover every non-blank character of the text (a
property test checks this), so every character of evidence belongs to one sentence.
"""

from __future__ import annotations

import re

_END = "。！？!?；;"
_CLOSERS = re.escape("”’」』）)】》\"'")
# A sentence starts on a non-blank character that is not an end mark, runs to the end
# marks (plus closers) or to its last non-blank character before a line break; a run
# of end marks with nothing before it on the line is a sentence of its own. Blanks at
# either end are never part of the match, so no trimming pass is needed.
_SENTENCE = re.compile(
    rf"[^\s{_END}](?:[^{_END}\n]*(?:[{_END}]+[{_CLOSERS}]*|[^\s{_END}]))?|[{_END}]+[{_CLOSERS}]*"
)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return (start, end) spans of the sentences of ``text``.

    >>> t = "一是自治。二是“法治！”\\n三是德治"
    >>> [t[a:b] for a, b in split_sentences(t)]
    ['一是自治。', '二是“法治！”', '三是德治']
    """
    return [m.span() for m in _SENTENCE.finditer(text)]
