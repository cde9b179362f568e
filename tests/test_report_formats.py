"""`run` and `report` write the same default formats; the workbook is one a scholar can use."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from govtext.pipeline import PipelineConfig, ReportConfig, default_pipeline, run_pipeline
from govtext.report import FORMATS


@pytest.fixture(scope="module")
def run_out(tmp_path_factory: pytest.TempPathFactory, sample_corpus: Path) -> Path:
    cfg = PipelineConfig(name="formats")
    cfg.topics.enabled = False
    out = tmp_path_factory.mktemp("run") / "out"
    run_pipeline(cfg, [sample_corpus], by="year", out=out)
    return out


def test_report_formats_run_defaults_are_reports(run_out: Path) -> None:
    assert list(ReportConfig().formats) == list(FORMATS)
    assert list(default_pipeline().report.formats) == list(FORMATS)
    assert (run_out / "report.xlsx").is_file()
    assert {p.suffix for p in (run_out / "figures").iterdir()} == {".png", ".svg"}


def test_report_formats_xlsx_has_filters_formats_and_numeric_years(run_out: Path) -> None:
    wb = load_workbook(run_out / "report.xlsx")
    ws = wb["theme_density"]
    header = [c.value for c in ws[1]]
    assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
    assert ws.freeze_panes == "A2"
    col = header.index("density_per_10k") + 1
    assert ws.cell(row=2, column=col).number_format == "#,##0.00"
    share = header.index("share_docs") + 1
    assert ws.cell(row=2, column=share).number_format == "0.0%"
    hits = header.index("hits") + 1
    assert ws.cell(row=2, column=hits).number_format == "#,##0"
    assert header[0] == "year"  # the grouping field under its own name
    assert isinstance(ws.cell(row=2, column=1).value, int)  # years by year: numbers


def test_report_formats_font_found_when_matplotlib_cache_is_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    # A font cache written before the CJK font was installed lists no CJK font at all.
    import shutil
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    from govtext.report.fonts import _has_glyphs, find_cjk_font

    if shutil.which("fc-list") is None:
        pytest.fail("fontconfig's fc-list is missing: apt-get install fontconfig (scripts/test does)")
    stale = [e for e in font_manager.fontManager.ttflist if not _has_glyphs(e.fname)]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)
    font = find_cjk_font()
    assert font is not None and _has_glyphs(font.path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph … missing from font" must not happen
        fig, ax = plt.subplots()
        ax.set_title("治理主题", fontfamily=font.family)
        fig.canvas.draw()
    plt.close(fig)


def test_report_formats_framework_chart_shows_counts() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import pandas as pd

    import govtext
    from govtext.compare import framework_balance
    from govtext.report import charts

    tagged = govtext.tag(
        pd.DataFrame(
            {"text": ["推进居民自治。" * 8 + "坚持依法治理。" * 3, "推进居民自治。"], "k": ["甲", "乙"]}
        )
    )
    themes = pd.DataFrame(
        [
            {"theme": t.id, "name": t.name, "framework": t.framework, "framework_name": t.framework}
            for t in govtext.load_dictionary().themes.values()
        ]
    )
    fig = charts.framework_balance(
        framework_balance(tagged.scores, tagged.documents, themes, "k"), ["甲", "乙"], None
    )
    ax = fig.axes[0]  # 三治融合
    labels = [t.get_text() for t in ax.texts]
    assert "n=11" in labels and "n=1" in labels  # a one-hit bar says it rests on one hit
    assert "8" in labels and "3" in labels
    faint = [p.get_alpha() for p in ax.patches if p.get_width() > 0.99]
    assert faint == [0.35]  # only the one-hit group's full bar is faint


def test_report_formats_methods_appendix_is_readable(run_out: Path) -> None:
    html = (run_out / "index.html").read_text(encoding="utf-8")
    start = html.index('<section id="methods">')
    methods = html[start : html.index("</section>", start)]
    assert len(methods) < 0.1 * len(html)  # not a dump of run.json
    assert '<a href="run.json">run.json</a>' in methods
    for heading in ("Corpus", "Theme dictionary", "Segmentation", "Software"):
        assert f"<h3>{heading}</h3>" in methods
    assert "settings.pipeline" not in methods  # no flattened dotted keys
    md = (run_out / "report.md").read_text(encoding="utf-8")
    assert "### Theme dictionary" in md


def test_report_formats_xlsx_reads_back_every_cell(tmp_path: Path) -> None:
    """The workbook is written directly (openpyxl's cell objects took 10 CPU-s for the
    111,000 rows of ../shared/corpus): every value, type, format and odd text reads back."""
    import math

    import numpy as np
    import pandas as pd

    from govtext.report.io import write_xlsx

    odd = pd.DataFrame(
        {
            "year": ["2024", "2025", "北京<&>", None],  # a metadata year kept as text
            "text": ['a "quoted" <b>&amp;</b>', "=SUM(A1)", "控制\x01字符", ""],
            "n": [1, -2, 3, 10**12],
            "share_docs": [0.5, float("nan"), 1.0, 0.0],
            "p": [0.01, 1e-300, 0.5, 1.0],
            "x": [2.8112196659312954, -0.1, float("inf"), 3.0],
            "flag": [True, False, True, False],
        }
    )
    rng = np.random.default_rng(0)
    big = pd.DataFrame(
        {
            "doc_id": [f"d{i}" for i in range(100_000)],
            "theme": rng.choice(["法治", "rule_of_law", "自治"], 100_000),
            "hits": rng.integers(0, 50, 100_000),
            "density_per_10k": rng.random(100_000) * 10,
        }
    )
    path = write_xlsx(tmp_path / "t.xlsx", {"odd/sheet": odd, "big": big, "empty": pd.DataFrame()})
    wb = load_workbook(path)
    assert wb.sheetnames == ["odd_sheet", "big", "empty"]
    ws = wb["odd_sheet"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:G5"
    assert [c.value for c in ws[1]] == list(odd.columns) and all(c.font.b for c in ws[1])
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert [r[0] for r in rows] == [2024, 2025, "北京<&>", None]  # years are numbers
    assert [r[1] for r in rows] == ['a "quoted" <b>&amp;</b>', "'=SUM(A1)", "控制字符", None]
    assert [r[2] for r in rows] == [1, -2, 3, 10**12]
    assert rows[1][3] is None and ws["D2"].number_format == "0.0%" and ws["D3"].number_format == "0.0%"
    assert ws["C2"].number_format == "#,##0" and ws["E2"].number_format == "0.0000"
    assert rows[0][5] == 2.811219665931295 and rows[2][5] is None  # openpyxl's %.16g; inf left empty
    assert [r[6] for r in rows] == [True, False, True, False]
    assert not any(math.isnan(v) for r in rows for v in r if isinstance(v, float))
    big_ws = wb["big"]
    assert big_ws.max_row == 100_001 and big_ws["B3"].value == big["theme"][1]
    assert big_ws["D100001"].value == float(format(big["density_per_10k"].iloc[-1], ".16g"))
    assert big_ws.column_dimensions["A"].width == 8  # "doc_id" + 2


def test_report_formats_xlsx_sheets_in_blocks_are_one_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sheet is written a block of rows at a time (issue 20: the workbook's memory); the
    blocks make the same parts as one block would, and the zip's order is fixed: the
    sheets, then the parts that name them."""
    import zipfile

    import numpy as np
    import pandas as pd

    from govtext.report import io as report_io

    n = 1_234
    frame = pd.DataFrame(
        {
            "doc_id": [f"d{i % 40}" for i in range(n)],
            "year": [str(2000 + i % 9) if i % 5 else "未知" for i in range(n)],
            "text": [("法治<&>" * (i % 3)) or None for i in range(n)],
            "hits": np.arange(n),
            "share": [float("nan") if i % 7 == 0 else i / n for i in range(n)],
        }
    )
    tables = {"big": frame, "small": frame.head(3), "empty": pd.DataFrame()}

    def parts(name: str) -> tuple[list[str], dict[str, bytes]]:
        with zipfile.ZipFile(report_io.write_xlsx(tmp_path / name, tables)) as zf:
            return [i.filename for i in zf.infolist()], {i.filename: zf.read(i) for i in zf.infolist()}

    order, whole = parts("whole.xlsx")
    monkeypatch.setattr(report_io, "_SHEET_ROWS", 100)
    order_blocks, blocks = parts("blocks.xlsx")
    assert blocks == whole and order_blocks == order
    assert order == [
        "xl/worksheets/sheet1.xml",
        "xl/worksheets/sheet2.xml",
        "xl/worksheets/sheet3.xml",
        "[Content_Types].xml",
        "_rels/.rels",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "xl/styles.xml",
    ]
    assert (tmp_path / "whole.xlsx").read_bytes() == report_io.write_xlsx(
        tmp_path / "again.xlsx", tables
    ).read_bytes()
    assert load_workbook(tmp_path / "blocks.xlsx")["big"].max_row == n + 1


def test_report_formats_xlsx_int_and_bool_columns_as_cell_by_cell() -> None:
    """Integer columns within ±2^53 are written by str() and boolean columns without the
    per-cell checks (issue 20): the same cells as ``_cell_xml`` gives one by one."""
    import numpy as np
    import pandas as pd
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    from govtext.report.io import _cell_xml, _column_cells

    columns = [
        pd.Series(np.array([0, -1, 2**53, -(2**53), 10**15 + 7], dtype=np.int64)),
        pd.Series(np.array([2**53 + 1, 10**17, -(10**16) - 3], dtype=np.int64)),  # "%.16g" rounds these
        pd.Series(np.array([2**64 - 1, 5], dtype=np.uint64)),
        pd.Series(np.array([3, 4], dtype=np.int8)),
        pd.Series(np.array([True, False, True])),
        pd.Series(np.array([], dtype=np.int64)),
    ]
    for column in columns:
        for style in ("", ' s="2"'):
            cells = _column_cells(column, "C", style, False, ILLEGAL_CHARACTERS_RE, 7)
            one_by_one = [
                _cell_xml(f"C{r}", v, style, ILLEGAL_CHARACTERS_RE) for r, v in enumerate(column.tolist(), 7)
            ]
            assert cells == one_by_one


def test_report_formats_xlsx_illegal_characters_as_openpyxl() -> None:
    """The workbook drops the characters openpyxl refuses, by openpyxl's own pattern
    (copied so the report's child need not import openpyxl)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE as theirs

    from govtext.report.io import ILLEGAL_CHARACTERS_RE as ours

    assert (ours.pattern, ours.flags) == (theirs.pattern, theirs.flags)
    every = (
        "".join(map(chr, range(0x110000))).encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")
    )
    assert ours.sub("", every) == theirs.sub("", every)


def _md_escape_by_steps(text: object) -> str:
    """md_escape as it was written first (replace, regex, replace): the rule it keeps."""
    import re

    s = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = re.sub(r"([\\`*_\[\]|#{}])", r"\\\1", s)
    return s.replace("\r", " ").replace("\n", " ")


def _fmt_before(value: object, column: str = "") -> str:
    """fmt before its fast paths for text and int cells."""
    from govtext.report.render import fmt

    if value is None or type(value).__name__ == "NAType":
        return "–"
    if type(value) in (str, int):
        return str(value)
    return fmt(value, column)


def test_report_formats_markdown_cells_escaped_in_one_pass_as_by_steps() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from govtext.report.render import fmt, md_escape

    @settings(max_examples=300, deadline=None)
    @given(
        st.text(alphabet=st.sampled_from(list("&<>\\`*_[]|#{}\r\n a治;")), max_size=30) | st.text(max_size=30)
    )
    def same(text: str) -> None:
        assert md_escape(text) == _md_escape_by_steps(text)

    same()
    import numpy as np
    import pandas as pd

    for value in (
        "依法治国",
        "",
        3,
        True,
        np.int64(4),
        2.5,
        np.float64(0.1234),
        None,
        pd.NA,
        float("nan"),
        ("a", "b"),
    ):
        for column in ("share", "p", "hits", ""):
            assert fmt(value, column) == _fmt_before(value, column)
