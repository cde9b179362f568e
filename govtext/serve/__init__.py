"""`govtext serve`: the HTTP API and the editors' page, around one loaded dictionary.

>>> from govtext.serve import ServeSettings
>>> ServeSettings().host
'127.0.0.1'

``create_app`` (FastAPI, imported on first use) builds the application; ``run`` serves
it with uvicorn, in one process or in several worker processes that share the port
(each loads the dictionary itself). The API is documented in docs/serve.md.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govtext.errors import ConfigError
from govtext.serve.settings import ServeSettings, default_workers, is_loopback, read_token_file

if TYPE_CHECKING:
    from fastapi import FastAPI

    from govtext.themes.matcher import Matcher

__all__ = [
    "ServeSettings",
    "app_from_environment",
    "create_app",
    "default_workers",
    "is_loopback",
    "read_token_file",
    "run",
]

# How the parent hands a worker process what it needs to build the same application:
# settings and dictionary files as JSON in the environment (never the token itself: the
# worker reads the token file again).
CONFIG_ENV = "GOVTEXT_SERVE_CONFIG"


def create_app(matcher: Matcher | None = None, settings: ServeSettings | None = None, **kw: Any) -> FastAPI:
    from govtext.serve.app import create_app as _create

    return _create(matcher, settings, **kw)


def _uvicorn_options(settings: ServeSettings, log_level: str) -> dict[str, Any]:
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": log_level,
        "access_log": False,
        "server_header": False,
        # Slow clients may not hold connections open for ever.
        "timeout_keep_alive": 5,
    }


def run(
    matcher: Matcher,
    settings: ServeSettings,
    *,
    log_level: str = "warning",
    workers: int = 1,
    dictionary: str | Path | None = None,
    extra: Sequence[str | Path] = (),
    token_file: str | Path | None = None,
) -> None:
    """Serve until interrupted (Ctrl-C). Settings are checked before anything listens.

    ``workers`` > 1 starts that many processes on one listening socket (uvicorn's
    supervisor restarts one that dies); each loads ``dictionary`` and ``extra`` itself
    and must arrive at ``matcher``'s dictionary hash, and reads ``token_file`` again
    when ``settings`` asks for a token. Judgements stay safe: every write opens the
    DuckDB store, and a worker that finds it open in another waits its turn.
    """
    import uvicorn

    settings.check()
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(
            f"must be a whole number of processes ≥ 1. Got {workers!r} instead.", param="workers"
        )
    if workers == 1:
        app = create_app(matcher, settings)
        uvicorn.Server(uvicorn.Config(app, **_uvicorn_options(settings, log_level))).run()
        return
    if settings.token and token_file is None:
        raise ConfigError(
            "run(workers > 1) with a token needs token_file: each worker reads the token itself"
        )
    fields = asdict(settings)
    fields.pop("token")
    fields["store_path"] = str(Path(settings.store_path).resolve())
    fields["cors_origins"] = list(settings.cors_origins)
    os.environ[CONFIG_ENV] = json.dumps(
        {
            "settings": fields,
            "token_file": str(Path(token_file).resolve()) if settings.token and token_file else None,
            "dictionary": str(Path(dictionary).resolve()) if dictionary else None,
            "extra": [str(Path(p).resolve()) for p in extra],
            "dictionary_hash": matcher.dictionary_.hash,
        }
    )
    uvicorn.run(
        "govtext.serve:app_from_environment",
        factory=True,
        workers=workers,
        **_uvicorn_options(settings, log_level),
    )


def app_from_environment() -> FastAPI:
    """The application of one worker process, built from what ``run`` left in the environment."""
    from govtext.themes import Matcher, load_dictionary

    raw = os.environ.get(CONFIG_ENV)
    if not raw:
        raise ConfigError(
            f"{CONFIG_ENV} is not set: this builds the worker processes that run(..., workers=N) starts, "
            "from what run() leaves there"
        )
    cfg = json.loads(raw)
    fields = dict(cfg["settings"])
    fields["cors_origins"] = tuple(fields["cors_origins"])
    fields["store_path"] = Path(fields["store_path"])
    token = read_token_file(cfg["token_file"]) if cfg.get("token_file") else None
    settings = ServeSettings(**fields, token=token).check()
    matcher = Matcher(dictionary=load_dictionary(cfg["dictionary"], extra=cfg["extra"])).fit()
    if matcher.dictionary_.hash != cfg["dictionary_hash"]:
        # A dictionary file changed between the start of the server and of this worker:
        # two workers must never answer with different rules.
        raise ConfigError(
            f"dictionary {cfg['dictionary'] or '(shipped)'} changed while the server started "
            f"(hash {matcher.dictionary_.hash}, expected {cfg['dictionary_hash']}); restart govtext serve"
        )
    return create_app(matcher, settings)
