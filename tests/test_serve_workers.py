"""`govtext serve` under load: the same bytes from the faster JSON path, and several worker
processes sharing a port and the judgement store.
"""

from __future__ import annotations

import json
import multiprocessing
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from serving import free_port, start_serve

from govtext.errors import ConfigError
from govtext.serve import (
    CONFIG_ENV,
    ServeSettings,
    app_from_environment,
    create_app,
    default_workers,
    run,
    service,
)
from govtext.serve.judgements import Judgement, JudgementStore
from govtext.serve.responses import _json_safe_for_orjson
from govtext.themes import Matcher

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = sorted((ROOT / "corpus").glob("*.md"))
SHORT = "广西壮族自治区推进村民自治。深化接诉即办改革。"


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher().fit()


@pytest.fixture
def client(matcher: Matcher, tmp_path: Path) -> TestClient:
    settings = ServeSettings(store_path=tmp_path / "j.duckdb")
    return TestClient(create_app(matcher, settings), raise_server_exceptions=False)


def starlette_bytes(content: Any) -> bytes:
    """What the server answered before orjson: Starlette's JSONResponse of the record."""
    return bytes(JSONResponse(content).body)


@pytest.mark.parametrize("path", ARTICLES, ids=lambda p: p.stem)
def test_serve_workers_tag_json_is_byte_identical(client: TestClient, matcher: Matcher, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    meta = {"section": "基层", "n": [1, 2.5, None, True], "score": 0.125}
    for query, opts in (
        ("", {}),
        ("?explain=true&sentences=true&evidence=5", {"explain": True, "sentences": True, "evidence": 5}),
    ):
        r = client.post("/v1/tag" + query, json={"id": path.stem, "text": text, "metadata": meta})
        assert r.status_code == 200
        record = service.tag_text(matcher, text, path.stem, "", metadata=meta, **opts)
        assert r.content == starlette_bytes(record)


def test_serve_workers_batch_json_is_byte_identical(client: TestClient, matcher: Matcher) -> None:
    texts = [p.read_text(encoding="utf-8") for p in ARTICLES]
    articles: list[Any] = [{"id": f"a{i}", "text": t} for i, t in enumerate(texts)] + [
        {"text": ""},
        {"txt": 1},
    ]
    r = client.post("/v1/tag/batch", json={"articles": articles})
    assert r.status_code == 200
    body = r.json()
    assert body["n_ok"] == len(texts) and body["n_failed"] == 2
    expected = [service.tag_text(matcher, t, f"a{i}", "", metadata={}) for i, t in enumerate(texts)]
    expected += body["results"][len(texts) :]  # the two error entries, checked by test_serve_api
    assert r.content == starlette_bytes({"results": expected, "n_ok": len(texts), "n_failed": 2})


@pytest.mark.parametrize(
    "metadata",
    [
        {"tiny": 1e-05},  # orjson writes 0.00001, Python 1e-05
        {"deep": [{"x": [9.999999999999999e-05]}]},
        {"big": 2**70},  # beyond orjson's 64-bit integers
        {"huge": 1e300, "neg": -0.0, "ok": 0.5},
    ],
)
def test_serve_workers_metadata_the_fast_encoder_would_change(client: TestClient, metadata: Any) -> None:
    r = client.post("/v1/tag", json={"text": SHORT, "metadata": metadata})
    assert r.status_code == 200
    assert r.json()["metadata"] == metadata
    assert r.content == starlette_bytes(r.json())


def test_serve_workers_orjson_safety_rule() -> None:
    assert _json_safe_for_orjson({"a": [0.0, 1e-4, 2.5, 1e300, "x", None, 2**70]})
    assert not _json_safe_for_orjson({"a": [1e-05]})
    assert not _json_safe_for_orjson([float("nan")])
    assert not _json_safe_for_orjson({"a": {"b": (float("inf"),)}})


def _add_judgements(path: str, who: str, n: int) -> None:
    store = JudgementStore(path, wait=20.0)
    for i in range(n):
        store.add(Judgement(f"{who}-{i}", "wrong", "self_governance", "广西壮族自治区。", 0, term="自治"))


def test_serve_workers_judgements_from_two_processes(tmp_path: Path) -> None:
    # Two worker processes write the same DuckDB file: each write opens it, and one that
    # finds it open in the other waits, so no judgement is lost.
    path = str(tmp_path / "j.duckdb")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_add_judgements, args=(path, who, 15)) for who in ("p1", "p2")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    rows = JudgementStore(path).rows()
    assert sorted(r["doc_id"] for r in rows) == sorted(f"{w}-{i}" for w in ("p1", "p2") for i in range(15))


def test_serve_workers_option_checks(
    matcher: Matcher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert 1 <= default_workers() <= 4
    settings = ServeSettings(store_path=tmp_path / "j.duckdb")
    with pytest.raises(ConfigError, match=r"^workers: must be a whole number"):
        run(matcher, settings, workers=0)
    with pytest.raises(ConfigError, match="token_file"):
        run(matcher, ServeSettings(token="t" * 20), workers=2)
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    with pytest.raises(ConfigError, match=CONFIG_ENV):
        app_from_environment()
    fields = {
        "host": "127.0.0.1",
        "port": 8000,
        "cors_origins": [],
        "max_body_bytes": 1000,
        "max_upload_bytes": 1000,
        "max_batch": 5,
        "time_limit": 1.0,
        "store_path": str(tmp_path / "j.duckdb"),
    }
    cfg = {
        "settings": fields,
        "token_file": None,
        "dictionary": None,
        "extra": [],
        "dictionary_hash": "stale",
    }
    monkeypatch.setenv(CONFIG_ENV, json.dumps(cfg))
    with pytest.raises(ConfigError, match="changed while the server started"):
        app_from_environment()
    cfg["dictionary_hash"] = matcher.dictionary_.hash
    monkeypatch.setenv(CONFIG_ENV, json.dumps(cfg))
    app = app_from_environment()
    assert app.state.settings.max_batch == 5 and app.state.settings.token is None


def test_serve_workers_two_processes_serve_one_port(tmp_path: Path) -> None:
    port = free_port()
    token = "w0rkers-token-0123456789abcdef"
    (tmp_path / "token").write_text(token + "\n", encoding="utf-8")
    proc = start_serve(port, tmp_path / "s.duckdb", "--token-file", str(tmp_path / "token"), "--workers", "2")
    url = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {token}"}
    try:
        import psutil

        deadline = time.monotonic() + 60
        # Both workers up: the supervisor's two children, each with the dictionary loaded.
        while len(psutil.Process(proc.pid).children()) < 2 or not _answers(url):
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail(f"govtext serve --workers 2 did not start within 60 s: {proc.stderr}")
            time.sleep(0.2)
        assert httpx.post(f"{url}/v1/tag", json={"text": SHORT}, timeout=10).status_code == 401

        def judge(i: int) -> int:
            # a new connection each time, so the kernel hands them to either worker
            body = {
                "doc_id": f"d{i}",
                "verdict": "wrong",
                "theme": "self_governance",
                "sentence": "广西壮族自治区。",
            }
            return httpx.post(f"{url}/v1/judgements", json=body, headers=auth, timeout=30).status_code

        with ThreadPoolExecutor(4) as pool:
            tagged = list(
                pool.map(
                    lambda _: httpx.post(
                        f"{url}/v1/tag", json={"text": SHORT}, headers=auth, timeout=30
                    ).json(),
                    range(8),
                )
            )
            statuses = list(pool.map(judge, range(12)))
        assert all(t["themes"] for t in tagged) and len({json.dumps(t) for t in tagged}) == 1
        assert statuses == [201] * 12
        rows = httpx.get(f"{url}/v1/judgements", headers=auth, timeout=30).json()
        assert sorted(j["doc_id"] for j in rows["judgements"]) == sorted(f"d{i}" for i in range(12))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False
