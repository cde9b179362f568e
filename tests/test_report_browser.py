"""The HTML report in a real browser: headless Chromium opens it from disk.

CI installs Chromium and a CJK font (Debian: ``apt-get install -y chromium
fonts-wqy-microhei``); without them this test fails and says so.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from report_fixtures import make_doc_term_counts, make_result

from govtext.compare import compare_all
from govtext.report import write_report

INSTALL = "install it with `apt-get install -y chromium fonts-wqy-microhei` (CI does this in .ci/run)"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Nothing may come from the network: resolve every host to nowhere.
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail(f"headless Chromium is not installed: {INSTALL}")


def _run(args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    cmd = [_chromium(), *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = make_result()
    result.tables = compare_all(result, make_doc_term_counts(result.corpus.documents))
    out = tmp_path_factory.mktemp("browser")
    return write_report(result, out, formats=("html",))["html"]


@pytest.mark.browser
def test_report_browser_renders_theme_table_and_chinese(report: Path, tmp_path: Path) -> None:
    proc = _run(["--dump-dom", report.as_uri()], tmp_path)
    dom = proc.stdout
    assert proc.returncode == 0 and "<html" in dom, proc.stderr[-2000:]
    density = dom.split('id="table-density"')[1].split("</table>")[0]
    for name in (
        "自治",
        "法治",
        "德治",
        "共建",
        "共治",
        "共享",
        "赋权",
        "下沉",
        "增效",
        "党建引领",
        "吹哨报到",
        "接诉即办",
    ):
        assert f">{name}</th>" in density, name
    for label in ("三治融合", "共建共治共享", "首都治理机制", "北京", "浙江", "四川"):
        assert label in density
    assert "<mark>接诉即办</mark>" in dom
    # The hostile document is text in the rendered page, not a script or a template.
    assert "<script" not in dom
    assert "&lt;script&gt;alert" in dom and "{{ 7*7 }}" in dom
    # The trend chart is inline SVG with its Chinese labels as text.
    svg = dom.split('id="trend"')[1].split("</section>")[0]
    assert "<svg" in svg and "三治融合" in svg


@pytest.mark.browser
def test_report_browser_screenshot_is_not_blank(report: Path, tmp_path: Path) -> None:
    _chromium()
    fc_list = shutil.which("fc-list")
    assert fc_list, f"fontconfig's fc-list is missing, so no fonts either: {INSTALL}"
    fonts = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False)
    assert fonts.stdout.strip(), f"no CJK font for the browser to draw Chinese with: {INSTALL}"
    shot = tmp_path / "shot.png"
    proc = _run([f"--screenshot={shot}", "--window-size=1280,2000", report.as_uri()], tmp_path)
    assert shot.is_file(), proc.stderr[-2000:]
    from PIL import Image

    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 2000)
    colours = image.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 200, f"only {len(colours)} colours: the page looks blank"
    white = sum(n for n, c in colours if min(c) >= 245)
    assert white / (1280 * 2000) < 0.9, "the page is almost all white"
    # The header band is drawn (the report's accent colour fills its top rows).
    r, _g, b = image.getpixel((5, 5))
    assert b > r and b > 100


_OVERFLOW_PROBE = """<script>
window.addEventListener('load', function () {
  var W = document.documentElement.clientWidth, bad = [];
  document.querySelectorAll('body *').forEach(function (e) {
    var r = e.getBoundingClientRect();
    if (r.width > 0 && r.right > W + 1) {
      for (var p = e.parentElement; p; p = p.parentElement) {
        var o = getComputedStyle(p).overflowX;
        if (o === 'auto' || o === 'scroll') { return; }  // scrolls in its box: the reader can reach it
        if (o === 'hidden' || o === 'clip') { break; }  // cut off: nobody can reach it
      }
      bad.push(e.tagName + '.' + e.className + ' right=' + Math.round(r.right));
    }
  });
  document.body.setAttribute('data-probe', JSON.stringify(
    {width: W, scrollWidth: document.documentElement.scrollWidth, overflowing: bad.slice(0, 10)}));
});
</script>"""


@pytest.mark.browser
@pytest.mark.parametrize(
    ("width", "source", "by"),
    [
        (800, "sample", "doc_id"),
        (1400, "sample", "doc_id"),
        (800, "seed", "author"),
        (1400, "seed", "author"),
    ],
)
def test_report_browser_fits_narrow_windows(
    tmp_path: Path, sample_corpus: Path, seed_page: Path, width: int, source: str, by: str
) -> None:
    """At 800 px nothing runs off the page: wide tables and figures scroll inside their box."""
    import html as html_lib
    import json

    from govtext.pipeline import PipelineConfig, run_pipeline

    cfg = PipelineConfig(name="narrow")
    cfg.topics.enabled = False
    cfg.report.formats = ["html"]
    out = tmp_path / "out"
    # one group per article: long group names and as many columns as the tables get; the
    # seed page by author: keyness cards of long terms
    run_pipeline(cfg, [sample_corpus if source == "sample" else seed_page], by=by, out=out)
    page = out / "index.html"
    probe = tmp_path / "probe.html"
    probe.write_text(
        page.read_text(encoding="utf-8").replace("</body>", _OVERFLOW_PROBE + "</body>"), encoding="utf-8"
    )
    proc = _run(
        [f"--window-size={width},1000", "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()], tmp_path
    )
    found = proc.stdout.split('data-probe="', 1)
    assert len(found) == 2, proc.stderr[-2000:]
    result = json.loads(html_lib.unescape(found[1].split('"', 1)[0]))
    assert result["overflowing"] == [], result
    assert result["scrollWidth"] <= result["width"], result
