"""Lines and paragraphs: tidy whitespace, join lines broken inside a sentence.

The cleaned text keeps every character as read except whitespace: each paragraph is
one line, stripped, and the paragraphs are joined with a single newline. A line
break inside a sentence (hard-wrapped text, a wiki link on its own line) is joined.
"""

from __future__ import annotations

import re

# A line that ends with one of these closes its sentence (or is a heading-like line
# ending with a colon); a break after it is a real paragraph break.
_TERMINAL = set("。！？!?；;：:…”’」』）)】]》>")
# An enumerator alone on a line ("（一）", "3.") belongs to the text that follows it.
_ENUMERATOR = re.compile(r"[（(]?[一二三四五六七八九十\d]{1,3}[）)、.．]")
# A line that starts with one of these cannot start a sentence: it continues the previous line.
_CONTINUES = set("。，、；：！？,.;:!?）)」』”’》】")
_OPENERS = set("“‘「『（(《【")
_HEADING_MAX = 50  # headings are shorter; a longer line without final punctuation is cut mid-sentence
_SPACE = re.compile(r"[ \t\u00a0\u3000\u2002-\u200b\ufeff]+")
_BLANK_RUN = re.compile(r"\n[ \t\u00a0\u3000]*\n")
# A line holding only zero-width characters is an artefact of copying, not a paragraph break.
_ZERO_WIDTH_LINE = re.compile(r"\n[\u200b\u200c\u200d\u2060\ufeff]+(?=\n)")


def strip_line(line: str) -> str:
    """Strip ASCII, no-break and ideographic spaces (``str.strip`` misses U+200B/U+FEFF)."""
    return line.strip(" \t\r\u00a0\u3000\u2002\u2003\u2009\u200b\ufeff")


def _joiner(left: str, right: str) -> str:
    # Hard-wrapped English needs its space back; "PM" + "2.5" from a wiki link does not.
    return (
        " " if left[-1].isascii() and left[-1].isalpha() and right[0].isascii() and right[0].isalpha() else ""
    )


def _unfinished(line: str) -> bool:
    """A line that is clearly mid-sentence: a quote left open, or too long for a heading."""
    return (
        line.count("“") > line.count("”") or line.count("（") > line.count("）") or len(line) >= _HEADING_MAX
    )


def _glue(lines: list[str], *, join_open_lines: bool) -> list[str]:
    """Merge lines that continue the line before; ``join_open_lines`` also merges after
    any line not ending a sentence (right for blank-line-separated, hard-wrapped text)."""
    out: list[str] = []
    for line in lines:
        if out:
            prev = out[-1]
            open_end = prev[-1] not in _TERMINAL
            joins = (
                line[0] in _CONTINUES
                or prev[-1] in _OPENERS
                or (open_end and (join_open_lines or _unfinished(prev)))
                or (join_open_lines and _ENUMERATOR.fullmatch(prev) is not None)
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
    text = _ZERO_WIDTH_LINE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
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
