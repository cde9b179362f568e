"""Start a real `govtext serve` for the tests that talk to it over HTTP on loopback."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_serve(port: int, store: Path, *options: str) -> subprocess.Popen[str]:
    """`python -m govtext serve` on ``port`` with its judgement store at ``store``;
    stderr is kept for the failure message, stdout dropped."""
    return subprocess.Popen(
        [sys.executable, "-m", "govtext", "serve", "--port", str(port), "--store", str(store), *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
