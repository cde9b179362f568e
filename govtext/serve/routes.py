"""The endpoints of `govtext serve`, one APIRouter per family: service, dictionary, tag,
judgements, and the page with its offline docs.

What an endpoint needs from the application (the fitted Matcher, the settings, the
judgement store, the time limit) comes in as a FastAPI dependency read from
``app.state``, which ``create_app`` fills once. The bearer token and the body limits
are not dependencies: ``app.Guard`` checks them before a route is even chosen.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from govtext import __version__
from govtext.errors import GovtextError, InputError
from govtext.serve import service
from govtext.serve.fast import run_limited
from govtext.serve.judgements import Judgement, JudgementStore, export_csv, export_jsonl
from govtext.serve.responses import ApiError, error_body, json_response, validation_message
from govtext.serve.settings import ServeSettings
from govtext.themes.matcher import Matcher

STATIC = Path(str(resources.files("govtext.serve") / "static"))
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


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


# The fields named when a request body has one the API does not know, by where it sits.
ALLOWED_FIELDS = {"": list(Article.model_fields), "articles": list(Article.model_fields)}


# --------------------------------------------------------------------------- dependencies
async def _matcher(request: Request) -> Matcher:
    matcher: Matcher = request.app.state.matcher
    return matcher


async def _settings(request: Request) -> ServeSettings:
    settings: ServeSettings = request.app.state.settings
    return settings


async def _store(request: Request) -> JudgementStore:
    store: JudgementStore = request.app.state.judgements
    return store


Limited = Callable[[Callable[[], Any]], Awaitable[Any]]


async def _run_limited(time_limit: float, fn: Callable[[], Any]) -> Any:
    """Run ``fn`` in a worker thread, answering 503 when it passes the time limit
    (``fast.run_limited``, shared with the plain tag requests)."""
    return await run_limited(time_limit, fn)


async def _limited(settings: Annotated[ServeSettings, Depends(_settings)]) -> Limited:
    return partial(_run_limited, settings.time_limit)


MatcherDep = Annotated[Matcher, Depends(_matcher)]
SettingsDep = Annotated[ServeSettings, Depends(_settings)]
StoreDep = Annotated[JudgementStore, Depends(_store)]
LimitedDep = Annotated[Limited, Depends(_limited)]

EVIDENCE = Query(3, ge=1, le=1000, description="Evidence sentences kept per theme.")
HITS = Query(True, description="Include every counted hit (hits[]).")
EXPLAIN = Query(
    False, description="Include vetoed look-alikes with the exclusion that vetoed each (vetoed[])."
)
SENTENCES = Query(False, description="Include the sentence spans (sentences[]).")
UPLOAD = File(..., description="The file (multipart field 'file').")
OPTIONS = ("evidence", "hits", "explain", "sentences")


async def _tag_options(
    evidence: int = EVIDENCE, hits: bool = HITS, explain: bool = EXPLAIN, sentences: bool = SENTENCES
) -> dict[str, Any]:
    """The query options every tag endpoint takes, as ``service.tag_text``'s keywords."""
    return {"evidence": evidence, "hits": hits, "explain": explain, "sentences": sentences}


TagOptions = Annotated[dict[str, Any], Depends(_tag_options)]


def _known_options(request: Request, *extra: str) -> None:
    """Unknown query options are refused: a misspelt ``explian=true`` must not pass silently.

    Checked in the endpoint, after FastAPI has validated the body and the known options,
    so a request with several problems names the same one first as it always did.
    """
    known = (*OPTIONS, *extra)
    for key in request.query_params:
        if key not in known:
            raise ApiError(
                422, "unknown_option", f"unknown query option {key!r}; allowed: {', '.join(known)}"
            )


# --------------------------------------------------------------------------- service and dictionary
service_router = APIRouter(tags=["service"])
dictionary_router = APIRouter(tags=["dictionary"])


@service_router.get("/healthz")
def healthz(m: MatcherDep) -> dict[str, Any]:
    """Liveness: the version and the dictionary this process holds."""
    return {"status": "ok", "version": __version__, "dictionary": m.dictionary_.hash}


@dictionary_router.get("/v1/themes")
def themes(m: MatcherDep) -> dict[str, Any]:
    """Frameworks and their themes (names, descriptions, the page's colours)."""
    return service.themes_info(m)


@dictionary_router.get("/v1/dictionary")
def dictionary(m: MatcherDep) -> dict[str, Any]:
    """The dictionary's hash, format and matcher version, and how many themes and rules it has."""
    return service.dictionary_summary(m)


# --------------------------------------------------------------------------- tag
tag_router = APIRouter(tags=["tag"])


@tag_router.post("/v1/tag")
async def tag(
    article: Article, request: Request, opts: TagOptions, m: MatcherDep, limited: LimitedDep
) -> Response:
    """One article → its tag record (schema: govtext/data/tag.schema.json)."""
    _known_options(request)
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


def _tag_articles(m: Matcher, articles: list[Any], opts: dict[str, Any]) -> list[dict[str, Any]]:
    """Each article's tag record, or an error entry for an article that is not valid."""
    out: list[dict[str, Any]] = []
    for i, raw in enumerate(articles):
        try:
            a = Article.model_validate(raw)
            out.append(
                service.tag_text(
                    m, a.text, a.id or f"article-{i + 1}", a.title, metadata=a.metadata or {}, **opts
                )
            )
        except ValidationError as exc:
            errors = [dict(e) for e in exc.errors()]
            code, message = validation_message(errors, {"": ALLOWED_FIELDS[""]})
            out.append({"index": i, **error_body(code, f"articles[{i}]: {message}")})
        except GovtextError as exc:
            out.append({"index": i, **error_body("invalid_input", f"articles[{i}]: {exc}")})
    return out


@tag_router.post("/v1/tag/batch")
async def tag_batch(
    batch: Batch,
    request: Request,
    opts: TagOptions,
    m: MatcherDep,
    settings: SettingsDep,
    limited: LimitedDep,
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
    results = await limited(partial(_tag_articles, m, batch.articles, opts))
    failed = sum(1 for r in results if "error" in r)
    return json_response({"results": results, "n_ok": len(results) - failed, "n_failed": failed}, results)


def _tag_upload(
    m: Matcher, data: bytes, name: str, time_limit: float, want_text: bool, opts: dict[str, Any]
) -> dict[str, Any]:
    # The extraction stops at the time limit too, not only the answer.
    docs, manifest = service.ingest_upload(data, name, timeout=time_limit)
    if not docs:
        raise InputError(
            f"upload {name!r}: no text could be read ({manifest['status']}: {manifest['reason'] or 'no reason given'}); "
            "check the file opens, or paste its text instead"
        )
    records = [service.tag_doc(m, d, text=want_text, **opts) for d in docs]
    return {"file": manifest, "documents": records}


async def _file_options(
    evidence: int = EVIDENCE,
    hits: bool = HITS,
    explain: bool = EXPLAIN,
    sentences: bool = SENTENCES,
    text: bool = Query(False, description="Include each document's text (text), as ingest read it."),
) -> tuple[dict[str, Any], bool]:
    # The tag options and `text`, declared in this order so the API's schema lists them so.
    return await _tag_options(evidence, hits, explain, sentences), text


@tag_router.post("/v1/tag/file")
async def tag_file(
    request: Request,
    options: Annotated[tuple[dict[str, Any], bool], Depends(_file_options)],
    m: MatcherDep,
    settings: SettingsDep,
    limited: LimitedDep,
    file: UploadFile = UPLOAD,
) -> Response:
    """A .txt/.md/.html/.docx/.pdf file read by govtext's ingest; every article in it is tagged."""
    _known_options(request, "text")
    opts, want_text = options
    data = await file.read()
    name = file.filename or "upload"
    out = await limited(partial(_tag_upload, m, data, name, settings.time_limit, want_text, opts))
    return json_response(out, out["documents"])


@tag_router.post("/v1/kwic")
async def kwic(req: KwicRequest, m: MatcherDep, limited: LimitedDep) -> dict[str, Any]:
    """Every occurrence of a term (or a theme's candidates) with its verdict: counted, vetoed (by which exclusion), subsumed."""
    doc = service.document(req.text, req.id or "", "")
    lines = await limited(partial(service.kwic_lines, m, doc, req.query, req.width))
    return {"query": req.query, "doc_id": doc.doc_id, "n": len(lines), "lines": lines}


# --------------------------------------------------------------------------- judgements
judgements_router = APIRouter(tags=["judgements"])


@judgements_router.post("/v1/judgements", status_code=201)
async def add_judgement(
    req: JudgementRequest, m: MatcherDep, store: StoreDep, limited: LimitedDep
) -> dict[str, Any]:
    """An editor's judgement: a hit marked wrong, or a theme the rules missed in a sentence."""
    theme_ids = set(m.dictionary_.themes)
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


@judgements_router.get("/v1/judgements")
async def list_judgements(
    store: StoreDep,
    limited: LimitedDep,
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


# --------------------------------------------------------------------------- the page and the docs
page_router = APIRouter(include_in_schema=False)


@page_router.get("/")
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


@page_router.get("/static/{name}")
def static(name: str) -> FileResponse:
    # A fixed list, not a directory listing: nothing but the page's own files is served.
    types = {"app.js": "text/javascript", "app.css": "text/css"}
    if name not in types:
        raise StarletteHTTPException(404)
    return FileResponse(
        STATIC / name, media_type=f"{types[name]}; charset=utf-8", headers={"Cache-Control": "no-cache"}
    )


def swagger_assets() -> Path | None:
    """Swagger UI's files from the fastapi-offline package (no CDN), or None without it."""
    try:
        path = Path(str(resources.files("fastapi_offline") / "static"))
    except ModuleNotFoundError:
        return None
    return path if (path / "swagger-ui-bundle.js").is_file() else None


@page_router.get("/docs")
def docs(request: Request) -> HTMLResponse:
    from fastapi.openapi.docs import get_swagger_ui_html

    if request.app.state.docs_assets is None:
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


@page_router.get("/docs-assets/{name}")
def docs_asset(name: str, request: Request) -> FileResponse:
    types = {
        "swagger-ui-bundle.js": "text/javascript",
        "swagger-ui.css": "text/css",
        "favicon.png": "image/png",
    }
    assets: Path | None = request.app.state.docs_assets
    if assets is None or name not in types:
        raise StarletteHTTPException(404)
    return FileResponse(assets / name, media_type=types[name])


ROUTERS = (service_router, dictionary_router, tag_router, judgements_router, page_router)
