"""`govtext serve`: the HTTP API and the editors' page in one process (docs/serve.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from govtext.errors import ConfigError

if TYPE_CHECKING:
    from govtext.serve import ServeSettings

# The option of each ServeSettings field and run() parameter, for library errors about one.
OPTIONS = {
    "host": "--host",
    "port": "--port",
    "token_file": "--token-file",
    "cors_origins": "--cors-origin",
    "store_path": "--store",
    "max_body_bytes": "--max-body",
    "max_upload_bytes": "--max-upload",
    "max_batch": "--max-batch",
    "time_limit": "--time-limit",
    "workers": "--workers",
}


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to bind; beyond loopback needs --token-file.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", help="TCP port.")] = 8000,
    dictionary: Annotated[
        Path | None,
        typer.Option(
            "--dictionary", "-d", help="Theme dictionary TOML (default: the shipped governance dictionary)."
        ),
    ] = None,
    extra: Annotated[
        list[Path] | None, typer.Option("--extra", help="Extra dictionary files that extend it (repeatable).")
    ] = None,
    token_file: Annotated[
        Path | None,
        typer.Option("--token-file", help="File holding a bearer token every /v1 request must send."),
    ] = None,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option(
            "--cors-origin", help="Origin allowed to call the API from a browser (repeatable; default: none)."
        ),
    ] = None,
    store: Annotated[Path, typer.Option("--store", help="DuckDB store for the editors' judgements.")] = Path(
        "reports/serve/govtext.duckdb"
    ),
    max_body: Annotated[int, typer.Option("--max-body", help="Largest JSON request body, in bytes.")] = 4
    * 1024
    * 1024,
    max_upload: Annotated[int, typer.Option("--max-upload", help="Largest uploaded file, in bytes.")] = 20
    * 1024
    * 1024,
    max_batch: Annotated[int, typer.Option("--max-batch", help="Most articles in one /v1/tag/batch.")] = 100,
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds one request may work.")] = 10.0,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            "-w",
            min=1,
            help="Processes answering requests, each with its own dictionary (default: one per core, at most 4).",
        ),
    ] = None,
) -> None:
    """Serve the tagging API (/v1/...), its docs (/docs) and the editors' page (/) on one port."""
    from govtext.cli.common import library_errors
    from govtext.serve import ServeSettings, default_workers, read_token_file, run
    from govtext.themes import Matcher, load_dictionary

    with library_errors("serve", OPTIONS):
        settings = _checked(
            ServeSettings(
                host=host,
                port=port,
                token=read_token_file(token_file) if token_file else None,
                cors_origins=tuple(cors_origin or ()),
                max_body_bytes=max_body,
                max_upload_bytes=max_upload,
                max_batch=max_batch,
                time_limit=time_limit,
                store_path=store,
            )
        )
        matcher = Matcher(dictionary=load_dictionary(dictionary, extra=extra or ())).fit()
        n = workers if workers is not None else default_workers()
        typer.echo(
            f"govtext serve: http://{'[' + host + ']' if ':' in host else host}:{port}/  "
            f"(API /v1, docs /docs; dictionary {matcher.dictionary_.hash}; "
            f"{n} worker{'s' if n > 1 else ''}; Ctrl-C stops)",
            err=True,
        )
        run(
            matcher,
            settings,
            workers=n,
            dictionary=dictionary,
            extra=extra or (),
            token_file=token_file,
        )


def _checked(settings: ServeSettings) -> ServeSettings:
    """``settings.check()``, saying where this command's token comes from when one is needed."""
    try:
        return settings.check()
    except ConfigError as exc:
        if exc.param != "host":
            raise
        raise ConfigError(f"{exc.detail} (--token-file FILE)", param="host") from None
