"""write_report on a hand-made RunResult: every format, escaping, atomic files, run.json."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from report_fixtures import make_doc_term_counts, make_result, small_figure

from govtext.compare import compare_all
from govtext.errors import ConfigError
from govtext.report import write_report


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    result = make_result()
    result.tables = compare_all(result, make_doc_term_counts(result.corpus.documents))
    out = tmp_path_factory.mktemp("report")
    return out, write_report(result, out)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_report_writes_every_format(written: tuple[Path, dict[str, Path]]) -> None:
    out, files = written
    for key in (
        "html",
        "md",
        "json",
        "xlsx",
        "csv:theme_density",
        "csv:evidence",
        "svg:heatmap",
        "png:heatmap",
    ):
        assert key in files, key
        assert files[key].is_file() and files[key].stat().st_size > 0
        assert files[key].resolve().is_relative_to(out.resolve())
    assert (out / "index.html").is_file() and (out / "report.md").is_file()
    # Nothing half-written is left behind.
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_report_html_loads_nothing_external(written: tuple[Path, dict[str, Path]]) -> None:
    html = written[1]["html"].read_text(encoding="utf-8")
    parser = _Collector()
    parser.feed(html)
    refs = [
        (tag, name, value)
        for tag, attrs in parser.tags
        for name, value in attrs.items()
        if name.split(":")[-1] in ("src", "href", "srcset", "data", "action", "poster") and value is not None
    ]
    assert refs, "expected internal links (evidence → documents)"
    for tag, name, value in refs:
        # in-page anchors, or run.json written beside the page (a local file, no network)
        local = value == "run.json" and (written[1]["html"].parent / value).is_file()
        assert value.startswith("#") or local, f"<{tag} {name}={value!r}> is not an in-page reference"
    for value in re.findall(r"url\(\s*['\"]?([^)'\"]*)", html):
        assert value.startswith("#"), f"url({value}) is not an in-page reference"
    assert "@import" not in html
    assert not [t for t, _ in parser.tags if t in ("script", "link", "iframe", "img", "object", "embed")]


def test_report_html_escapes_document_text(written: tuple[Path, dict[str, Path]]) -> None:
    html = written[1]["html"].read_text(encoding="utf-8")
    assert "<script>" not in html and "alert(" not in html.replace("alert(&#34;", "")
    assert "&lt;script&gt;" in html
    # Template syntax in a document is shown as written, never evaluated.
    assert "{{ 7*7 }}" in html and ">49<" not in html
    md = written[1]["md"].read_text(encoding="utf-8")
    assert "<script>" not in md and "&lt;script&gt;" in md


def test_report_html_shows_chinese_themes_and_evidence(written: tuple[Path, dict[str, Path]]) -> None:
    html = written[1]["html"].read_text(encoding="utf-8")
    parser = _Collector()
    parser.feed(html)
    text = "".join(parser.text)
    for name in ("自治", "法治", "德治", "党建引领", "吹哨报到", "接诉即办", "三治融合", "北京", "浙江"):
        assert name in text
    assert "<mark>吹哨报到</mark>" in html
    anchors = {a["id"] for _, a in parser.tags if a.get("id")}
    links = {a["href"][1:] for t, a in parser.tags if t == "a" and (a.get("href") or "").startswith("#doc-")}
    assert links and links <= anchors, "every evidence link points at a listed document"


def test_report_csv_has_bom_and_neutralised_formulas(tmp_path: Path) -> None:
    result = make_result()
    result.tables = {
        **compare_all(result),
        "danger": pd.DataFrame({"cell": ["=1+2", "+SUM(A1)", "-x", "@cmd", "plain"], "n": [-1, 2, 3, 4, 5]}),
    }
    files = write_report(result, tmp_path, formats=("csv", "xlsx"))
    raw = files["csv:danger"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(files["csv:danger"], encoding="utf-8-sig")
    assert list(back["cell"]) == ["'=1+2", "'+SUM(A1)", "'-x", "'@cmd", "plain"]
    assert list(back["n"]) == [-1, 2, 3, 4, 5]  # numbers stay numbers
    density = pd.read_csv(files["csv:theme_density"], encoding="utf-8-sig")
    assert "接诉即办" in set(density["name"])

    from openpyxl import load_workbook

    wb = load_workbook(files["xlsx"])
    assert {"theme_density", "framework_balance", "danger", "evidence", "documents"} <= set(wb.sheetnames)
    ws = wb["danger"]
    assert [c.value for c in ws["A"]][1:] == ["'=1+2", "'+SUM(A1)", "'-x", "'@cmd", "plain"]
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_report_run_json_is_deterministic_and_counts(tmp_path: Path) -> None:
    result = make_result()
    a = write_report(result, tmp_path / "a", formats=("json",))
    b = write_report(result, tmp_path / "b", formats=("json",))
    text = a["json"].read_text(encoding="utf-8")
    assert text == b["json"].read_text(encoding="utf-8")
    info = json.loads(text)
    assert list(info) == sorted(info)
    assert info["counts"]["documents"] == len(result.documents)
    assert info["counts"]["hits"] == len(result.hits)
    assert info["counts"]["files_failed"] == 1
    assert info["settings"]["dictionary"]["sha256"] == result.settings["dictionary"]["sha256"]
    assert info["corpus_hash"] == result.corpus.hash()


def test_report_methods_appendix_has_run_json_facts(written: tuple[Path, dict[str, Path]]) -> None:
    info = json.loads(written[1]["json"].read_text(encoding="utf-8"))
    html = written[1]["html"].read_text(encoding="utf-8")
    methods = html.split('id="methods"')[1].split("</section>")[0]
    for label in ("corpus hash", "HMM for unknown words", "documents", "Theme dictionary"):
        assert label in methods  # the facts a methods section cites, under readable names
    assert "settings.dictionary" not in methods  # no flattened run.json keys
    assert info["settings"]["dictionary"]["sha256"] in methods
    assert info["corpus_hash"] in methods


def test_report_rejects_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'pdf'"):
        write_report(make_result(), tmp_path, formats=("html", "pdf"))


def test_report_escapes_hostile_group_labels(tmp_path: Path) -> None:
    result = make_result()
    docs = result.documents.copy()
    docs.loc[docs["province"] == "四川", "province"] = "<script>alert(1)</script>{{ 6*7 }}"
    result.documents = docs
    files = write_report(result, tmp_path, formats=("html", "md", "figures"))
    html = files["html"].read_text(encoding="utf-8")
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;{{ 6*7 }}" in html
    assert "<script" not in files["md"].read_text(encoding="utf-8")
    assert "<script" not in files["svg:heatmap"].read_text(encoding="utf-8")


def test_report_without_cjk_font_says_so_and_keeps_svg_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import govtext.report as report

    monkeypatch.setattr(report, "find_cjk_font", lambda name=None: None)
    with pytest.warns(report.ReportWarning, match="No CJK font"):
        files = write_report(make_result(), tmp_path, formats=("html", "json", "figures"))
    assert files.warnings and "fonts-noto-cjk" in files.warnings[0]
    info = json.loads(files["json"].read_text(encoding="utf-8"))
    assert info["warnings"] == files.warnings and info["report"]["font"] is None
    assert "No CJK font" in files["html"].read_text(encoding="utf-8")
    svg = files["svg:trend"].read_text(encoding="utf-8")
    assert "<text" in svg and "三治融合" in svg  # text stays text for the browser to draw
    assert files["png:trend"].stat().st_size > 0


def test_report_named_font_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"No Such Font Sans.*CJK fonts found"):
        write_report(make_result(), tmp_path, formats=("figures",), font="No Such Font Sans")


def test_report_crash_while_writing_leaves_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    first = write_report(make_result(), tmp_path, formats=("json",))["json"]
    before = first.read_bytes()
    listing = sorted(p.name for p in tmp_path.iterdir())

    def boom(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    result = make_result()
    result.name = "changed"
    with pytest.raises(OSError, match="disk full"):
        write_report(result, tmp_path, formats=("json",))
    assert first.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == listing
    assert not [p for p in tmp_path.parent.iterdir() if ".staging-" in p.name]


class _FakeTopics:
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "topic": [0, 1],
                "label": ["接诉即办", "三治融合"],
                "terms": ["诉求 热线 办理", "自治 法治 德治"],
            }
        )

    def prevalence_by(self, documents: pd.DataFrame, field: str) -> pd.DataFrame:
        # Long form, as govtext.topics gives it: field, topic, label, prevalence, n_units.
        rows = [
            (g, t, label, share, 3)
            for g in sorted(set(documents[field]))
            for t, label, share in ((0, "接诉即办", 0.25), (1, "三治融合", 0.75))
        ]
        return pd.DataFrame(rows, columns=[field, "topic", "label", "prevalence", "n_units"])


def test_report_shows_topic_tables(tmp_path: Path) -> None:
    result = make_result()
    result.topic_model = _FakeTopics()
    files = write_report(result, tmp_path, formats=("html", "md", "csv"))
    assert "csv:topics" in files and "csv:topic_prevalence" in files
    html = files["html"].read_text(encoding="utf-8")
    topics = html.split('id="topics"')[1].split("</section>")[0]
    assert "诉求 热线 办理" in topics and "浙江" in topics
    # Prevalence is shown as groups × topics, shares in percent.
    prevalence = topics.split('id="table-topic_prevalence"')[1].split("</table>")[0]
    assert ">1 三治融合</th>" in prevalence and '<th scope="row">浙江</th>' in prevalence
    assert ">75.0%</td>" in prevalence
    assert "## Topics" in files["md"].read_text(encoding="utf-8")


def test_report_hides_share_table_when_groups_hold_one_document(tmp_path: Path) -> None:
    result = make_result(by="doc_id")
    html = write_report(result, tmp_path, formats=("html",))["html"].read_text(encoding="utf-8")
    assert 'id="table-density"' in html and 'id="table-share"' not in html
    assert "0 or 100%" in html


def test_report_with_no_hits_and_one_group(tmp_path: Path) -> None:
    empty = make_result()
    empty.hits = empty.hits.iloc[0:0]
    empty.scores = empty.scores.iloc[0:0]
    files = write_report(empty, tmp_path / "empty", formats=("html", "md", "csv", "json", "xlsx", "figures"))
    html = files["html"].read_text(encoding="utf-8")
    assert "No sentence carries this theme." in html and 'id="table-density"' in html
    assert json.loads(files["json"].read_text(encoding="utf-8"))["counts"]["hits"] == 0
    one = write_report(make_result(by="source"), tmp_path / "one", formats=("html",))
    assert '<th scope="row">测试</th>' in one["html"].read_text(encoding="utf-8")


def test_report_density_cells_carry_counts_and_interval(written: tuple[Path, dict[str, Path]]) -> None:
    html = written[1]["html"].read_text(encoding="utf-8")
    density = html.split('id="table-density"')[1].split("</table>")[0]
    tips = re.findall(r'title="([^"]*)"', density)
    assert len(tips) == 3 * 12
    assert any(t.startswith("接诉即办: 2 hits in") and "95% CI" in t for t in tips)


def test_report_many_groups_and_documents_stay_readable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from report_fixtures import _result_from_documents

    import govtext.report as report
    import govtext.report.page as page
    from govtext.documents import Document

    # Small limits keep the test fast; the logic is the same at 150 groups and 2,000 documents.
    monkeypatch.setattr(report, "MAX_GROUPS_PAGE", 20)
    monkeypatch.setattr(page, "MAX_DOCUMENTS_PAGE", 300)
    base = make_result().corpus.documents
    docs = [
        Document(doc_id=f"d{i:05d}", text=base[i % len(base)].text, meta={"author": f"作者{i % 60:03d}"})
        for i in range(450)
    ]
    result = _result_from_documents("many", docs, [], "author", None)
    files = write_report(result, tmp_path, formats=("html", "csv"))
    html = files["html"].read_text(encoding="utf-8")
    density = html.split('id="table-density"')[1].split("</table>")[0]
    assert density.count('<th scope="row">') == 20
    assert "60 groups: the page shows the 20 largest" in html
    assert "450 documents: only the" in html
    listed = re.findall(r'<tr class="doc" id="(doc-[^"]+)"', html)
    assert 0 < len(listed) < len(docs)
    assert set(re.findall(r'href="#(doc-[^"]+)"', html)) <= set(listed)
    assert len(pd.read_csv(files["csv:documents"], encoding="utf-8-sig")) == len(docs)
    assert pd.read_csv(files["csv:theme_density"], encoding="utf-8-sig")["author"].nunique() == 60
    # The largest groups win (8 documents before 7), kept in group order.
    labels = result.documents.set_index("doc_id")["author"]
    top = report.largest_groups(sorted(set(labels)), labels, result.documents, 20)
    assert len(top) == 20 and top == sorted(top)
    counts = labels.value_counts()
    assert counts[top].min() >= counts.drop(top).max()


def test_report_out_naming_a_file_is_refused_and_the_file_kept(tmp_path: Path) -> None:
    from govtext.errors import InputError

    target = tmp_path / "article.md"
    target.write_text("正文", encoding="utf-8")
    with pytest.raises(InputError, match="is a file"):
        write_report(make_result(), target, formats=("json",))
    assert target.read_text(encoding="utf-8") == "正文"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["article.md"]


def test_report_xlsx_from_a_child_process_is_the_workbook_written_here(
    written: tuple[Path, dict[str, Path]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workbook and the PNGs are made by a child process while the report's other
    files are (issue 20: two cores); the workbook is the same bytes as write_xlsx gives
    in this process, with the page's tables sent later as sheets after the first ones,
    and a child that cannot start leaves the work to this process."""
    import multiprocessing as mp

    from govtext.report.child import ReportChild
    from govtext.report.io import write_xlsx

    _out, files = written
    tables = {"a": pd.DataFrame({"term": ["治理", "=1+1"], "n": [3, 4]})}
    more = {"b": pd.DataFrame({"share": [0.5, float("nan")]}), "a": pd.DataFrame({"x": ["y"]})}
    here = write_xlsx(tmp_path / "here.xlsx", tables)
    both = write_xlsx(tmp_path / "both.xlsx", {**tables, **more}).read_bytes()
    child = ReportChild(tmp_path / "child.xlsx", tables)
    assert child.proc is not None and child.proc.pid != mp.current_process().pid
    assert child.result() == tmp_path / "child.xlsx" and child.proc.exitcode == 0
    child.close()
    assert (tmp_path / "child.xlsx").read_bytes() == here.read_bytes()
    later = ReportChild(tmp_path / "later.xlsx", tables)
    later.send_tables(more)  # "a" again: it replaces the first "a" in its place
    assert later.result() is not None and later.proc.exitcode == 0
    later.close()
    assert (tmp_path / "later.xlsx").read_bytes() == both

    def no_process(*args: object, **kwargs: object) -> None:
        raise OSError("no process")

    monkeypatch.setattr(
        mp, "get_context", lambda *a: type("Ctx", (), {"Process": no_process, "Pipe": mp.Pipe})()
    )
    fallback = ReportChild(tmp_path / "fallback.xlsx", tables)
    assert fallback.proc is None
    assert fallback.result().read_bytes() == here.read_bytes()
    assert files["xlsx"].read_bytes()[:2] == b"PK"


def test_report_child_figures_are_drawn_here_when_it_cannot_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Figures handed to the child are drawn by this process, SVG then PNG, when no child
    runs: the same bytes as drawn in the child."""
    import multiprocessing as mp

    from govtext.report import charts
    from govtext.report.child import ReportChild

    figure = small_figure

    ref = figure()
    want_svg, want_png = charts.svg(ref, None, "f"), charts.png(ref, None, "f")
    spawned = ReportChild(None, {})
    spawned.send_figures({"f": (figure(), None, tmp_path / "a.svg", tmp_path / "a.png")})
    assert spawned.result() is None and spawned.proc.exitcode == 0
    spawned.close()

    def no_process(*args: object, **kwargs: object) -> None:
        raise OSError("no process")

    monkeypatch.setattr(
        mp, "get_context", lambda *a: type("Ctx", (), {"Process": no_process, "Pipe": mp.Pipe})()
    )
    here = ReportChild(None, {})
    assert here.proc is None
    here.send_figures({"f": (figure(), None, tmp_path / "b.svg", tmp_path / "b.png")})
    assert here.result() is None
    for name in ("a", "b"):
        assert (tmp_path / f"{name}.svg").read_text(encoding="utf-8") == want_svg
        assert (tmp_path / f"{name}.png").read_bytes() == want_png


def test_report_child_started_early_writes_the_same_workbook(tmp_path: Path) -> None:
    """A child started ahead of the report (``start_early``, while the run waits for its
    topic model) is given its work by the next ReportChild: the same workbook bytes; one
    no report uses is ended by ``drop_early``."""
    from govtext.report import child as report_child
    from govtext.report.io import write_xlsx

    tables = {"a": pd.DataFrame({"term": ["治理", "=1+1"], "n": [3, 4]})}
    more = {"b": pd.DataFrame({"share": [0.5, float("nan")]})}
    want = write_xlsx(tmp_path / "here.xlsx", {**tables, **more}).read_bytes()
    report_child.start_early()
    ((early, *_rest),) = report_child._early
    made = report_child.ReportChild(tmp_path / "early.xlsx", tables)
    assert made.proc is early and not report_child._early
    made.send_tables(more)
    assert made.result() == tmp_path / "early.xlsx" and early.exitcode == 0
    made.close()
    assert (tmp_path / "early.xlsx").read_bytes() == want
    report_child.start_early()
    ((unused, *_rest),) = report_child._early
    report_child.drop_early()
    assert not report_child._early and unused.exitcode == 0
