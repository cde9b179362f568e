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

from fastapi.testclient import TestClient

from govtext.serve import ServeSettings, create_app
from govtext.themes import Matcher, load_dictionary

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


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        DIGESTS.write_text(
            json.dumps(digests(Path(tmp)), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
    print(f"wrote {DIGESTS}")
