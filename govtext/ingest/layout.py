"""Lines and paragraphs: tidy whitespace, join lines broken inside a sentence.

The cleaned text keeps every character as read except whitespace: each paragraph is
one line, stripped, and the paragraphs are joined with a single newline. A line
break inside a sentence (hard-wrapped text, a wiki link on its own line) is joined.
"""

from __future__ import annotations

import re

# A line that ends with one of these closes its sentence (or is a heading-like line
# ending with a colon); a break after it is a real paragraph break.
_TERMINAL = set("。！？!?；;：:…”’」』）)】]》>—")
# A line that starts with one of these cannot start a sentence: it continues the previous line.
_CONTINUES = set("。，、；：！？,.;:!?）)」』”’》】")
_OPENERS = set("“‘「『（(《【")
_SPACE = re.compile(r"[ \t\u00a0\u3000\u2002-\u200b\ufeff]+")
_BLANK_RUN = re.compile(r"\n[ \t\u00a0\u3000\u200b\ufeff]*\n")


def strip_line(line: str) -> str:
    """Strip ASCII, no-break and ideographic spaces (``str.strip`` misses U+200B/U+FEFF)."""
    return line.strip(" \t\r\u00a0\u3000\u2002\u2003\u2009\u200b\ufeff")


def _ascii_word(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _joiner(left: str, right: str) -> str:
    return " " if _ascii_word(left[-1]) and _ascii_word(right[0]) else ""


def _glue(lines: list[str], *, join_open_lines: bool) -> list[str]:
    """Merge lines that continue the line before; ``join_open_lines`` also merges after
    any line not ending a sentence (right for blank-line-separated, hard-wrapped text)."""
    out: list[str] = []
    for line in lines:
        if out:
            prev = out[-1]
            joins = (
                line[0] in _CONTINUES
                or prev[-1] in _OPENERS
                or (join_open_lines and prev[-1] not in _TERMINAL)
            )
            if joins:
                out[-1] = prev + _joiner(prev, line) + line
                continue
        out.append(line)
    return out


def paragraphs_of(text: str) -> list[str]:
    """The paragraphs of ``text``.

    If the text separates paragraphs with blank lines, a single newline inside a block
    is a line wrap unless the line before ends a sentence; otherwise every non-blank
    line is a paragraph, and only lines that cannot start a sentence are joined.

    >>> paragraphs_of("第一段开头\\n接着写完。\\n\\n第二段。")
    ['第一段开头接着写完。', '第二段。']
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _BLANK_RUN.search(text.strip()):
        paras: list[str] = []
        for block in _BLANK_RUN.split(text):
            lines = [s for s in (strip_line(x) for x in block.split("\n")) if s]
            paras.extend(_glue(lines, join_open_lines=True))
        return _glue(paras, join_open_lines=False)
    lines = [s for s in (strip_line(x) for x in text.split("\n")) if s]
    return _glue(lines, join_open_lines=False)


def join_paragraphs(paras: list[str]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Text with one paragraph per line, and the paragraphs' spans in it."""
    spans = []
    pos = 0
    for p in paras:
        spans.append((pos, pos + len(p)))
        pos += len(p) + 1
    return "\n".join(paras), tuple(spans)
