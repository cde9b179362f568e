"""The editors' page of `govtext serve` in Debian's Chromium, driven by Selenium.

Uses the system browser and driver (``apt-get install -y chromium chromium-driver``;
scripts/test installs both): nothing is downloaded at test time. The server is a real
uvicorn on 127.0.0.1; the page's highlights, counts and evidence are checked against
the API's own JSON, and a judgement made with a click is looked up in the DuckDB store.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from serving import free_port

from govtext.serve import ServeSettings, create_app
from govtext.store import Store

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = ROOT / "corpus" / "06_ningxia_shequ.md"  # has 宁夏回族自治区: a vetoed look-alike
INSTALL = "install them with `apt-get install -y chromium chromium-driver` (scripts/test does)"
pytestmark = pytest.mark.browser


TOKEN = "browser-token-0123456789abcdef"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    yield from _serve(tmp_path_factory, token=None)


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    yield from _serve(tmp_path_factory, token=TOKEN)


def _serve(tmp_path_factory: pytest.TempPathFactory, token: str | None) -> Iterator[tuple[str, Path]]:
    import uvicorn

    store = tmp_path_factory.mktemp("serve") / "judgements.duckdb"
    port = free_port()
    app = create_app(settings=ServeSettings(port=port, store_path=store, token=token))
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start within 20 s")
        time.sleep(0.05)
    yield base, store
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(downloads: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.fail(f"Chromium or its driver is missing: {INSTALL}")
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not fetch anything
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=800,1000",
        "--disable-background-networking",
        "--disable-component-update",
        # Nothing may come from the network but the test server.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


def _wait(predicate: Any, what: str, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def _paste_and_tag(driver: Any, base: str, text: str, title: str = "") -> None:
    driver.get(base + "/")
    _wait(lambda: driver.find_element("id", "dict-info").text.startswith("词典"), "the dictionary line")
    # A paste: the text arrives whole in the textarea, then the editor clicks 标注主题.
    driver.execute_script(
        "const t = document.getElementById('text'); t.value = arguments[0];"
        "t.dispatchEvent(new Event('input', {bubbles: true}));"
        "document.getElementById('title').value = arguments[1];",
        text,
        title,
    )
    driver.find_element("id", "run").click()
    _wait(lambda: driver.find_element("id", "status").text.startswith("完成"), "tagging to finish")


def _stored(store: Path) -> list[dict[str, Any]]:
    with Store(store, read_only=True) as s:
        return s.sql("SELECT * FROM judgements ORDER BY created").to_dict("records")


def test_serve_browser_page_matches_api_and_stores_judgements(
    server: tuple[str, Path], browser: Any, tmp_path: Path
) -> None:
    base, store = server
    text = ARTICLE.read_text(encoding="utf-8")
    api = httpx.post(
        base + "/v1/tag?explain=true&sentences=true&evidence=1000",
        json={"id": "宁夏", "title": "宁夏", "text": text},
    ).json()
    assert api["hits"] and api["vetoed"], "the article should have hits and vetoed look-alikes"
    themes = {t["id"]: t for t in httpx.get(base + "/v1/themes").json()["themes"]}

    _paste_and_tag(browser, base, text, "宁夏")
    browser.save_screenshot(str(tmp_path / "page.png"))

    # Every hit of the API is highlighted over exactly its text, in its theme's colour.
    marks = browser.execute_script(
        "return [...document.querySelectorAll('#article mark.hit')].map(m => "
        "[m.dataset.hits, m.dataset.theme, m.textContent, getComputedStyle(m).backgroundColor])"
    )
    assert marks
    for k, hit in enumerate(api["hits"]):
        mine = [m for m in marks if str(k) in m[0].split()]
        assert "".join(m[2] for m in mine) == text[hit["char_start"] : hit["char_end"]], hit
        own = [m for m in mine if m[1] == hit["theme"]]
        if own:
            hexcolour = themes[hit["theme"]]["colour"]
            rgb = tuple(int(hexcolour[i : i + 2], 16) for i in (1, 3, 5))
            assert own[0][3] == f"rgb({rgb[0]}, {rgb[1]}, {rgb[2]})"
    # The article reads as the pasted text, character for character.
    assert browser.find_element("id", "article").get_attribute("textContent") == text

    # Sidebar: hit counts per theme as the API says; vetoed look-alikes listed apart with their exclusion.
    counts = browser.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('.theme')].map(li => "
        "[li.dataset.theme, Number(li.querySelector('.count').textContent)]))"
    )
    for t in api["themes"]:
        assert counts[t["theme"]] == t["hits"]
    assert sum(counts.values()) == sum(t["hits"] for t in api["themes"])
    reasons = browser.execute_script(
        "return [...document.querySelectorAll('#vetoed li.veto')].map(li => li.dataset.reason)"
    )
    assert reasons == [v["reason"] for v in api["vetoed"]]
    assert any(r.startswith("exclude_overlap:自治区") for r in reasons)

    # Clicking a theme lists its evidence sentences (those of the API) and flashes a hit.
    theme = api["themes"][0]["theme"]
    browser.find_element("css selector", f'.theme[data-theme="{theme}"] button').click()
    evidence = browser.execute_script(
        "return [...document.querySelectorAll('#evidence li.ev')].map(li => "
        "[Number(li.dataset.hit), li.querySelector('.sentence').textContent, li.querySelector('.sentence mark').textContent])"
    )
    expected = [(k, h["sentence"], h["term"]) for k, h in enumerate(api["hits"]) if h["theme"] == theme]
    assert [tuple(e) for e in evidence] == expected
    assert browser.find_elements("css selector", "mark.hit.flash")

    # Mark the first evidence wrong: the judgement is in the DuckDB store.
    browser.find_element("css selector", "#evidence li.ev button.wrong").click()
    _wait(
        lambda: browser.find_element("css selector", "#evidence li.ev button.wrong").text == "已标错",
        "the save",
    )
    rows = _stored(store)
    k, sentence, term = expected[0]
    wrong = [r for r in rows if r["verdict"] == "wrong"]
    assert len(wrong) == 1
    assert (wrong[0]["theme"], wrong[0]["term"], wrong[0]["sentence"], wrong[0]["doc_id"]) == (
        theme,
        term,
        sentence,
        "宁夏",
    )
    assert wrong[0]["char_start"] == api["hits"][k]["char_start"]

    # Add a missed theme to a sentence with no hit.
    hit_sentences = {h["sentence_index"] for h in api["hits"]}
    free = next(
        i for i, s in enumerate(api["sentences"]) if i not in hit_sentences and s["end"] - s["start"] > 5
    )
    browser.find_element("css selector", f'#article .sent[data-s="{free}"]').click()
    browser.execute_script("document.getElementById('missed-theme').value = 'rule_of_virtue'")
    browser.find_element("id", "missed-add").click()
    _wait(
        lambda: browser.find_element("id", "missed-status").text.startswith("已记录"),
        "the missed theme to save",
    )
    missed = [r for r in _stored(store) if r["verdict"] == "missed"]
    s = api["sentences"][free]
    assert [(r["theme"], r["sentence"], r["sentence_index"]) for r in missed] == [
        ("rule_of_virtue", text[s["start"] : s["end"]], free)
    ]
    assert browser.find_element("id", "judgement-count").text == "2"

    # Everything the page loaded came from the server itself (no CDN).
    urls = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert urls and all(u.startswith(base) for u in urls), urls


HOSTILE = (
    "推进居民自治。<script>window.__pwned = 1</script>"
    '<img src=x onerror="window.__pwned = 2">{{constructor.constructor("window.__pwned = 3")()}}'
    "${window.__pwned = 4}<b>粗体</b>&lt;实体&gt;\n完善接诉即办。"
)


def test_serve_browser_hostile_text_is_inert(server: tuple[str, Path], browser: Any) -> None:
    base, _ = server
    _paste_and_tag(browser, base, HOSTILE, "<i>标题</i>")
    assert browser.execute_script("return window.__pwned") is None
    article = browser.find_element("id", "article")
    assert article.get_attribute("textContent") == HOSTILE
    assert not browser.find_elements("css selector", "#article script, #article img, #article b")
    assert browser.find_elements("css selector", '#article mark.hit[data-theme="self_governance"]')
    assert "<i>标题</i>" in browser.find_element("id", "doc-summary").text


def test_serve_browser_readable_at_800px(server: tuple[str, Path], browser: Any, tmp_path: Path) -> None:
    base, _ = server
    _paste_and_tag(browser, base, (ROOT / "corpus" / "01_jiesu_jiban.md").read_text(encoding="utf-8"))
    width = browser.execute_script("return document.documentElement.scrollWidth")
    viewport = browser.execute_script("return window.innerWidth")
    assert viewport <= 800 and width <= viewport, (width, viewport)
    # The sidebar stacks above the article at this width, and Chinese text is laid out.
    side = browser.find_element("id", "sidebar").rect
    main = browser.find_element("id", "article").rect
    assert main["y"] > side["y"] and main["width"] > 600
    browser.save_screenshot(str(tmp_path / "page-800.png"))


def test_serve_browser_file_upload_and_downloads(
    server: tuple[str, Path], browser: Any, downloads: Path, seed_page: Path
) -> None:
    base, _ = server
    api = httpx.post(
        base + "/v1/tag/file?explain=true&sentences=true&evidence=1000&text=true",
        files={"file": (seed_page.name, seed_page.read_bytes(), "text/plain")},
    ).json()["documents"]
    assert len(api) >= 3
    browser.get(base + "/")
    _wait(lambda: browser.find_element("id", "dict-info").text.startswith("词典"), "the dictionary line")
    # The file input behind 选择文件 (what a drop hands over too).
    browser.find_element("id", "file").send_keys(str(seed_page))
    _wait(lambda: browser.find_element("id", "status").text.startswith("完成"), "the upload to be tagged")
    options = browser.execute_script(
        "return [...document.querySelectorAll('#doc-select option')].map(o => o.text)"
    )
    assert options == [d["title"] or d["doc_id"] for d in api]
    assert browser.find_element("id", "doc-select").is_displayed()
    # The second article of the page, as ingest read it, with its own hits.
    browser.execute_script(
        "const s = document.getElementById('doc-select'); s.value = '1'; s.dispatchEvent(new Event('change'));"
    )
    second = api[1]
    assert browser.find_element("id", "article").get_attribute("textContent") == second["text"]
    n_marked = browser.execute_script(
        "return new Set([...document.querySelectorAll('#article mark.hit')].flatMap(m => m.dataset.hits.split(' '))).size"
    )
    assert n_marked == len(second["hits"])

    # 下载 JSON saves the record on screen: the API's record without the text.
    for old in downloads.glob("*"):
        old.unlink()
    browser.find_element("id", "json-download").click()
    saved = _wait(lambda: [p for p in downloads.glob("*.json") if p.stat().st_size], "the JSON download")
    record = json.loads(saved[0].read_text(encoding="utf-8"))
    assert record == {k: v for k, v in second.items() if k != "text"}

    # 导出 CSV: the judgements as a spreadsheet file.
    browser.find_element("id", "export-csv").click()
    csv_file = _wait(
        lambda: [p for p in downloads.glob("judgements*.csv") if p.stat().st_size], "the CSV export"
    )
    header = csv_file[0].read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("judgement_id,created,doc_id,verdict,theme")


def test_serve_browser_asks_for_the_token(token_server: tuple[str, Path], browser: Any) -> None:
    base, _ = token_server
    browser.get(base + "/")
    bar = browser.find_element("id", "token-bar")
    _wait(bar.is_displayed, "the token bar")
    assert "令牌" in bar.text
    browser.find_element("id", "token").send_keys(TOKEN)
    browser.find_element("id", "token-save").click()
    _wait(lambda: browser.find_element("id", "dict-info").text.startswith("词典"), "the dictionary line")
    assert not bar.is_displayed()
    _paste_and_tag(browser, base, "坚持党建引领，深化接诉即办改革。")
    assert browser.find_elements("css selector", '#article mark.hit[data-theme="complaint_response"]')
    browser.execute_script("sessionStorage.clear()")
