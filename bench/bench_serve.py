"""Latency and throughput of `govtext serve` on loopback (run by hand; bounded load).

    .venv/bin/python bench/bench_serve.py [--requests 2000] [--seconds 30] [--append bench/RESULTS.md]

Starts `govtext serve` on 127.0.0.1 (a free port, a throw-away judgement store), then
sends a 3,000-character article from corpus/ to POST /v1/tag: from 1 client and from
10 concurrent clients (each a keep-alive connection in its own thread, sending its next
request when the last one is answered), and batches of 100 articles to
/v1/tag/batch from 1 and 2 clients. Every phase stops at its request count or its time
limit, whichever comes first; the server is stopped at the end. Latency is measured in
the client, from sending the request to reading the whole response.

Targets (issue 19, 2 cores): p50 < 10 ms and p99 < 50 ms at 10 concurrent clients;
over 200 articles/s in batches.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def article(n_chars: int = 3000) -> str:
    """The project's own sample articles run together and cut at ``n_chars`` characters."""
    text = "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpus").glob("[0-9]*.md")))
    return text[:n_chars]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, store: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "govtext", "serve", "--port", str(port), "--store", str(store)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("govtext serve did not start within 60 s")


def run_clients(
    port: int, path: str, body: bytes, clients: int, total: int, seconds: float
) -> tuple[list[float], float, int]:
    """Latencies (s) of up to ``total`` requests from ``clients`` threads within ``seconds``;
    returns them with the wall time and the number of failed requests."""
    lock = threading.Lock()
    latencies: list[float] = []
    failures = [0]
    sent = [0]
    stop_at = time.monotonic() + seconds
    headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if sent[0] >= total or time.monotonic() >= stop_at:
                    break
                sent[0] += 1
            t0 = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
            except OSError:
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            dt = time.perf_counter() - t0
            with lock:
                if ok:
                    latencies.append(dt)
                else:
                    failures[0] += 1
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - t0, failures[0]


def in_process_ms(text: str, n: int = 200) -> tuple[float, float, int]:
    """Median ms of the matching alone and of the whole record (as the server builds it,
    JSON text included) for ``text`` in this process, and the number of hits: the floor
    under every request's time."""
    from govtext.serve import service
    from govtext.themes import Matcher

    m = Matcher().fit()
    doc = service.document(text)
    match, whole = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        m.transform(doc)
        t1 = time.perf_counter()
        json.dumps(service.tag_doc(m, doc), ensure_ascii=False)
        whole.append(time.perf_counter() - t1)
        match.append(t1 - t0)
    return statistics.median(match) * 1000, statistics.median(whole) * 1000, len(m.transform(doc))


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--requests", type=int, default=2000, help="requests per single-article phase (default 2000)"
    )
    ap.add_argument("--batches", type=int, default=30, help="batches per batch phase (default 30)")
    ap.add_argument("--seconds", type=float, default=30.0, help="time limit of each phase (default 30 s)")
    ap.add_argument("--append", type=Path, help="append the results as Markdown to this file")
    args = ap.parse_args()

    text = article()
    assert len(text) == 3000, len(text)
    one = json.dumps({"id": "bench", "text": text}, ensure_ascii=False).encode()
    batch = json.dumps(
        {"articles": [{"id": f"b{i}", "text": text} for i in range(100)]}, ensure_ascii=False
    ).encode()
    match_ms, record_ms, n_hits = in_process_ms(text)
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        proc = start_server(port, Path(tmp) / "bench.duckdb")
        try:
            run_clients(port, "/v1/tag", one, 1, 200, 10)  # warm-up
            rows = []
            for clients in (1, 10):
                lat, wall, failed = run_clients(port, "/v1/tag", one, clients, args.requests, args.seconds)
                rows.append(
                    (
                        f"POST /v1/tag, {clients} client{'s' if clients > 1 else ''}",
                        len(lat),
                        failed,
                        statistics.median(lat) * 1000,
                        pct(lat, 0.99) * 1000,
                        len(lat) / wall,
                    )
                )
            batch_rows = []
            for clients in (1, 2):
                lat, wall, failed = run_clients(
                    port, "/v1/tag/batch", batch, clients, args.batches, args.seconds
                )
                batch_rows.append(
                    (
                        f"POST /v1/tag/batch (100 articles), {clients} client{'s' if clients > 1 else ''}",
                        len(lat),
                        failed,
                        statistics.median(lat) * 1000,
                        pct(lat, 0.99) * 1000,
                        100 * len(lat) / wall,
                    )
                )
        finally:
            proc.terminate()
            proc.wait(timeout=10)

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    lines = [
        "",
        f"## govtext serve ({time.strftime('%Y-%m-%d')}, `bench/bench_serve.py`)",
        "",
        f"Machine: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}; server and client on "
        "the same two cores (the client's threads take CPU from the server). A 3,000-character article "
        "of the project's corpus/; each client a keep-alive connection sending its next request when "
        "the last is answered.",
        "",
        f"In one process, without HTTP: matching the article ({n_hits} hits) takes {match_ms:.2f} ms, and "
        f"its whole record with the JSON text (matching included) {record_ms:.2f} ms (medians): one core "
        f"can answer at most about {1000 / record_ms:.0f} such requests a second before any HTTP work.",
        "",
        "| phase | requests | failed | p50 ms | p99 ms | throughput |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, n, failed, p50, p99, rate in rows:
        lines.append(f"| {name} | {n} | {failed} | {p50:.2f} | {p99:.2f} | {rate:.0f} requests/s |")
    for name, n, failed, p50, p99, rate in batch_rows:
        lines.append(f"| {name} | {n} | {failed} | {p50:.1f} | {p99:.1f} | {rate:.0f} articles/s |")
    out = "\n".join(lines) + "\n"
    print(out)
    if args.append:
        with args.append.open("a", encoding="utf-8") as fh:
            fh.write(out)


if __name__ == "__main__":
    main()
