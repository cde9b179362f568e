"""`govtext serve`: the HTTP API and the editors' page, around one loaded dictionary.

>>> from govtext.serve import ServeSettings
>>> ServeSettings().host
'127.0.0.1'

``create_app`` (FastAPI, imported on first use) builds the application; ``run`` serves
it with uvicorn. The API is documented in docs/serve.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govtext.serve.settings import ServeSettings, is_loopback, read_token_file

if TYPE_CHECKING:
    from fastapi import FastAPI

    from govtext.themes.matcher import Matcher

__all__ = ["ServeSettings", "create_app", "is_loopback", "read_token_file", "run"]


def create_app(matcher: Matcher | None = None, settings: ServeSettings | None = None, **kw: Any) -> FastAPI:
    from govtext.serve.app import create_app as _create

    return _create(matcher, settings, **kw)


def run(matcher: Matcher, settings: ServeSettings, *, log_level: str = "warning") -> None:
    """Serve until interrupted (Ctrl-C). Settings are checked before anything listens."""
    import uvicorn

    app = create_app(matcher, settings.check())
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        access_log=False,
        server_header=False,
        # Slow clients may not hold connections open for ever.
        timeout_keep_alive=5,
    )
    uvicorn.Server(config).run()
