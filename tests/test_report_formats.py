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
