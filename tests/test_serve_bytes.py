"""The exact bytes `govtext serve` answers to the tag endpoints, pinned.

Every answer of a fixed battery of requests (the corpus/ articles whole and in
3,000-character windows under several option sets, text with characters beyond the BMP,
control characters and lone surrogates, metadata of every JSON kind, batches, and bad
input of every kind the API names) is hashed with its status and content type; the
digests were taken before the serve path was made faster (issue 19) and every later
answer must hash the same. The dictionary is the frozen copy the matcher's identity
digests use (``tests/golden/matcher_dictionary.toml``), so a new rule in the shipped
dictionary changes nothing here.

A deliberate change of the tag output re-takes the digests:
``.venv/bin/python tests/test_serve_bytes.py --write`` (and says why in the commit).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from govtext.documents import Document
from govtext.serve import ServeSettings, create_app
from govtext.serve.fast import plain_tag_request
from govtext.themes import Matcher, load_dictionary
from govtext.themes.tagging import tag_document, tag_record

ROOT = Path(__file__).resolve().parents[1]
FROZEN = ROOT / "tests" / "golden" / "matcher_dictionary.toml"
DIGESTS = ROOT / "tests" / "golden" / "serve_digests.json"
ARTICLES = sorted((ROOT / "corpus").glob("[0-9]*.md"))

# (method path, query, raw body or JSON value); a bytes body is sent as it is.
Request = tuple[str, str, Any]


def requests() -> Iterator[tuple[str, Request]]:
    """The battery: (name, request), in a fixed order."""
    texts = [p.read_text(encoding="utf-8") for p in ARTICLES]
    joined = "".join(texts)
    windows = [joined[i : i + 3000] for i in range(0, len(joined) - 3000, 1500)]
    queries = ("", "?explain=true&sentences=true&evidence=5", "?hits=false", "?evidence=1&explain=1")
    for i, text in enumerate(texts):
        for q in queries:
            yield f"article {i} {q}", ("/v1/tag", q, {"id": ARTICLES[i].stem, "text": text})
    for i, text in enumerate(windows):
        yield f"window {i}", ("/v1/tag", "", {"id": f"w{i}", "text": text})
    yield "window, sentences", ("/v1/tag", "?sentences=true", {"text": windows[0]})
    odd = "😀治理𠀀村民自治。\x00居民\x07议事\r\n共建“一带一路”；" + "\ud800" + "自治区。𝒳社区治理"
    for q in queries:
        yield f"astral and control {q}", ("/v1/tag", q, {"id": "odd😀\x01", "title": "标题\x02", "text": odd})
    meta = {"n": 1, "f": 0.5, "tiny": 1e-7, "big": 2**70, "neg": -3, "b": [True, False, None], "s": "元"}
    yield "metadata of every kind", ("/v1/tag", "", {"text": texts[0][:500], "metadata": meta})
    yield "metadata null", ("/v1/tag", "", {"text": texts[1][:300], "metadata": None, "id": None})
    yield "metadata empty", ("/v1/tag", "", {"text": texts[1][:300], "metadata": {}, "title": ""})
    yield "no hits", ("/v1/tag", "", {"text": "今天天气很好。"})
    bad: list[tuple[str, str, Any]] = [
        ("invalid json", "", b'{"text": '),
        ("not an object", "", ["text"]),
        ("string body", "", "text"),
        ("empty text", "", {"text": "  \n "}),
        ("missing text", "", {"title": "x"}),
        ("unknown field", "", {"text": "自治", "txt": 1}),
        ("text not a string", "", {"text": 12}),
        ("id too long", "", {"text": "自治", "id": "x" * 501}),
        ("title too long", "", {"text": "自治", "title": "x" * 2001}),
        ("id a number", "", {"text": "自治", "id": 5}),
        ("metadata a list", "", {"text": "自治", "metadata": [1]}),
        ("unknown option", "?explian=true", {"text": "自治"}),
        ("evidence zero", "?evidence=0", {"text": "自治"}),
        ("evidence text", "?evidence=many", {"text": "自治"}),
        ("hits not bool", "?hits=maybe", {"text": "自治"}),
        ("option twice", "?evidence=2&evidence=3", {"text": "村民自治。居民自治。村民自治。"}),
        ("bool spelt yes", "?explain=yes&hits=off", {"text": "广西壮族自治区推进村民自治。"}),
        ("lone surrogate in id", "", {"text": "村民自治", "id": "\udc00"}),
        ("lone surrogate key", "", {"text": "村民自治", "metadata": {"\udc00": 1}}),
    ]
    for name, q, body in bad:
        yield name, ("/v1/tag", q, body)
    batch: list[Any] = [{"id": f"b{i}", "text": t} for i, t in enumerate(windows[:6])]
    batch += [{"text": ""}, {"txt": 1}, 5, {"text": odd, "metadata": meta}]
    yield "batch", ("/v1/tag/batch", "", {"articles": batch})
    yield "batch with options", ("/v1/tag/batch", "?explain=true&hits=false", {"articles": batch[:3]})
    yield "batch not a list", ("/v1/tag/batch", "", {"articles": 3})


def answer(client: TestClient, req: Request) -> str:
    path, query, body = req
    if isinstance(body, bytes):
        r = client.post(path + query, content=body, headers={"Content-Type": "application/json"})
    else:
        # json.dumps as httpx would, but keeping lone surrogates (escaped) so they reach the server
        raw = json.dumps(body).encode()
        r = client.post(path + query, content=raw, headers={"Content-Type": "application/json"})
    h = hashlib.sha256()
    h.update(f"{r.status_code} {r.headers.get('content-type')} {r.headers.get('content-length')}\n".encode())
    h.update(r.content)
    return f"{r.status_code} {h.hexdigest()}"


def digests(tmp: Path) -> dict[str, str]:
    matcher = Matcher(dictionary=load_dictionary(FROZEN)).fit()
    client = TestClient(
        create_app(matcher, ServeSettings(store_path=tmp / "j.duckdb")), raise_server_exceptions=False
    )
    return {name: answer(client, req) for name, req in requests()}


def test_serve_bytes_every_answer_as_pinned(tmp_path: Path) -> None:
    pinned = json.loads(DIGESTS.read_text(encoding="utf-8"))
    got = digests(tmp_path)
    assert list(got) == list(pinned)
    changed = [name for name in got if got[name] != pinned[name]]
    assert not changed, f"answers changed: {changed}"
    # the battery reaches what it names: answers, refused JSON and refused values
    assert {v.split()[0] for v in got.values()} >= {"200", "400", "422"}


def test_serve_bytes_record_is_what_tag_document_writes() -> None:
    # The server writes its records straight from the hits (tag_record); `govtext tag`
    # goes through DocumentTags.to_record: the two must agree, key order included.
    matcher = Matcher(dictionary=load_dictionary(FROZEN)).fit()
    texts = [p.read_text(encoding="utf-8") for p in ARTICLES]
    texts.append("😀治理𠀀村民自治。居民议事\r\n共建“一带一路”；自治区。𝒳社区治理" * 3)
    for i, text in enumerate(texts):
        doc = Document(f"d{i}", text, title="题")
        for evidence, explain, hits in (
            (3, False, True),
            (1, True, True),
            (5, True, False),
            (2, False, False),
        ):
            expected = tag_document(doc, matcher, max_evidence=evidence, explain=explain)
            got = tag_record(doc, matcher, max_evidence=evidence, explain=explain, hits=hits)
            assert json.dumps(got, ensure_ascii=False) == json.dumps(
                expected.to_record(hits=hits, vetoed=explain), ensure_ascii=False
            )


def test_serve_bytes_plain_requests_skip_fastapi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A plain tag request is answered by the guard (fast.plain_tag_request), not by the
    # FastAPI route; anything else is left to the route, which names the problem.
    from govtext.serve import routes

    article = (
        "/v1/tag",
        "?evidence=2&explain=true",
        {"id": "a", "title": "t", "text": "村民自治。", "metadata": {}},
    )
    assert plain_tag_request(json.dumps(article[2]).encode(), b"evidence=2&explain=true") == (
        "村民自治。",
        "a",
        "t",
        {},
        {"evidence": 2, "hits": True, "explain": True, "sentences": False},
    )
    for body, query in (
        (b'{"text": "x"', b""),
        (b'{"text": " "}', b""),
        (b'{"text": "x", "txt": 1}', b""),
        (b'{"text": "x", "id": 1}', b""),
        (b'{"text": "x", "title": null}', b""),
        (b'{"text": "x", "metadata": []}', b""),
        (b'{"text": "x", "id": "\\udc00"}', b""),
        (b'{"text": "x"}', b"evidence=0"),
        (b'{"text": "x"}', b"hits=yes"),
        (b'{"text": "x"}', b"hits=1&hits=0"),
        (b'{"text": "x"}', b"explian=1"),
    ):
        assert plain_tag_request(body, query) is None, (body, query)
    route_calls = []

    client = TestClient(create_app(settings=ServeSettings(store_path=tmp_path / "j.duckdb")))
    monkeypatch.setattr(routes, "_known_options", lambda *a: route_calls.append(1))
    assert client.post("/v1/tag?evidence=2", json={"text": "村民自治。"}).status_code == 200
    assert route_calls == []
    assert client.post("/v1/tag?evidence=02", json={"text": "村民自治。"}).status_code == 200
    assert route_calls == [1]


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        DIGESTS.write_text(
            json.dumps(digests(Path(tmp)), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
    print(f"wrote {DIGESTS}")


def test_serve_bytes_lone_surrogate_in_metadata_passes_through(tmp_path: Path) -> None:
    """Metadata passes through unchanged, even a key UTF-8 cannot hold: it comes back as
    the JSON escape it was sent as (it used to be a 500)."""
    matcher = Matcher(dictionary=load_dictionary(FROZEN)).fit()
    client = TestClient(create_app(matcher, ServeSettings(store_path=tmp_path / "j.duckdb")))
    raw = json.dumps({"text": "村民自治", "metadata": {"\udc00": "\ud800x", "省": 1}}).encode()
    r = client.post("/v1/tag", content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 200
    assert b'"\\udc00":"\\ud800x"' in r.content
    assert json.loads(r.content)["metadata"] == {"\udc00": "\ud800x", "省": 1}
