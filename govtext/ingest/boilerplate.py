"""Web page boilerplate: menus, breadcrumbs, share buttons, captions, source and date lines.

The rules are patterns of what such lines look like on Chinese news and government
sites, not the lines of any particular page. Source and date lines become fields.
Two positional rules frame the body: it starts at the title (or at the opening address,
各位代表) when the page has one, and it ends before a trailer (related links, the
editor's credit, print/close buttons) found in the last part of the page.
"""

from __future__ import annotations

import re

from govtext.ingest.metadata import parse_date

# Page furniture: whole lines that are buttons, menu words or font-size controls.
_MENU = re.compile(
    r"下载|打印|全屏|收藏|加大|还原|减小|放大|缩小|默认|大|中|小|[【\[]|[】\]]|"
    r"(?:分享|分享到|转发|转发到)\s*[:：]?|打印本页|打印此页|关闭窗口|关闭本页|关闭|返回顶部|返回列表|返回首页|"
    r"上一篇.*|下一篇.*|我要纠错|纠错|微信|微博|QQ空间|QQ|二维码|手机看|"
    r"[【\[]?\s*字\s*[号体]\s*[:：].*|扫一扫.*|相关附件\s*>*|相关链接\s*>*|[0-9a-f]{24,}\s*[:：]?|"
    r"(?:加大|还原|减小|放大|缩小|大|中|小)?\s*[】\]]|[>»›/]+"
)
_BREADCRUMB = re.compile(r"(?:您|你)?(?:当前|现在)?(?:所在)?的?位置\s*[:：].*|首页\s*[>»›/].*")
_BREADCRUMB_SEP = re.compile(r"[>»›/]+")
_SOURCE = re.compile(r"[（(]?\s*(?:稿件|文章|信息)?来源(?:于)?\s*[:：]\s*(?P<v>.*?)\s*[）)]?")
_DATE = re.compile(r"[（(]?\s*(?:发布|发稿|更新|成文)?(?:时间|日期)\s*[:：]\s*(?P<v>.*?)\s*[）)]?")
_BARE_DATE = re.compile(
    r"\d{4}\s*[-年/.]\s*\d{1,2}\s*[-月/.]\s*\d{1,2}\s*日?"
    r"(?:\s*\d{1,2}\s*[:时]\s*\d{1,2}\s*(?:分|[:：]\s*\d{1,2}\s*秒?)?)?"
)
_EDITOR = re.compile(
    r"[（(]?\s*(?:责任编辑|编辑|责编|审核|校对|监制|编审|终审)\s*[:：]\s*(?P<v>.*?)\s*[）)]?"
)
# Lines after which a page only has its trailer.
_TRAILER = re.compile(
    r"(?:相关报道|相关新闻|相关阅读|相关文章|延伸阅读|推荐阅读|热点推荐|更多阅读)\s*[:：]?\s*>*|"
    r"打印本页|关闭窗口|扫一扫.*|(?:责任编辑|编辑|责编)\s*[:：].*"
)
# Photo captions: a credit at the end ("本报记者 某某 摄"), or a picture note.
_CAPTION = re.compile(
    r".{0,80}(?:记者|通讯员|摄影|图/|供图)\s*[^。！？，]{0,20}?\s*摄\s*|(?:图为|图片来源|资料图).{0,80}"
)
# In the few lines between a title and the opening address, a line reporting that someone
# delivers the report is a caption too, with or without a credit.
_HEADER_CAPTION = re.compile(r".*(?:作|做)(?:政府)?工作报告.*|.*记者.*|.*[。！]$")
_SUBTITLE = re.compile(r".*(?:会议|大会)上.*|^[—―-]{1,2}.*")
_ADDRESS = re.compile(r"(?:各位代表|各位委员|同志们|女士们、先生们)\s*[：:！!，,]")
# "——2024年3月5日在…会议上" / "（2023年3月13日…会议通过）": the date a report was delivered or a
# resolution adopted. It stays in the body; it dates the document when nothing else does.
_DATED_LINE = re.compile(
    r"[（(]?\s*[—―-]*\s*(?P<d>\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|[〇零○一二三四五六七八九]{4}年[一二三四五六七八九十]{1,3}月"
    r"[一二三四五六七八九十]{1,3}日).{0,40}?(?:会议|大会)(?:上|通过|批准)?.*"
)
_SENTENCE_PUNCT = re.compile(r"[。，；！？,;!?]")


def _compact(s: str) -> str:
    return re.sub(r"\s+", "", s)


def _is_title_line(line: str, title: str) -> bool:
    a, t = _compact(line), _compact(title)
    if not a or not t or len(a) > 60:
        return False
    # "政府工作报告" stands for "2026年某省政府工作报告": a suffix of 4+ characters counts.
    return a == t or (len(a) >= 4 and t.endswith(a)) or (len(t) >= 4 and a.endswith(t))


def _value_or_next(match: re.Match[str], paras: list[str], i: int, drop: set[int]) -> str:
    value = match["v"].strip()
    if (
        not value
        and i + 1 < len(paras)
        and len(paras[i + 1]) <= 30
        and not _SENTENCE_PUNCT.search(paras[i + 1])
    ):
        drop.add(i + 1)  # "来源:" on one line, the outlet on the next
        value = paras[i + 1].strip()
    return value


def _harvest(paras: list[str], i: int, found: dict[str, str], drop: set[int]) -> bool:
    """If paras[i] is a source/date/editor line, record its value and mark it; True if it was."""
    p = paras[i]
    if len(p) > 80:
        return False
    m = _SOURCE.fullmatch(p)
    if m:
        value = _value_or_next(m, paras, i, drop)
        if value:
            found.setdefault("source", value)
        drop.add(i)
        return True
    m = _DATE.fullmatch(p)
    if m:
        value = parse_date(_value_or_next(m, paras, i, drop))
        if value:
            found.setdefault("date", value)
        drop.add(i)
        return True
    if _BARE_DATE.fullmatch(p):
        found.setdefault("date", parse_date(p))
        drop.add(i)
        return True
    m = _EDITOR.fullmatch(p)
    if m:
        value = _value_or_next(m, paras, i, drop)
        if value:
            found.setdefault("editor", value)
        drop.add(i)
        return True
    return False


def _body_start(paras: list[str], title: str) -> tuple[int, int]:
    """(index of the title line or -1, index of the opening address or -1)."""
    address = next((i for i, p in enumerate(paras) if _ADDRESS.match(p)), -1)
    limit = address if address >= 0 else min(len(paras), 30)
    title_at = -1
    if title:
        for i in range(limit):
            if _is_title_line(paras[i], title):
                title_at = i  # the last one before the address: pages often repeat the title
    return title_at, address


def strip_boilerplate(paras: list[str], *, title: str = "") -> tuple[list[str], dict[str, str]]:
    """Remove boilerplate paragraphs; return the rest and the fields found (source, date, editor).

    >>> strip_boilerplate(["打印", "来源：某某日报", "正文第一段。"])
    (['正文第一段。'], {'source': '某某日报'})
    """
    found: dict[str, str] = {}
    drop: set[int] = set()
    n = len(paras)
    title_at, address = _body_start(paras, title)
    start = title_at if title_at >= 0 else max(address, 0)
    # Before the body: harvest fields, keep nothing.
    for i in range(start):
        if i not in drop:
            _harvest(paras, i, found, drop)
        drop.add(i)
    # Between the title and the opening address: keep subtitle and speaker lines only.
    if title_at >= 0 and address > title_at:
        for i in range(title_at + 1, address):
            if i in drop or _harvest(paras, i, found, drop):
                continue
            p = paras[i]
            keep = _SUBTITLE.match(p) or (
                len(p) <= 30
                and not _HEADER_CAPTION.fullmatch(p)
                and not _MENU.fullmatch(p)
                and not _CAPTION.fullmatch(p)
            )
            if not keep:
                drop.add(i)
    # Everywhere: furniture, breadcrumbs, captions, source/date lines.
    total = sum(len(p) for p in paras) or 1
    seen = 0
    cut = n
    for i in range(start, n):
        p = paras[i]
        seen += len(p)
        if i in drop:
            continue
        if i > start and seen > 0.7 * total and _TRAILER.fullmatch(p):
            _harvest(paras, i, found, drop)
            cut = i
            break
        if _MENU.fullmatch(p) or _BREADCRUMB.fullmatch(p) or _CAPTION.fullmatch(p):
            drop.add(i)
            if _BREADCRUMB_SEP.fullmatch(p):
                # a breadcrumb spread over lines: 首页 / > / 栏目 / > / 子栏目
                for j in (i - 1, i + 1):
                    if start <= j < n and len(paras[j]) <= 20 and not _SENTENCE_PUNCT.search(paras[j]):
                        drop.add(j)
            continue
        _harvest(paras, i, found, drop)
    kept = [p for i, p in enumerate(paras[:cut]) if i not in drop]
    if "date" not in found:
        for p in kept[:6]:
            m = _DATED_LINE.fullmatch(p) if len(p) <= 80 else None
            if m:
                found["date"] = parse_date(m["d"])
                break
    return kept, found
