"""What a `govtext serve` process is allowed to do: where it binds, who may call it, its limits.

Checked once, before anything listens: a bind beyond loopback without a token, an
empty token file or a limit that is not positive is a ConfigError naming the fix.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from govtext.errors import ConfigError

DEFAULT_STORE = Path("reports") / "serve" / "govtext.duckdb"


@dataclass(frozen=True)
class ServeSettings:
    """Limits and access of the HTTP API (every field has a command-line option).

    >>> ServeSettings().max_batch
    100
    >>> ServeSettings(host="0.0.0.0").check()
    Traceback (most recent call last):
    ...
    govtext.errors.ConfigError: host: 0.0.0.0 is not a loopback address: bind to 127.0.0.1, or give a bearer token that every /v1 request must then send
    """

    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = None  # bearer token for /v1/...; None: no token asked (loopback only)
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 4 * 1024 * 1024  # a JSON request body
    max_upload_bytes: int = 20 * 1024 * 1024  # a file sent to /v1/tag/file
    max_batch: int = 100  # articles in one /v1/tag/batch
    time_limit: float = 10.0  # seconds of work one request may take
    store_path: Path = field(default=DEFAULT_STORE)  # editors' judgements (DuckDB)

    def check(self) -> ServeSettings:
        if not is_loopback(self.host) and not self.token:
            raise ConfigError(
                f"{self.host} is not a loopback address: bind to 127.0.0.1, "
                "or give a bearer token that every /v1 request must then send",
                param="host",
            )
        for name in ("max_body_bytes", "max_upload_bytes", "max_batch"):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ConfigError(f"must be a positive integer. Got {value!r} instead.", param=name)
        if not self.time_limit > 0:
            raise ConfigError(
                f"must be positive seconds. Got {self.time_limit!r} instead.", param="time_limit"
            )
        if not 0 < self.port < 65536:
            raise ConfigError(f"must be between 1 and 65535. Got {self.port!r} instead.", param="port")
        for origin in self.cors_origins:
            if origin == "*" or not origin.startswith(("http://", "https://")):
                raise ConfigError(
                    f"each must be a full origin such as https://cms.example.org. Got {origin!r} instead.",
                    param="cors_origins",
                )
        return self


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach.

    >>> [is_loopback(h) for h in ("127.0.0.1", "::1", "localhost", "0.0.0.0", "192.168.1.5")]
    [True, True, True, False, False]
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve anywhere


def read_token_file(path: str | Path) -> str:
    """The bearer token in ``path`` (surrounding whitespace stripped; at least 16 characters)."""
    p = Path(path)
    try:
        token = p.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{p}: cannot read it ({exc}); give a readable UTF-8 file", param="token_file"
        ) from None
    if len(token) < 16 or any(ch.isspace() for ch in token):
        raise ConfigError(
            f"{p}: the token must be one word of at least 16 characters "
            "(e.g. `python3 -c 'import secrets; print(secrets.token_urlsafe(32))' > FILE`)",
            param="token_file",
        )
    return token


def default_workers() -> int:
    """Worker processes for `govtext serve` when no number is given: one per core
    this process may use, at most 4 (each holds its own dictionary and segmenter).

    >>> 1 <= default_workers() <= 4
    True
    """
    import os

    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))
