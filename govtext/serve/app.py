"""The FastAPI application of `govtext serve`: the /v1 API, the editors' page and offline docs.

``create_app(matcher, settings)`` builds it around one fitted Matcher (dictionary and,
for token-boundary rules, segmenter loaded once), so a request costs the tagging alone.
The endpoints are in ``routes`` (one router per family); this module joins them and adds
the guard (token, body limits) and the error handlers. Every error is JSON
``{"error": {"code", "message"}}`` with a message a person can act on; no traceback
leaves the process.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from govtext import __version__
from govtext.errors import GovtextError
from govtext.serve.fast import inline, plain_tag_request, run_limited, tag_call
from govtext.serve.judgements import JudgementStore
from govtext.serve.responses import ApiError, json_error, json_response, validation_message
from govtext.serve.routes import ALLOWED_FIELDS, ROUTERS, swagger_assets
from govtext.serve.settings import ServeSettings
from govtext.themes.matcher import Matcher

log = logging.getLogger("govtext.serve")


# --------------------------------------------------------------------------- guard
class Guard:
    """Pure ASGI middleware: the bearer token on /v1 and the request body limits.

    The body is read here, up to its limit, before the application sees it: a request
    without Content-Length cannot slip a larger body past the check.
    """

    def __init__(self, app: ASGIApp, settings: ServeSettings, state: Any = None) -> None:
        self.app = app
        self.settings = settings
        self.token = settings.token.encode() if settings.token else None
        # The application's state (its matcher), for the plain tag requests answered here.
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        headers = dict(scope["headers"])
        if self.token is not None and path.startswith("/v1/") and scope["method"] != "OPTIONS":
            auth = headers.get(b"authorization", b"")
            scheme, _, given = auth.partition(b" ")
            if scheme.lower() != b"bearer" or not hmac.compare_digest(given.strip(), self.token):
                await json_error(
                    401,
                    "unauthorized",
                    "this server asks for a token: send the header 'Authorization: Bearer TOKEN' "
                    "with the token from the server's --token-file",
                    {"WWW-Authenticate": "Bearer"},
                )(scope, receive, send)
                return
        limit = self.settings.max_upload_bytes if path == "/v1/tag/file" else self.settings.max_body_bytes
        what = "--max-upload" if path == "/v1/tag/file" else "--max-body"

        def too_big() -> JSONResponse:
            return json_error(
                413,
                "too_large",
                f"the request body is over the server's limit of {limit:,} bytes ({what}); "
                "send a shorter text, split a batch, or start the server with a larger limit",
            )

        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await too_big()(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if len(body) > limit:
                await too_big()(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        sent = False
        if (
            path == "/v1/tag"
            and scope["method"] == "POST"
            and self.state is not None
            and headers.get(b"content-type") == b"application/json"
        ):
            plain = plain_tag_request(bytes(body), scope.get("query_string", b""))
            if plain is not None:
                await self._tag(plain, scope, receive, send)
                return

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, _nosniff(send))

    async def _tag(self, plain: Any, scope: Scope, receive: Receive, send: Send) -> None:
        """A plain POST /v1/tag (``fast.plain_tag_request``) answered as the route answers it:
        the same record and bytes, the same 503 at the time limit and 422 for a GovtextError;
        any other exception goes up to the server error handler, as the route's would."""
        try:
            work = tag_call(self.state.matcher, plain)
            limit = self.settings.time_limit
            record = work() if inline(plain, limit) else await run_limited(limit, work)
            response: Response = json_response(record, [record])
        except ApiError as exc:
            response = json_error(exc.status, exc.code, exc.message, exc.headers)
        except GovtextError as exc:
            response = _govtext_error(exc)
        await response(scope, receive, _nosniff(send))


def _nosniff(send: Send) -> Send:
    """``send`` adding the header that stops browsers guessing a content type."""

    async def secure_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {
                **message,
                "headers": [*message.get("headers", []), (b"x-content-type-options", b"nosniff")],
            }
        await send(message)

    return secure_send


# --------------------------------------------------------------------------- errors as JSON
async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
    return json_error(exc.status, exc.code, exc.message, exc.headers)


async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
    code, message = validation_message(list(exc.errors()), ALLOWED_FIELDS)
    status = 400 if code == "invalid_json" else 422
    return json_error(status, code, message)


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 404:
        message = f"no such endpoint: {request.method} {request.url.path}; the API is listed at /docs"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}; the API is listed at /docs"
    else:
        message = str(exc.detail)
    return json_error(exc.status_code, "http_" + str(exc.status_code), message, getattr(exc, "headers", None))


async def _govtext(_request: Request, exc: GovtextError) -> JSONResponse:
    return _govtext_error(exc)


def _govtext_error(exc: GovtextError) -> JSONResponse:
    from govtext.store import StoreLockedError

    if isinstance(exc, StoreLockedError):
        return json_error(503, "store_busy", str(exc))
    return json_error(422, "invalid_input", str(exc))


async def _crash(request: Request, exc: Exception) -> JSONResponse:
    log.exception("%s %s failed", request.method, request.url.path)
    return json_error(
        500,
        "internal_error",
        f"the server failed on this request ({type(exc).__name__}); nothing was stored. "
        "The server's log has the details; please report it with the request that caused it",
    )


ERROR_HANDLERS: tuple[tuple[type[Exception], Callable[..., Awaitable[JSONResponse]]], ...] = (
    (ApiError, _api_error),
    (RequestValidationError, _invalid),
    (StarletteHTTPException, _http),
    (GovtextError, _govtext),
    (Exception, _crash),
)


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
    # What the routes' dependencies read (routes._matcher and the others).
    app.state.matcher = m
    app.state.settings = settings
    app.state.judgements = judgements if judgements is not None else JudgementStore(settings.store_path)
    app.state.docs_assets = swagger_assets()
    for exc_class, handler in ERROR_HANDLERS:
        app.exception_handler(exc_class)(handler)
    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(Guard, settings=settings, state=app.state)
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
