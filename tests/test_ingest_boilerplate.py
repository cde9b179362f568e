"""Boilerplate rules on hand-made pages (own text), so they are known to generalise."""

from __future__ import annotations

from pathlib import Path

from govtext.ingest import read_corpus
from govtext.ingest.boilerplate import strip_boilerplate
from govtext.ingest.clean import genre_of, strip_licence_footer
from govtext.ingest.pages import split_page

BODY = [
    "各位代表：",
    "过去一年，我们把群众的急难愁盼当作头等大事，办成了一批看得见、摸得着的实事。",
    "今年要继续推进老旧小区改造，让更多居民住得舒心。",
]


def test_ingest_boilerplate_page_header_and_trailer_are_removed() -> None:
    page = [
        "首页", ">", "政务公开", ">", "规划计划",
        "2031年某市政府工作报告",
        "——2031年1月9日在某市第九届人民代表大会第二次会议上",
        "发布时间：", "2031-01-12 08:30",
        "来源:", "某市日报",
        "【字体：", "大", "中", "小", "】", "分享到：",
        "市长 赵一鸣",
        "市长赵一鸣作政府工作报告。本报记者 钱多多 摄",
        *BODY,
        "责任编辑：孙小小", "相关链接>>", "某市召开新闻发布会", "打印本页", "关闭窗口",
    ]  # fmt: skip
    kept, found = strip_boilerplate(page, title="2031年某市政府工作报告")
    assert kept == [
        "2031年某市政府工作报告",
        "——2031年1月9日在某市第九届人民代表大会第二次会议上",
        "市长 赵一鸣",
        *BODY,
    ]
    assert found == {"date": "2031-01-12", "source": "某市日报", "editor": "孙小小"}


def test_ingest_boilerplate_keeps_an_article_without_page_furniture() -> None:
    kept, found = strip_boilerplate(BODY[1:], title="")
    assert kept == BODY[1:] and found == {}


def test_ingest_boilerplate_breadcrumb_line_and_caption_anywhere() -> None:
    kept, _ = strip_boilerplate(["您的位置：首页 > 新闻", *BODY[1:], "图为居民在议事厅讨论方案。", *BODY[2:]])
    assert kept == [*BODY[1:], *BODY[2:]]


def test_ingest_licence_footer_is_cut_only_near_the_end() -> None:
    text = "\n\n".join(BODY) + "\n\n本作品来自某数据库，依据著作权法属于公有领域。\n\nPublic domain"
    assert strip_licence_footer(text) == ("\n\n".join(BODY), True)
    early = "本作品采用共享协议，但这里讨论的是版权制度本身。\n\n" + "\n\n".join(BODY * 30)
    assert strip_licence_footer(early) == (early, False)


def test_ingest_genre_from_title() -> None:
    assert genre_of("第九届某市人民代表大会第二次会议关于政府工作报告的决议") == "resolution"
    assert genre_of("2031年某市政府工作报告") == "report"
    assert genre_of("社区议事厅里的小事") == ""


def test_ingest_page_with_bios_notes_and_editor_note(tmp_path: Path) -> None:
    page = "\n".join(
        [
            "理论版",
            "  ◆ 让协商成为习惯",
            "    周青 吴白",
            "    议事会把分歧摆上桌面，规则先于结论。",
            "    协商的成果要写进公约，才能管长远。",
            "    【作者单位：某大学公共管理学院】",
            "  ◆ 小切口里的大治理",
            "    一件小事办好了，信任就多了一分。",
            "    接诉即办的关键在于闭环。(执笔:郑红)",
            "    本版文章由编辑部约稿，观点仅代表作者。——编者",
        ]
    )
    articles = split_page(page)
    assert articles is not None
    assert [(a.fields["title"], a.fields["authors"]) for a in articles] == [
        ("让协商成为习惯", ("周青", "吴白")),
        ("小切口里的大治理", ("郑红",)),
    ]
    assert articles[0].fields["affiliation"] == "某大学公共管理学院"
    assert articles[1].text.endswith("接诉即办的关键在于闭环。")
    assert all(
        a.fields["page_note"].endswith("——编者") and a.fields["page_header"] == "理论版" for a in articles
    )
    path = tmp_path / "page.txt"
    path.write_text(page, encoding="utf-8")
    docs = read_corpus([path]).documents
    assert [d.doc_id for d in docs] == ["page#1", "page#2"] and docs[0].meta["page"] == "page"
    assert all("编者" not in d.text for d in docs)
