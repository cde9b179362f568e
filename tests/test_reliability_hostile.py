"""Hostile text is shown as text everywhere: escaped in HTML and Markdown, neutralised in
CSV and Excel cells, stripped of control sequences on the terminal."""

from __future__ import annotations

import csv
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govtext.cli import app
from govtext.normalize import printable
from govtext.themes.tagging import Evidence, snippet

SCRIPT = '<script>alert("article")</script><img src=x onerror=alert(1)>'
TEMPLATE = "{{ 7*7 }} {% for x in y %}坏{% endfor %} ${7*7} #{7*7}"
FORMULAS = ["=cmd|' /C calc'!A0", "+SUM(1,2)", "-3+4", "@SUM(A1)", '=HYPERLINK("http://x","点我")']
TERMINAL = "\x1b[2J\x1b]0;pwned\x07\x1b[31m红\x1b[0m\r\u202egnp.exe\u2066x\u2069"
LONG_TOKEN = "A" * 60_000
BODY = "坚持党建引领，推进接诉即办，村民自治，依法行政，共建共治共享。"


def _hostile_text() -> str:
    return "\n".join(
        [SCRIPT + BODY, TEMPLATE + BODY, " ".join(FORMULAS) + BODY, TERMINAL + BODY, LONG_TOKEN + BODY]
    )


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    inp = root / "in"
    inp.mkdir()
    (inp / "<img src=x onerror=alert(1)>[red]x[bold]\x1b[31m.txt").write_text(
        _hostile_text(), encoding="utf-8"
    )
    rows = [
        {"title": f, "source": f, "author": f, "text": f + BODY * 2} for f in [*FORMULAS, SCRIPT, TEMPLATE]
    ]
    (inp / "rows.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    (inp / "ok.txt").write_text(BODY * 3, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def report(hostile_dir: Path) -> Path:
    out = hostile_dir / "out"
    pipeline = hostile_dir / "p.toml"
    pipeline.write_text(
        "[topics]\nenabled = false\n[report]\nformats = ['html', 'md', 'csv', 'json', 'xlsx']\n"
    )
    result = CliRunner().invoke(
        app, ["run", str(pipeline), str(hostile_dir / "in"), "--out", str(out), "--by", "source", "-q"]
    )
    assert result.exit_code == 0, (result.output, result.exception)
    return out


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.handlers: list[tuple[str, str]] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        if tag == "script":
            self.scripts.append("")
        self.handlers += [(tag, k) for k, _ in attrs if k.startswith("on")]

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


def test_reliability_html_shows_article_markup_as_text(report: Path) -> None:
    html = (report / "index.html").read_text(encoding="utf-8")
    page = _Elements()
    page.feed(html)
    assert not any("alert" in s or "article" in s for s in page.scripts)
    assert not page.handlers
    shown = "".join(page.text)
    assert SCRIPT in shown  # escaped, so the reader sees the tags as text
    assert "{{ 7*7 }}" in shown and "{% for x in y %}" in shown  # templates not evaluated
    assert "\x1b" not in html


def test_reliability_markdown_shows_article_markup_as_text(report: Path) -> None:
    md = (report / "report.md").read_text(encoding="utf-8")
    assert "<script" not in md and "<img" not in md
    assert "&lt;script&gt;" in md


def _formula_like(value: str) -> bool:
    if not value or value[0] not in "=+-@\t\r":
        return False
    try:
        float(value)
    except ValueError:
        return True
    return False


def test_reliability_csv_cells_are_neutralised(report: Path) -> None:
    files = [*sorted((report / "tables").glob("*.csv")), report / "manifest.csv"]
    seen = 0
    for path in files:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.reader(fh):
                assert not [c for c in row if _formula_like(c)], (path.name, row)
                seen += sum(c.startswith("'=") for c in row)
    assert seen > 0  # the formulas are there, as text


def test_reliability_xlsx_cells_are_neutralised(report: Path) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(report / "report.xlsx")
    texts = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not _formula_like(cell.value), (ws.title, cell.value)
                    texts += cell.value.startswith("'=cmd")
    assert texts > 0


def test_reliability_run_json_and_groups_survive(report: Path) -> None:
    info = json.loads((report / "run.json").read_text(encoding="utf-8"))
    assert info["counts"]["documents"] == 2 + len(FORMULAS) + 2


def _assert_terminal_clean(out: str, *, data: bool = False) -> None:
    # Tables for people lose bidi controls too; JSON and CSV are data and keep them as text.
    bad = [ch for ch in out if ch in "\x1b\r\x07\x9b" or (not data and ch in "\u202e\u2066\u2069")]
    assert not bad, repr(out[:300])


@pytest.mark.parametrize(
    "args",
    [
        ["tag", "{in}"],
        ["tag", "{in}", "-f", "jsonl"],
        ["ingest", "{in}"],
        ["kwic", "自治", "{in}"],
        ["kwic", "党建引领", "{in}", "-f", "csv"],
    ],
)
def test_reliability_terminal_output_has_no_control_sequences(hostile_dir: Path, args: list[str]) -> None:
    argv = [a.replace("{in}", str(hostile_dir / "in")) for a in args]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, (result.output, result.exception)
    out = result.stdout.replace("\r\n", "\n") if "csv" in argv else result.stdout
    _assert_terminal_clean(out, data="csv" in argv or "jsonl" in argv)
    if argv[0] == "ingest":
        assert "[red]" in out  # rich markup in a file name is shown, not applied
    if "csv" in argv:
        rows = list(csv.DictReader(out.lstrip("\ufeff").splitlines()))
        assert rows and not [v for r in rows for v in r.values() if v and _formula_like(v)]


def test_reliability_tag_reads_hostile_jsonl_from_stdin() -> None:
    line = json.dumps({"id": "x\x1b[31m", "title": "\u202et", "text": "\x1b]0;pwned\x07坚持党建引领\ud800"})
    result = CliRunner().invoke(app, ["tag", "-"], input=line + "\n")
    assert result.exit_code == 0, (result.output, result.exception)
    _assert_terminal_clean(result.stdout)
    assert "party_building" in result.stdout
    as_json = CliRunner().invoke(app, ["tag", "-", "-f", "jsonl"], input=line + "\n")
    record = json.loads(as_json.stdout)
    assert record["doc_id"] == "x[31m"  # control bytes gone; the rest of the id kept


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[1;31m红\x1b[0m", "红"),
        ("a\x1b]0;title\x07b", "ab"),
        ("a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b", "alinkb"),
        ("行一\r行二", "行一行二"),
        ("\u202egnp.exe", "gnp.exe"),
        ("\u2067x\u2069\u200f", "x"),
        ("\ud800文", "\ufffd文"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("\x9b31m坏", "坏"),
        ("普通文本 plain", "普通文本 plain"),
    ],
)
def test_reliability_printable(raw: str, shown: str) -> None:
    assert printable(raw) == shown


def test_reliability_snippet_of_a_huge_sentence_is_cut_without_scanning_it_all() -> None:
    # 600,000 characters on each side: the old character-by-character trim took minutes.
    sentence = "A" * 600_000 + "党建引领" + "B" * 600_000
    e = Evidence(sentence, 600_000, 600_004, "党建引领", "terms", 600_000, 600_004, 0)
    shown = snippet(e, 40)
    room = (40 - 8) // 2  # columns on each side; the ellipsis takes one of them
    assert shown == "…" + "A" * (room - 1) + "【党建引领】" + "B" * (room - 1) + "…"


def test_reliability_run_summary_strips_bidi_from_group_labels(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.md").write_text(
        f'---\nsource: "\\u202e红\\u2066源"\n---\n{BODY * 3}\n', encoding="utf-8"
    )
    pipeline = tmp_path / "p.toml"
    pipeline.write_text("[topics]\nenabled = false\n[report]\nformats = ['csv']\n")
    result = CliRunner().invoke(
        app, ["run", str(pipeline), str(tmp_path / "in"), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 0, result.output
    _assert_terminal_clean(result.stdout)
