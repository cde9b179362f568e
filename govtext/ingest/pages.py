"""Multi-article pages: a page holding several articles, each under a bullet title.

Newspaper theory pages and digests put several articles on one page: a page header,
then for each article a bullet line (• ● ◆ ■ …) with its title, an author line or a
drafting note, its paragraphs and an author bio in brackets; an editor's note signed
——编者 may close the page. :func:`split_page` finds that shape in any plain text and
returns the articles with their titles, authors, bios (``affiliation``) and the
page-level note; it returns None for a text that is not such a page (fewer than two
bullets, a bullet with under two paragraphs, or fewer than half of the parts signed by
an author line, a drafting note or a bio, which is what one article with bulleted
sections looks like).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from govtext.ingest.layout import paragraphs_of, strip_line

_BULLET = re.compile(r"[•●◆■▪◇□►▶☆★·▲]\s*(?P<title>\S.{0,58})")
_MIN_ARTICLE_PARAS = 2  # a bullet with fewer paragraphs under it is a list item, not an article
_EDITOR_NOTE = re.compile(r".*[—―-]{1,2}\s*编\s*者\s*(?:按)?\s*[)）]?|编者按\s*[:：].*")
_DRAFTING = re.compile(r"[（(]\s*(?:执笔|撰稿|作者)\s*[:：]\s*(?P<names>[^（）()]{2,40})[）)]\s*$")
_BIO_BRACKETS = {"（": "）", "(": ")", "【": "】", "[": "]", "〔": "〕"}
_BIO_LEAD = re.compile(r"作者(?:为|系|是|单位\s*[:：]?|简介\s*[:：]?)?\s*")
_NAME = r"[\u4e00-\u9fff]{2,4}(?:[·•][\u4e00-\u9fff]{1,6})?"
_BYLINE = re.compile(
    rf"(?:(?:作者|文|撰文|记者|本报记者)\s*[:：/／]?\s*)?(?P<names>{_NAME}(?:\s*[、，,\s]\s*{_NAME}){{0,5}})"
)


@dataclass
class Article:
    text: str
    fields: dict[str, Any] = field(default_factory=dict)


def _names(s: str) -> list[str]:
    return [n for n in re.split(r"[\s、，,]+", s.strip()) if n]


def _bio(para: str) -> str | None:
    """The bio inside '（作者为…）' / '【作者为…】', without its lead words; None if not a bio."""
    if len(para) < 4 or para[0] not in _BIO_BRACKETS or not para.endswith(_BIO_BRACKETS[para[0]]):
        return None
    inner = para[1:-1].strip()
    if not inner.startswith("作者"):
        return None
    return _BIO_LEAD.sub("", inner, count=1).strip() or None


def _article(title: str, paras: list[str]) -> tuple[Article, bool]:
    """The article under a bullet title, and whether it carried a byline, drafting note or bio."""
    fields: dict[str, Any] = {"title": title}
    authors: list[str] = []
    if paras:
        m = _BYLINE.fullmatch(paras[0])
        if m and len(paras[0]) <= 30:
            authors = _names(m["names"])
            paras = paras[1:]
    bios = []
    kept = []
    for p in paras:
        bio = _bio(p)
        if bio is not None:
            bios.append(bio)
            continue
        m = _DRAFTING.search(p)
        if m:
            authors.extend(_names(m["names"]))
            p = strip_line(p[: m.start()])
            if not p:
                continue
        kept.append(p)
    if authors:
        fields["authors"] = tuple(dict.fromkeys(authors))
    if bios:
        fields["affiliation"] = "；".join(bios)
    return Article("\n".join(kept), fields), bool(authors or bios)


def split_page(text: str) -> list[Article] | None:
    """The articles of a multi-article page, or None if ``text`` is not one.

    >>> page = "栏目\\n• 标题甲\\n王五\\n第一段。\\n第二段。\\n• 标题乙\\n第一段。\\n第二段。(执笔:赵六)\\n说明。——编者"
    >>> [(a.fields["title"], a.fields["authors"]) for a in split_page(page)]
    [('标题甲', ('王五',)), ('标题乙', ('赵六',))]
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    heads = []
    for i, line in enumerate(lines):
        m = _BULLET.fullmatch(strip_line(line))
        if m and not re.search(r"[。！？]$", m["title"]):
            heads.append((i, strip_line(m["title"])))
    if len(heads) < 2:
        return None
    header = paragraphs_of("\n".join(lines[: heads[0][0]]))
    notes: list[str] = []
    articles = []
    n_signed = 0
    bounds = [*(i for i, _ in heads), len(lines)]
    for (start, title), end in zip(heads, bounds[1:], strict=True):
        paras = []
        for p in paragraphs_of("\n".join(lines[start + 1 : end])):
            if _EDITOR_NOTE.fullmatch(p):
                notes.append(p)  # the editor speaks for the page, not for this article
            else:
                paras.append(p)
        if len(paras) < _MIN_ARTICLE_PARAS:
            return None
        article, signed = _article(title, paras)
        articles.append(article)
        n_signed += signed
    # One article with bulleted sections looks the same; a page of articles names its authors.
    if n_signed * 2 < len(articles):
        return None
    page_fields: dict[str, Any] = {}
    if header:
        page_fields["page_header"] = " / ".join(header)
    if notes:
        page_fields["page_note"] = "\n".join(notes)
    for art in articles:
        art.fields = {**page_fields, **art.fields}
    return articles
