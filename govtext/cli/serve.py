"""`govtext serve`: the HTTP API and the editors' page in one process (docs/serve.md)."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to bind; beyond loopback needs --token-file."
    ),
    port: int = typer.Option(8000, "--port", "-p", help="TCP port."),
    dictionary: Path = typer.Option(
        None, "--dictionary", "-d", help="Theme dictionary TOML (default: the shipped governance dictionary)."
    ),
    extra: list[Path] = typer.Option(
        None, "--extra", help="Extra dictionary files that extend it (repeatable)."
    ),
    token_file: Path = typer.Option(
        None, "--token-file", help="File holding a bearer token every /v1 request must send."
    ),
    cors_origin: list[str] = typer.Option(
        None,
        "--cors-origin",
        help="Origin allowed to call the API from a browser (repeatable; default: none).",
    ),
    store: Path = typer.Option(
        Path("reports/serve/govtext.duckdb"), "--store", help="DuckDB store for the editors' judgements."
    ),
    max_body: int = typer.Option(4 * 1024 * 1024, "--max-body", help="Largest JSON request body, in bytes."),
    max_upload: int = typer.Option(20 * 1024 * 1024, "--max-upload", help="Largest uploaded file, in bytes."),
    max_batch: int = typer.Option(100, "--max-batch", help="Most articles in one /v1/tag/batch."),
    time_limit: float = typer.Option(10.0, "--time-limit", help="Seconds one request may work."),
    workers: int = typer.Option(
        None,
        "--workers",
        "-w",
        min=1,
        help="Processes answering requests, each with its own dictionary (default: one per core, at most 4).",
    ),
) -> None:
    """Serve the tagging API (/v1/...), its docs (/docs) and the editors' page (/) on one port."""
    from govtext.cli.common import library_errors
    from govtext.serve import ServeSettings, default_workers, read_token_file, run
    from govtext.themes import Matcher, load_dictionary

    with library_errors():
        settings = ServeSettings(
            host=host,
            port=port,
            token=read_token_file(token_file) if token_file else None,
            cors_origins=tuple(cors_origin or ()),
            max_body_bytes=max_body,
            max_upload_bytes=max_upload,
            max_batch=max_batch,
            time_limit=time_limit,
            store_path=store,
        ).check()
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
