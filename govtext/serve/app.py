"""The FastAPI application of `govtext serve`: the /v1 API, the editors' page and offline docs.

``create_app(matcher, settings)`` builds it around one fitted Matcher (dictionary and,
for token-boundary rules, segmenter loaded once), so a request costs the tagging alone.
Every error is JSON ``{"error": {"code", "message"}}`` with a message a person can act
on; no traceback leaves the process.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
from collections.abc import Callable
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import orjson
from fastapi import FastAPI, File, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from govtext import __version__
from govtext.errors import GovtextError, InputError
from govtext.serve import service
from govtext.serve.judgements import Judgement, JudgementStore, export_csv, export_jsonl
from govtext.serve.settings import ServeSettings
from govtext.themes.matcher import Matcher

log = logging.getLogger("govtext.serve")
STATIC = Path(str(resources.files("govtext.serve") / "static"))
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def _json_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


def _json_safe_for_orjson(value: Any) -> bool:
    """True when orjson writes ``value`` byte for byte as the standard library does.

    The two differ only on floats: below 1e-4 (orjson ``0.00001``, Python ``1e-05``)
    and NaN/infinity (orjson ``null``, Python refuses them). Integers beyond 64 bits and
    lone surrogates make orjson raise, which sends the answer to the standard encoder.
    """
    if isinstance(value, float):
        return math.isfinite(value) and (value == 0.0 or abs(value) >= 1e-4)
    if isinstance(value, dict):
        return all(_json_safe_for_orjson(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(_json_safe_for_orjson(v) for v in value)
    return True


def _records_safe(records: list[dict[str, Any]]) -> bool:
    # A tag record's only floats are the themes' weighted hits and densities; the rest is
    # strings, small integers, and the client's metadata (anything JSON can hold).
    return all(
        _json_safe_for_orjson(r.get("metadata"))
        and all(_json_safe_for_orjson((t["weighted"], t["density"])) for t in r.get("themes", ()))
        for r in records
    )


def json_response(content: Any, records: list[dict[str, Any]], status_code: int = 200) -> Response:
    """``content`` as the JSON Starlette's JSONResponse writes (same bytes), written by orjson
    when that is known to give the same bytes (about 0.25 ms less per 3,000-character article).

    ``records`` are the tag records inside ``content``: the only parts whose floats are not
    known in advance.
    """
    body: bytes | None = None
    if _records_safe(records):
        try:
            body = orjson.dumps(content)
        except TypeError:  # an integer beyond 64 bits, a lone surrogate: the standard encoder decides
            body = None
    if body is None:
        body = json.dumps(
            content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
        ).encode("utf-8")
    return Response(body, status_code=status_code, media_type="application/json")


# --------------------------------------------------------------------------- requests
class Article(BaseModel):
    """One article to tag. Unknown fields are refused (a typo must not pass silently)."""

    model_config = ConfigDict(extra="forbid")
    id: str | None = Field(None, max_length=500, description="Your id; comes back as doc_id.")
    title: str = Field("", max_length=2000)
    text: str = Field(..., description="The article's text (plain text; HTML is not parsed here).")
    metadata: dict[str, Any] | None = Field(None, description="Passed through unchanged.")


class Batch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    articles: list[Any] = Field(..., description="Articles as for POST /v1/tag; each is checked on its own.")


class KwicRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    query: str = Field(..., max_length=200, description="A term (自治), a theme id, or theme:NAME.")
    id: str | None = Field(None, max_length=500)
    width: int = Field(20, ge=1, le=200, description="Characters of context on each side.")


class JudgementRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    doc_id: str = Field(..., max_length=500)
    verdict: Literal["wrong", "missed"] = Field(
        ..., description="wrong: the hit is not this theme; missed: the sentence has this theme."
    )
    theme: str = Field(..., max_length=100)
    sentence: str = Field(..., min_length=1, max_length=20_000)
    sentence_index: int | None = Field(None, ge=0)
    rule: str = Field("", max_length=200)
    term: str = Field("", max_length=500)
    char_start: int | None = Field(None, ge=0)
    char_end: int | None = Field(None, ge=0)
    predicted: list[str] = Field(default_factory=list, max_length=100)
    dictionary_hash: str = Field("", max_length=64)
    editor: str = Field("", max_length=200)
    note: str = Field("", max_length=2000)


# --------------------------------------------------------------------------- guard
class Guard:
    """Pure ASGI middleware: the bearer token on /v1 and the request body limits.

    The body is read here, up to its limit, before the application sees it: a request
    without Content-Length cannot slip a larger body past the check.
    """

    def __init__(self, app: ASGIApp, settings: ServeSettings) -> None:
        self.app = app
        self.settings = settings
        self.token = settings.token.encode() if settings.token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if self.token is not None and path.startswith("/v1/") and scope["method"] != "OPTIONS":
            auth = dict(scope["headers"]).get(b"authorization", b"")
            scheme, _, given = auth.partition(b" ")
            if scheme.lower() != b"bearer" or not hmac.compare_digest(given.strip(), self.token):
                await _json_error(
                    401,
                    "unauthorized",
                    "this server asks for a token: send the header 'Authorization: Bearer TOKEN' "
                    "with the token from the server's --token-file",
                    {"WWW-Authenticate": "Bearer"},
                )(scope, receive, send)
                return
        limit = self.settings.max_upload_bytes if path == "/v1/tag/file" else self.settings.max_body_bytes
        what = "--max-upload" if path == "/v1/tag/file" else "--max-body"
        too_big = _json_error(
            413,
            "too_large",
            f"the request body is over the server's limit of {limit:,} bytes ({what}); "
            "send a shorter text, split a batch, or start the server with a larger limit",
        )
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await too_big(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if len(body) > limit:
                await too_big(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        async def secure_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-content-type-options", b"nosniff"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, replay, secure_send)


# --------------------------------------------------------------------------- validation messages
def _validation_message(errors: list[dict[str, Any]], allowed: dict[str, list[str]]) -> tuple[str, str]:
    """(code, one sentence) for pydantic errors: the field, what was wrong, what is right."""
    # A misspelt field shows as "unknown" and as "required" at once: name the misspelling.
    first = next((e for e in errors if e.get("type") == "extra_forbidden"), errors[0])
    loc = [str(x) for x in first.get("loc", ()) if x != "body"]
    where = ".".join(loc) or "the request body"
    kind = first.get("type", "")
    if kind == "json_invalid":
        return "invalid_json", (
            f"the request body is not valid JSON ({first.get('ctx', {}).get('error', first.get('msg'))}); "
            'send an object such as {"text": "…"} with Content-Type: application/json'
        )
    if kind == "extra_forbidden":
        parent = loc[-2] if len(loc) > 1 else ""
        fields = allowed.get(parent, allowed.get("", []))
        return "unknown_field", (
            f"unknown field {loc[-1]!r}"
            + (f" in {'.'.join(loc[:-1])}" if len(loc) > 1 else "")
            + (f"; allowed fields: {', '.join(fields)}" if fields else "")
        )
    if kind == "missing":
        return "missing_field", f"{where} is required"
    if kind in ("model_type", "model_attributes_type", "dict_type") and not loc:
        return "invalid_request", 'the request body must be a JSON object such as {"text": "…"}'
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    got = first.get("input")
    shown = (
        f"; got {type(got).__name__} {str(got)[:60]!r}"
        if got is not None and not isinstance(got, dict)
        else ""
    )
    return "invalid_value", f"{where}: {first.get('msg', 'invalid value')}{shown}{more}"


def _fields(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


# --------------------------------------------------------------------------- the app
def create_app(
    matcher: Matcher | None = None,
    settings: ServeSettings | None = None,
    *,
    judgements: JudgementStore | None = None,
) -> FastAPI:
    """The application around a fitted ``matcher`` (default: the shipped dictionary).

    >>> from fastapi.testclient import TestClient
    >>> client = TestClient(create_app())
    >>> client.post("/v1/tag", json={"text": "深化接诉即办改革。"}).json()["themes"][0]["theme"]
    'complaint_response'
    """
    settings = (settings or ServeSettings()).check()
    m = matcher if matcher is not None else Matcher().fit()
    if not hasattr(m, "rules_"):
        m.fit()
    store = judgements if judgements is not None else JudgementStore(settings.store_path)
    theme_ids = set(m.dictionary_.themes)
    allowed = {
        "": _fields(Article),
        "articles": _fields(Article),
    }

    app = FastAPI(
        title="govtext API",
        version=__version__,
        description=(
            "Governance themes with their evidence sentences, for editors and CMSs. "
            "Offsets count Unicode code points; the *_utf16 fields count UTF-16 code units. "
            "Documentation: docs/serve.md."
        ),
        docs_url=None,
        redoc_url=None,
    )
    app.state.matcher = m
    app.state.settings = settings
    app.state.judgements = store

    async def limited(fn: Callable[[], Any]) -> Any:
        """Run ``fn`` in a worker thread, answering 503 when it passes the time limit.

        A Python thread cannot be stopped from outside: the abandoned work runs to its
        end in the background, but the client gets its answer at the limit.
        """
        import anyio

        try:
            with anyio.fail_after(settings.time_limit):
                return await anyio.to_thread.run_sync(fn, abandon_on_cancel=True)
        except TimeoutError:
            raise ApiError(
                503,
                "time_limit",
                f"the request took longer than the server's limit of {settings.time_limit:g} s "
                "(--time-limit); send a shorter text or fewer articles",
            ) from None

    # ---------------------------------------------------------------- errors as JSON
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return _json_error(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        code, message = _validation_message(errors, allowed)
        status = 400 if code == "invalid_json" else 422
        return _json_error(status, code, message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            message = f"no such endpoint: {request.method} {request.url.path}; the API is listed at /docs"
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}; the API is listed at /docs"
        else:
            message = str(exc.detail)
        return _json_error(
            exc.status_code, "http_" + str(exc.status_code), message, getattr(exc, "headers", None)
        )

    @app.exception_handler(GovtextError)
    async def _govtext(_request: Request, exc: GovtextError) -> JSONResponse:
        from govtext.store import StoreLockedError

        if isinstance(exc, StoreLockedError):
            return _json_error(503, "store_busy", str(exc))
        return _json_error(422, "invalid_input", str(exc))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s failed", request.method, request.url.path)
        return _json_error(
            500,
            "internal_error",
            f"the server failed on this request ({type(exc).__name__}); nothing was stored. "
            "The server's log has the details; please report it with the request that caused it",
        )

    # ---------------------------------------------------------------- endpoints
    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, Any]:
        """Liveness: the version and the dictionary this process holds."""
        return {"status": "ok", "version": __version__, "dictionary": m.dictionary_.hash}

    @app.get("/v1/themes", tags=["dictionary"])
    def themes() -> dict[str, Any]:
        """Frameworks and their themes (names, descriptions, the page's colours)."""
        return service.themes_info(m)

    @app.get("/v1/dictionary", tags=["dictionary"])
    def dictionary() -> dict[str, Any]:
        """The dictionary's hash, format and matcher version, and how many themes and rules it has."""
        return service.dictionary_summary(m)

    @app.post("/v1/tag", tags=["tag"])
    async def tag(
        article: Article,
        request: Request,
        evidence: int = EVIDENCE,
        hits: bool = HITS,
        explain: bool = EXPLAIN,
        sentences: bool = SENTENCES,
    ) -> Response:
        """One article → its tag record (schema: govtext/data/tag.schema.json)."""
        _known_options(request)
        opts: dict[str, Any] = {
            "evidence": evidence,
            "hits": hits,
            "explain": explain,
            "sentences": sentences,
        }
        record = await limited(
            partial(
                service.tag_text,
                m,
                article.text,
                article.id or "",
                article.title,
                metadata=article.metadata or {},
                **opts,
            )
        )
        return json_response(record, [record])

    @app.post("/v1/tag/batch", tags=["tag"])
    async def tag_batch(
        batch: Batch,
        request: Request,
        evidence: int = EVIDENCE,
        hits: bool = HITS,
        explain: bool = EXPLAIN,
        sentences: bool = SENTENCES,
    ) -> Response:
        """Up to --max-batch articles; an article with an error gets an error entry, the others their records."""
        _known_options(request)
        if len(batch.articles) > settings.max_batch:
            raise ApiError(
                413,
                "too_many_articles",
                f"the batch has {len(batch.articles)} articles, over the server's limit of "
                f"{settings.max_batch} (--max-batch); send it in smaller batches",
            )
        opts: dict[str, Any] = {
            "evidence": evidence,
            "hits": hits,
            "explain": explain,
            "sentences": sentences,
        }

        def run() -> list[dict[str, Any]]:
            out: list[dict[str, Any]] = []
            for i, raw in enumerate(batch.articles):
                try:
                    a = Article.model_validate(raw)
                    out.append(
                        service.tag_text(
                            m, a.text, a.id or f"article-{i + 1}", a.title, metadata=a.metadata or {}, **opts
                        )
                    )
                except ValidationError as exc:
                    errors = [dict(e) for e in exc.errors()]
                    code, message = _validation_message(errors, {"": allowed[""]})
                    out.append({"index": i, **error_body(code, f"articles[{i}]: {message}")})
                except GovtextError as exc:
                    out.append({"index": i, **error_body("invalid_input", f"articles[{i}]: {exc}")})
            return out

        results = await limited(run)
        failed = sum(1 for r in results if "error" in r)
        return json_response({"results": results, "n_ok": len(results) - failed, "n_failed": failed}, results)

    @app.post("/v1/tag/file", tags=["tag"])
    async def tag_file(
        request: Request,
        file: UploadFile = UPLOAD,
        evidence: int = EVIDENCE,
        hits: bool = HITS,
        explain: bool = EXPLAIN,
        sentences: bool = SENTENCES,
        text: bool = Query(False, description="Include each document's text (text), as ingest read it."),
    ) -> Response:
        """A .txt/.md/.html/.docx/.pdf file read by govtext's ingest; every article in it is tagged."""
        _known_options(request, "text")
        opts: dict[str, Any] = {
            "evidence": evidence,
            "hits": hits,
            "explain": explain,
            "sentences": sentences,
        }
        want_text = text
        data = await file.read()
        name = file.filename or "upload"

        def run() -> dict[str, Any]:
            # The extraction stops at the time limit too, not only the answer.
            docs, manifest = service.ingest_upload(data, name, timeout=settings.time_limit)
            if not docs:
                raise InputError(
                    f"upload {name!r}: no text could be read ({manifest['status']}: {manifest['reason'] or 'no reason given'}); "
                    "check the file opens, or paste its text instead"
                )
            records = [service.tag_doc(m, d, text=want_text, **opts) for d in docs]
            return {"file": manifest, "documents": records}

        out = await limited(run)
        return json_response(out, out["documents"])

    @app.post("/v1/kwic", tags=["tag"])
    async def kwic(req: KwicRequest) -> dict[str, Any]:
        """Every occurrence of a term (or a theme's candidates) with its verdict: counted, vetoed (by which exclusion), subsumed."""
        doc = service.document(req.text, req.id or "", "")
        lines = await limited(partial(service.kwic_lines, m, doc, req.query, req.width))
        return {"query": req.query, "doc_id": doc.doc_id, "n": len(lines), "lines": lines}

    @app.post("/v1/judgements", status_code=201, tags=["judgements"])
    async def add_judgement(req: JudgementRequest) -> dict[str, Any]:
        """An editor's judgement: a hit marked wrong, or a theme the rules missed in a sentence."""
        if req.theme not in theme_ids:
            raise ApiError(
                422,
                "unknown_theme",
                f"theme {req.theme!r} is not in the dictionary; use one of: {', '.join(theme_ids)}",
            )
        j = Judgement(
            doc_id=service.clean_text(req.doc_id),
            verdict=req.verdict,
            theme=req.theme,
            sentence=service.clean_text(req.sentence),
            sentence_index=req.sentence_index,
            rule=req.rule,
            term=service.clean_text(req.term),
            char_start=req.char_start,
            char_end=req.char_end,
            predicted=tuple(t for t in req.predicted if t in theme_ids),
            dictionary_hash=req.dictionary_hash or m.dictionary_.hash,
            editor=service.clean_text(req.editor),
            note=service.clean_text(req.note),
        )
        return await limited(partial(store.add, j))

    @app.get("/v1/judgements", tags=["judgements"])
    async def list_judgements(
        format: Literal["json", "jsonl", "csv"] = Query(
            "json",
            description="json: every judgement; jsonl: judged sentences as labelled units; csv: one row each.",
        ),
    ) -> Response:
        """The judgements stored so far, for the scholars' validation and dictionary work."""
        rows = await limited(store.rows)
        if format == "csv":
            return Response(
                export_csv(rows),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": 'attachment; filename="judgements.csv"'},
            )
        if format == "jsonl":
            return PlainTextResponse(
                export_jsonl(rows),
                media_type="application/x-ndjson; charset=utf-8",
                headers={"Content-Disposition": 'attachment; filename="judgements.jsonl"'},
            )
        return JSONResponse({"n": len(rows), "judgements": rows})

    # ---------------------------------------------------------------- the page and the docs
    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(
            STATIC / "index.html",
            media_type="text/html; charset=utf-8",
            headers={
                "Content-Security-Policy": PAGE_CSP,
                "Referrer-Policy": "no-referrer",
                "Cache-Control": "no-cache",
            },
        )

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> FileResponse:
        # A fixed list, not a directory listing: nothing but the page's own files is served.
        types = {"app.js": "text/javascript", "app.css": "text/css"}
        if name not in types:
            raise StarletteHTTPException(404)
        return FileResponse(
            STATIC / name, media_type=f"{types[name]}; charset=utf-8", headers={"Cache-Control": "no-cache"}
        )

    docs_assets = _swagger_assets()

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        from fastapi.openapi.docs import get_swagger_ui_html

        if docs_assets is None:
            return HTMLResponse(
                "<p>The interactive docs need the fastapi-offline package; the API schema is at "
                '<a href="/openapi.json">/openapi.json</a>.</p>'
            )
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="govtext API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon.png",
        )

    @app.get("/docs-assets/{name}", include_in_schema=False)
    def docs_asset(name: str) -> FileResponse:
        types = {
            "swagger-ui-bundle.js": "text/javascript",
            "swagger-ui.css": "text/css",
            "favicon.png": "image/png",
        }
        if docs_assets is None or name not in types:
            raise StarletteHTTPException(404)
        return FileResponse(docs_assets / name, media_type=types[name])

    app.add_middleware(Guard, settings=settings)
    if settings.cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        )
    return app


EVIDENCE = Query(3, ge=1, le=1000, description="Evidence sentences kept per theme.")
HITS = Query(True, description="Include every counted hit (hits[]).")
EXPLAIN = Query(
    False, description="Include vetoed look-alikes with the exclusion that vetoed each (vetoed[])."
)
SENTENCES = Query(False, description="Include the sentence spans (sentences[]).")
UPLOAD = File(..., description="The file (multipart field 'file').")
OPTIONS = ("evidence", "hits", "explain", "sentences")


def _known_options(request: Request, *extra: str) -> None:
    """Unknown query options are refused: a misspelt ``explian=true`` must not pass silently."""
    known = (*OPTIONS, *extra)
    for key in request.query_params:
        if key not in known:
            raise ApiError(
                422, "unknown_option", f"unknown query option {key!r}; allowed: {', '.join(known)}"
            )


def _swagger_assets() -> Path | None:
    """Swagger UI's files from the fastapi-offline package (no CDN), or None without it."""
    try:
        path = Path(str(resources.files("fastapi_offline") / "static"))
    except ModuleNotFoundError:
        return None
    return path if (path / "swagger-ui-bundle.js").is_file() else None
