"""`govtext serve`'s HTTP API with a real client (FastAPI's TestClient over httpx).

Every endpoint, the limits, the token, CORS and bad input; tag records are checked
against the JSON Schema shipped in the package, as is `govtext tag --format jsonl`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from fastapi.testclient import TestClient
from serving import free_port, start_serve
from typer.testing import CliRunner

from govtext.errors import ConfigError
from govtext.serve import ServeSettings, create_app, read_token_file
from govtext.serve.judgements import JudgementStore
from govtext.themes import Matcher
from govtext.themes.tagging import tag_schema_path

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = (ROOT / "corpus" / "06_ningxia_shequ.md").read_text(encoding="utf-8")
SHORT = "广西壮族自治区推进村民自治。该市企业参与共建“一带一路”。深化接诉即办改革。"
TOKEN = "t0ken-for-tests-0123456789abcdef"


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher().fit()


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(tag_schema_path().read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def make_client(matcher: Matcher, tmp_path: Path, **settings: Any) -> TestClient:
    s = ServeSettings(store_path=tmp_path / "judgements.duckdb", **settings)
    return TestClient(create_app(matcher, s), raise_server_exceptions=False)


@pytest.fixture
def client(matcher: Matcher, tmp_path: Path) -> TestClient:
    return make_client(matcher, tmp_path)


def error(response: httpx.Response) -> dict[str, str]:
    body = response.json()
    assert set(body) == {"error"} and body["error"]["message"], body
    assert "Traceback" not in response.text
    return dict(body["error"])


# --------------------------------------------------------------------------- tag
def test_serve_api_tag_record_matches_schema_and_text(client: TestClient, validator: Any) -> None:
    meta = {"cms_id": 42, "tags": ["民族", "社区"], "nested": {"a": None}}
    r = client.post(
        "/v1/tag?explain=true&sentences=true",
        json={"id": "nx-1", "title": "宁夏", "text": ARTICLE, "metadata": meta},
    )
    assert r.status_code == 200, r.text
    rec = r.json()
    validator.validate(rec)
    assert rec["doc_id"] == "nx-1" and rec["title"] == "宁夏" and rec["metadata"] == meta
    assert rec["offset_unit"] == "code_point" and rec["schema_version"] == 1
    dictionary = client.get("/v1/dictionary").json()
    assert (
        rec["dictionary"]["hash"] == dictionary["hash"]
        and rec["dictionary"]["version"] == dictionary["version"]
    )
    for h in rec["hits"]:
        assert ARTICLE[h["char_start"] : h["char_end"]] == h["term"]
        assert ARTICLE[h["sentence_start"] :].startswith(h["sentence"])
    for t in rec["themes"]:
        assert t["hits"] == sum(1 for h in rec["hits"] if h["theme"] == t["theme"])
        for e in t["evidence"]:
            assert e["sentence"][e["start"] : e["end"]] == ARTICLE[e["char_start"] : e["char_end"]]
    assert any(v["reason"].startswith("exclude_overlap:自治区") for v in rec["vetoed"])
    assert [(s["start"], s["end"]) for s in rec["sentences"]] == sorted(
        (s["start"], s["end"]) for s in rec["sentences"]
    )
    # without options: no vetoed/sentences, hits on by default
    plain = client.post("/v1/tag", json={"text": ARTICLE}).json()
    validator.validate(plain)
    assert "vetoed" not in plain and "sentences" not in plain and plain["hits"] == rec["hits"]
    assert plain["metadata"] == {} and plain["doc_id"] == "article"
    assert "hits" not in client.post("/v1/tag?hits=false", json={"text": ARTICLE}).json()


def test_serve_api_utf16_offsets_count_astral_characters_twice(client: TestClient, validator: Any) -> None:
    text = "😀𠀀说明：推进居民自治。"  # two characters beyond the BMP before the hit
    rec = client.post("/v1/tag", json={"text": text}).json()
    validator.validate(rec)
    (hit,) = rec["hits"]
    assert (hit["char_start"], hit["char_end"]) == (7, 11)
    assert (hit["char_start_utf16"], hit["char_end_utf16"]) == (9, 13)
    units = text.encode("utf-16-le")
    assert units[2 * hit["char_start_utf16"] : 2 * hit["char_end_utf16"]].decode("utf-16-le") == "居民自治"
    ev = rec["themes"][0]["evidence"][0]
    sentence_units = ev["sentence"].encode("utf-16-le")
    assert sentence_units[2 * ev["start_utf16"] : 2 * ev["end_utf16"]].decode("utf-16-le") == "居民自治"


def test_serve_api_cli_jsonl_shares_the_schema(client: TestClient, validator: Any) -> None:
    from govtext.cli import app

    result = CliRunner().invoke(
        app, ["tag", str(ROOT / "corpus" / "06_ningxia_shequ.md"), "--format", "jsonl"]
    )
    assert result.exit_code == 0, result.output
    (cli,) = [json.loads(line) for line in result.stdout.splitlines()]
    validator.validate(cli)
    assert cli["dictionary"] == client.get("/v1/themes").json()["dictionary"]
    assert cli["metadata"]["province"] == "宁夏"  # the front matter, as ingest read it


def test_serve_api_control_characters_keep_offsets(client: TestClient) -> None:
    text = "\x00\x07推进居民自治。"
    rec = client.post("/v1/tag", json={"text": text}).json()
    assert rec["hits"][0]["char_start"] == 4 and rec["hits"][0]["sentence"].endswith("居民自治。")
    assert "\x00" not in json.dumps(rec)


# --------------------------------------------------------------------------- batch
def test_serve_api_batch_reports_bad_items_and_tags_the_rest(client: TestClient, validator: Any) -> None:
    r = client.post(
        "/v1/tag/batch",
        json={
            "articles": [
                {"id": "a", "text": SHORT},
                {"text": ""},
                {"txt": "x"},
                5,
                {"text": 7},
                {"text": ARTICLE},
            ]
        },
    )
    assert r.status_code == 200
    body = r.json()
    assert (body["n_ok"], body["n_failed"]) == (2, 4)
    res = body["results"]
    validator.validate(res[0])
    validator.validate(res[5])
    assert res[0]["doc_id"] == "a" and res[5]["doc_id"] == "article-6"
    assert [x["index"] for x in res[1:5]] == [1, 2, 3, 4]
    assert "empty" in res[1]["error"]["message"]
    assert res[2]["error"]["code"] == "unknown_field" and "'txt'" in res[2]["error"]["message"]
    assert res[3]["error"]["code"] == "invalid_request"
    assert res[4]["error"]["code"] == "invalid_value" and "string" in res[4]["error"]["message"]


def test_serve_api_batch_limit_is_413(matcher: Matcher, tmp_path: Path) -> None:
    c = make_client(matcher, tmp_path, max_batch=3)
    r = c.post("/v1/tag/batch", json={"articles": [{"text": SHORT}] * 4})
    assert r.status_code == 413
    e = error(r)
    assert e["code"] == "too_many_articles" and "4 articles" in e["message"] and "--max-batch" in e["message"]
    assert c.post("/v1/tag/batch", json={"articles": [{"text": SHORT}] * 3}).json()["n_ok"] == 3


# --------------------------------------------------------------------------- file
def test_serve_api_file_upload_goes_through_ingest(
    client: TestClient, validator: Any, seed_page: Path
) -> None:
    md = ROOT / "corpus" / "02_chuishao_baodao.md"
    r = client.post("/v1/tag/file?text=true", files={"file": (md.name, md.read_bytes(), "text/markdown")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["file"]["status"] == "read" and body["file"]["file"] == md.name
    (doc,) = body["documents"]
    validator.validate(doc)
    text = doc["text"]
    assert doc["doc_id"] == md.stem and doc["title"].startswith("以“吹哨报到”")
    assert not text.startswith("---")  # the front matter became metadata
    assert any(t["theme"] == "whistle_report" for t in doc["themes"])
    # The seed page holds several articles: each is tagged on its own.
    seed = client.post(
        "/v1/tag/file", files={"file": ("seed.txt", seed_page.read_bytes(), "text/plain")}
    ).json()
    assert len(seed["documents"]) >= 3 and seed["file"]["n_documents"] == len(seed["documents"])
    # An encoding other than UTF-8 is detected, as ingest does for files on disk.
    gb = SHORT.encode("gb18030")
    rec = client.post("/v1/tag/file?text=true", files={"file": ("旧稿.txt", gb, "text/plain")}).json()
    assert (
        rec["file"]["encoding"].lower() in ("gb18030", "gbk", "gb2312")
        and rec["documents"][0]["text"].strip() == SHORT
    )


@pytest.mark.parametrize("suffix", [".docx", ".html", ".pdf"])
def test_serve_api_file_formats(client: TestClient, tmp_path: Path, suffix: str) -> None:
    import html

    paras = [
        "坚持党建引领，推进居民自治，深化接诉即办改革。",
        "街道吹哨、部门报到，把资源下沉到社区。",
    ]
    path = tmp_path / f"稿件{suffix}"
    if suffix == ".docx":
        import docx

        d = docx.Document()
        for p in paras:
            d.add_paragraph(p)
        d.save(str(path))
    elif suffix == ".html":
        body = "".join(f"<p>{html.escape(p)}</p>" for p in paras * 3)
        path.write_text(
            "<!doctype html><html><head><meta charset='utf-8'><title>稿件</title></head><body>"
            "<nav><a href='/'>首页</a> <a href='/news'>新闻</a></nav>"
            f"<article><h1>稿件</h1>{body}</article><footer>版权所有 联系我们</footer></body></html>",
            encoding="utf-8",
        )
    else:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont
        from reportlab.pdfgen import canvas

        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        pdf = canvas.Canvas(str(path))
        pdf.setFont("STSong-Light", 11)
        for i, p in enumerate(paras):
            pdf.drawString(60, 800 - 30 * i, p)
        pdf.save()
    r = client.post(
        "/v1/tag/file?text=true", files={"file": (path.name, path.read_bytes(), "application/octet-stream")}
    )
    assert r.status_code == 200, r.text
    (doc,) = r.json()["documents"]
    themes = {t["theme"] for t in doc["themes"]}
    assert {"party_building", "self_governance", "complaint_response", "whistle_report"} <= themes
    for h in doc["hits"]:
        assert doc["text"][h["char_start"] : h["char_end"]] == h["term"]
    assert "版权所有" not in doc["text"]  # the page's boilerplate was removed by ingest


def test_serve_api_file_bad_uploads(client: TestClient, matcher: Matcher, tmp_path: Path) -> None:
    r = client.post("/v1/tag/file", files={"file": ("x.txt", os.urandom(4096) + b"\x00" * 64, "text/plain")})
    assert r.status_code == 422 and "no text could be read" in error(r)["message"]
    r = client.post("/v1/tag/file", files={"file": ("x.exe", b"MZ....", "application/octet-stream")})
    assert r.status_code == 422 and ".docx" in error(r)["message"]
    r = client.post("/v1/tag/file", files={"file": ("x.txt", b"", "text/plain")})
    assert r.status_code == 422 and "empty" in error(r)["message"]
    r = client.post("/v1/tag/file", data={"path": "/etc/passwd"})
    assert r.status_code == 422 and error(r)["code"] == "missing_field"
    # A path in the file name is only a name: the uploaded bytes are what is read.
    r = client.post(
        "/v1/tag/file?text=true", files={"file": ("../../../etc/passwd.txt", SHORT.encode(), "text/plain")}
    )
    (doc,) = r.json()["documents"]
    assert doc["doc_id"] == "passwd" and doc["text"].strip() == SHORT
    small = make_client(matcher, tmp_path, max_upload_bytes=1000)
    r = small.post("/v1/tag/file", files={"file": ("big.txt", SHORT.encode() * 40, "text/plain")})
    assert r.status_code == 413 and "--max-upload" in error(r)["message"]


# --------------------------------------------------------------------------- the rest of the API
def test_serve_api_themes_dictionary_healthz(client: TestClient) -> None:
    themes = client.get("/v1/themes").json()
    assert len(themes["themes"]) == 12 and themes["frameworks"][0]["id"] == "three_governance"
    assert all(t["colour"].startswith("#") and t["name"] for t in themes["themes"])
    d = client.get("/v1/dictionary").json()
    assert d["n_themes"] == 12 and d["n_rules"] > 12 and d["sources"] == ["default.toml"]
    assert client.get("/healthz").json() == {"status": "ok", "version": "0.1.0", "dictionary": d["hash"]}


def test_serve_api_kwic_verdicts(client: TestClient) -> None:
    r = client.post("/v1/kwic", json={"text": SHORT, "query": "自治", "width": 4})
    lines = r.json()["lines"]
    assert [(x["match"], x["status"]) for x in lines] == [("自治", "vetoed"), ("自治", "counted")]
    assert lines[0]["reason"] == "exclude_overlap:自治区" and lines[0]["left"] == "广西壮族"
    co = client.post("/v1/kwic", json={"text": SHORT, "query": "co_construction"}).json()["lines"]
    assert co[0]["status"] == "vetoed" and "一带一路" in co[0]["reason"]
    assert client.post("/v1/kwic", json={"text": SHORT, "query": " "}).status_code == 422
    assert client.post("/v1/kwic", json={"text": SHORT}).status_code == 422


def test_serve_api_judgements_stored_and_exported(client: TestClient, tmp_path: Path) -> None:
    sentence = "广西壮族自治区推进村民自治。"
    base = {"doc_id": "d1", "sentence": sentence, "sentence_index": 0, "predicted": ["self_governance"]}
    r = client.post(
        "/v1/judgements", json={**base, "verdict": "wrong", "theme": "self_governance", "term": "村民自治"}
    )
    assert r.status_code == 201 and r.json()["verdict"] == "wrong"
    client.post(
        "/v1/judgements", json={**base, "verdict": "missed", "theme": "rule_of_law", "note": "=cmd()"}
    )
    bad = client.post("/v1/judgements", json={**base, "verdict": "wrong", "theme": "nope"})
    assert bad.status_code == 422 and "nope" in error(bad)["message"]
    bad = client.post("/v1/judgements", json={**base, "verdict": "maybe", "theme": "rule_of_law"})
    assert bad.status_code == 422 and "verdict" in error(bad)["message"]
    # Stored in DuckDB, readable without the server.
    rows = JudgementStore(tmp_path / "judgements.duckdb").rows()
    assert [(r["verdict"], r["theme"]) for r in rows] == [
        ("wrong", "self_governance"),
        ("missed", "rule_of_law"),
    ]
    (unit,) = [json.loads(x) for x in client.get("/v1/judgements?format=jsonl").text.splitlines()]
    assert unit["predicted"] == ["self_governance"] and unit["themes"] == ["rule_of_law"]
    assert unit["sha1"] == __import__("hashlib").sha1(sentence.encode()).hexdigest()
    assert len(unit["judgements"]) == 2
    csv_text = client.get("/v1/judgements?format=csv").text
    assert csv_text.startswith("\ufeffjudgement_id,") and "'=cmd()" in csv_text
    assert client.get("/v1/judgements").json()["n"] == 2
    assert client.get("/v1/judgements?format=xml").status_code == 422


def test_serve_api_judgement_store_busy_is_503_then_works(matcher: Matcher, tmp_path: Path) -> None:
    path = tmp_path / "busy.duckdb"
    c = TestClient(
        create_app(matcher, ServeSettings(store_path=path), judgements=JudgementStore(path, wait=0.3)),
        raise_server_exceptions=False,
    )
    body = {"doc_id": "d", "verdict": "missed", "theme": "rule_of_law", "sentence": "依法治理。"}
    # Another process (a run, a query) holds the file for writing.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys; c = duckdb.connect({str(path)!r}); print('ok', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        r = c.post("/v1/judgements", json=body)
        assert r.status_code == 503
        e = error(r)
        assert e["code"] == "store_busy" and str(path) in e["message"] and "another process" in e["message"]
    finally:
        holder.communicate("", timeout=10)
    assert c.post("/v1/judgements", json=body).status_code == 201


# --------------------------------------------------------------------------- bad input and limits
@pytest.mark.parametrize(
    ("body", "status", "code", "words"),
    [
        ("{bad json", 400, "invalid_json", "not valid JSON"),
        ("[]", 422, "invalid_request", "JSON object"),
        ('{"text": 5}', 422, "invalid_value", "text"),
        ('{"text": ["a"]}', 422, "invalid_value", "text"),
        ('{"text": "   "}', 422, "invalid_input", "empty"),
        ('{"text": "推进居民自治", "colour": "red"}', 422, "unknown_field", "'colour'"),
        ('{"title": "x"}', 422, "missing_field", "text is required"),
        ('{"text": "x", "metadata": [1]}', 422, "invalid_value", "metadata"),
    ],
)
def test_serve_api_bad_input(client: TestClient, body: str, status: int, code: str, words: str) -> None:
    r = client.post("/v1/tag", content=body.encode(), headers={"Content-Type": "application/json"})
    assert r.status_code == status
    e = error(r)
    assert e["code"] == code and words in e["message"]


def test_serve_api_bad_options_and_routes(client: TestClient) -> None:
    r = client.post("/v1/tag?explian=true", json={"text": SHORT})
    assert r.status_code == 422 and "explain" in error(r)["message"]
    assert client.post("/v1/tag?evidence=0", json={"text": SHORT}).status_code == 422
    assert client.post("/v1/tag?explain=perhaps", json={"text": SHORT}).status_code == 422
    r = client.get("/v1/nothing")
    assert r.status_code == 404 and "/docs" in error(r)["message"]
    r = client.get("/v1/tag")
    assert r.status_code == 405 and "GET" in error(r)["message"]


def test_serve_api_body_limits(client: TestClient, matcher: Matcher, tmp_path: Path) -> None:
    five_mb = "治" * (5 * 1024 * 1024 // 3 + 1)
    r = client.post("/v1/tag", json={"text": five_mb})
    assert r.status_code == 413
    assert "4,194,304 bytes" in error(r)["message"] and "--max-body" in error(r)["message"]
    # No Content-Length (chunked): the limit holds all the same.
    small = make_client(matcher, tmp_path, max_body_bytes=2000)
    chunks = (
        json.dumps({"text": SHORT * 20}, ensure_ascii=False).encode()[i : i + 500]
        for i in range(0, 10_000, 500)
    )
    r = small.post("/v1/tag", content=chunks, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and error(r)["code"] == "too_large"
    assert small.post("/v1/tag", json={"text": SHORT}).status_code == 200


def test_serve_api_time_limit(matcher: Matcher, tmp_path: Path) -> None:
    c = make_client(matcher, tmp_path, time_limit=0.05)
    r = c.post("/v1/tag", json={"text": ARTICLE * 400})  # about 0.3 s of matching
    assert r.status_code == 503
    e = error(r)
    assert e["code"] == "time_limit" and "0.05 s" in e["message"]


def test_serve_api_internal_error_is_json_without_traceback(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from govtext.serve import service

    def boom(*_a: Any, **_k: Any) -> None:
        raise RuntimeError("secret detail /srv/private")

    monkeypatch.setattr(service, "tag_text", boom)
    r = client.post("/v1/tag", json={"text": SHORT})
    assert r.status_code == 500
    e = error(r)
    assert "RuntimeError" in e["message"] and "secret" not in r.text


# --------------------------------------------------------------------------- token and binding
def test_serve_api_token(matcher: Matcher, tmp_path: Path) -> None:
    c = make_client(matcher, tmp_path, token=TOKEN)
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": TOKEN},
        {"Authorization": "Basic " + TOKEN},
    ):
        r = c.post("/v1/tag", json={"text": SHORT}, headers=headers)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert "--token-file" in error(r)["message"]
    assert c.get("/v1/judgements").status_code == 401
    ok = c.post("/v1/tag", json={"text": SHORT}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200
    # The page, its files, the docs and the health check hold no data and need no token.
    for path in ("/", "/static/app.js", "/docs", "/openapi.json", "/healthz"):
        assert c.get(path).status_code == 200, path


def test_serve_api_binding_rules(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^host: 0\.0\.0\.0 is not a loopback address.*bearer token"):
        ServeSettings(host="0.0.0.0").check()
    with pytest.raises(ConfigError, match="bearer token"):
        ServeSettings(host="192.168.1.10").check()
    assert ServeSettings(host="0.0.0.0", token=TOKEN).check().host == "0.0.0.0"
    assert ServeSettings(host="::1").check()
    with pytest.raises(ConfigError, match=r"^cors_origins: "):
        ServeSettings(cors_origins=("*",)).check()
    short = tmp_path / "t"
    short.write_text("abc\n")
    with pytest.raises(ConfigError, match="16 characters"):
        read_token_file(short)
    good = tmp_path / "g"
    good.write_text(TOKEN + "\n")
    assert read_token_file(good) == TOKEN
    with pytest.raises(ConfigError, match="cannot read"):
        read_token_file(tmp_path / "missing")


def test_serve_api_cors(matcher: Matcher, tmp_path: Path) -> None:
    closed = make_client(matcher, tmp_path)
    r = closed.post("/v1/tag", json={"text": SHORT}, headers={"Origin": "https://cms.example.org"})
    assert "access-control-allow-origin" not in r.headers
    pre = closed.options(
        "/v1/tag", headers={"Origin": "https://cms.example.org", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in pre.headers
    opened = make_client(matcher, tmp_path, cors_origins=("https://cms.example.org",), token=TOKEN)
    pre = opened.options(
        "/v1/tag",
        headers={
            "Origin": "https://cms.example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == "https://cms.example.org"
    r = opened.post(
        "/v1/tag",
        json={"text": SHORT},
        headers={"Origin": "https://cms.example.org", "Authorization": f"Bearer {TOKEN}"},
    )
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://cms.example.org"
    other = opened.post(
        "/v1/tag",
        json={"text": SHORT},
        headers={"Origin": "https://evil.example", "Authorization": f"Bearer {TOKEN}"},
    )
    assert "access-control-allow-origin" not in other.headers


# --------------------------------------------------------------------------- page and docs
def test_serve_api_page_and_docs_are_offline(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "治理主题标注" in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    for text in (page.text, client.get("/static/app.js").text, client.get("/static/app.css").text):
        assert "http://" not in text and "https://" not in text
        assert "innerHTML" not in text and "insertAdjacentHTML" not in text and "document.write" not in text
    docs = client.get("/docs").text
    assert "/docs-assets/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
    assert "fastapi.tiangolo.com" not in docs
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs-assets/../app.py").status_code == 404
    assert client.get("/static/index.html").status_code == 404
    spec = client.get("/openapi.json").json()
    assert {"/v1/tag", "/v1/tag/batch", "/v1/tag/file", "/v1/kwic", "/v1/themes", "/v1/dictionary"} <= set(
        spec["paths"]
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--port", "70000"], "--port: must be between 1 and 65535. Got 70000 instead."),
        (["--max-batch", "0"], "--max-batch: must be a positive integer. Got 0 instead."),
        (["--max-body", "0"], "--max-body: must be a positive integer. Got 0 instead."),
        (["--time-limit", "0"], "--time-limit: must be positive seconds. Got 0.0 instead."),
        (["--cors-origin", "*"], "--cors-origin: each must be a full origin"),
        (["--token-file", "/nonexistent/token"], "--token-file: /nonexistent/token: cannot read it"),
    ],
)
def test_serve_cli_names_the_option_of_a_bad_setting(args: list[str], expected: str) -> None:
    """The library names the setting (``max_batch: ...``); the command names its option."""
    from govtext.cli import app

    result = CliRunner().invoke(app, ["serve", *args])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"govtext serve: error: {expected}"), result.stderr


# --------------------------------------------------------------------------- the command
def test_serve_cli_refuses_open_bind_and_serves(tmp_path: Path) -> None:
    from govtext.cli import app

    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 1 and "--token-file" in result.stderr
    assert result.stderr.startswith("govtext serve: error: --host: 0.0.0.0 is not a loopback address")
    port = free_port()
    proc = start_serve(port, tmp_path / "s.duckdb")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.post(f"http://127.0.0.1:{port}/v1/tag", json={"text": SHORT}, timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("govtext serve did not answer within 30 s")
                time.sleep(0.1)
        assert r.status_code == 200 and r.json()["themes"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
