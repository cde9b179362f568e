"""Latency and throughput of `govtext serve` on loopback (run by hand; bounded load).

    .venv/bin/python bench/bench_serve.py [--requests 2000] [--seconds 30] [--workers 1 2]
                                          [--append bench/RESULTS.md]

For each --workers value, starts `govtext serve --workers N` on 127.0.0.1 (a free port,
a throw-away judgement store) and sends to POST /v1/tag, from 1 client and from 10
concurrent clients (each a keep-alive connection in its own thread, sending its next
request when the last one is answered; a raw-socket client, ``LeanConnection``, so the
load generator's own CPU, taken from the same cores, stays small):

* distinct dense articles: every request the next of 133 different 3,000-character
  windows of corpus/ (the project's sample articles, 100-character steps, dense with
  themes), so nothing a cache could answer;
* distinct sparse articles: 3,000-character windows of the national government work
  reports of the shared corpus (GOVTEXT_SHARED_CORPUS, default ../shared/corpus; the
  phase is left out without it), a few hits each;
* the same article each time (the project's corpus/ articles run together, cut at 3,000
  characters; a dense one, 111 hits), the case measured before: the server caches
  nothing, so it costs the same work.

then batches of 100 distinct dense windows (below) to /v1/tag/batch from 1 and 2
clients, and batches of 100 times the same article from 1 client. Every
phase stops at its request count or its time limit, whichever comes first; the server is
stopped at the end. Latency is measured in the client, from sending the request to
reading the whole response. The table gives the server's CPU per request (all its
processes, psutil) and the machine's load average before and after each phase.

Targets (issue 19, 2 cores): p50 < 10 ms and p99 < 50 ms at 10 concurrent clients;
over 200 articles/s in batches.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
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
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GOVTEXT_SHARED_CORPUS", ROOT.parent / "shared" / "corpus"))


def article(n_chars: int = 3000) -> str:
    """The project's own sample articles run together and cut at ``n_chars`` characters."""
    text = "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpus").glob("[0-9]*.md")))
    return text[:n_chars]


def windows(n_chars: int = 3000, limit: int = 400) -> tuple[list[str], str]:
    """Up to ``limit`` different ``n_chars``-character windows of the national government
    work reports (shared corpus), and where they come from; ([], reason) without them."""
    reports = SHARED / "national-reports" / "government_work_reports.jsonl"
    if not reports.is_file():
        return [], f"{reports} not found"
    with reports.open(encoding="utf-8") as fh:
        text = "".join(json.loads(line)["content"] for line in fh if line.strip())
    out = [text[i : i + n_chars] for i in range(0, len(text) - n_chars + 1, n_chars)][:limit]
    return out, f"{len(out)} windows of the national government work reports (shared corpus)"


def dense_windows(n_chars: int = 3000, step: int = 100) -> list[str]:
    """Different ``n_chars``-character windows of corpus/ (the project's sample articles,
    dense with themes) at ``step``-character steps, wrapping around at the end."""
    text = "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpus").glob("*.md")))
    text = text + text[:n_chars]
    return [text[i : i + n_chars] for i in range(0, len(text) - n_chars, step)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, store: Path, workers: int | None = 1) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "govtext",
            "serve",
            "--port",
            str(port),
            "--store",
            str(store),
            # None: a server from before the option (PYTHONPATH=old checkout, --baseline),
            # measured by the same bench under the same load
            *(["--workers", str(workers)] if workers else []),
        ],
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


class LeanConnection:
    """A keep-alive HTTP/1.1 client on a raw socket, as cheap as a client can be: each
    request is bytes made in advance, each answer read by its Content-Length (the
    server always sends one). http.client parses every header through the email package:
    about 0.3 ms of CPU per request, which on 2 shared cores is taken from the server."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()

    def exchange(self, request: bytes) -> int:
        """Send one request, read its whole answer; the answer's status."""
        self.sock.sendall(request)
        buf = self.buf
        while (end := buf.find(b"\r\n\r\n")) < 0:
            self._read(buf)
        head = bytes(buf[:end]).lower()
        at = head.find(b"\r\ncontent-length:")
        if at < 0:
            raise OSError("an answer without Content-Length")
        eol = head.find(b"\r\n", at + 2)
        length = int(head[at + 17 : eol if eol > 0 else len(head)])
        total = end + 4 + length
        while len(buf) < total:
            self._read(buf)
        del buf[:total]
        return int(head[9:12])

    def _read(self, buf: bytearray) -> None:
        chunk = self.sock.recv(262144)
        if not chunk:
            raise OSError("the server closed the connection")
        buf += chunk

    def close(self) -> None:
        self.sock.close()


def post_request(path: str, body: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def run_clients(
    port: int, path: str, bodies: list[bytes], clients: int, total: int, seconds: float
) -> tuple[list[float], float, int]:
    """Latencies (s) of up to ``total`` requests from ``clients`` threads within ``seconds``,
    each request the next of ``bodies`` (round robin); returns them with the wall time and
    the number of failed requests."""
    lock = threading.Lock()
    latencies: list[float] = []
    failures = [0]
    sent = [0]
    stop_at = time.monotonic() + seconds
    requests = [post_request(path, b) for b in bodies]

    def worker() -> None:
        conn = LeanConnection(port)
        while True:
            with lock:
                if sent[0] >= total or time.monotonic() >= stop_at:
                    break
                request = requests[sent[0] % len(requests)]
                sent[0] += 1
            t0 = time.perf_counter()
            try:
                ok = conn.exchange(request) == 200
            except OSError:
                ok = False
                conn.close()
                conn = LeanConnection(port)
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


def in_process_ms(texts: list[str], n: int = 200) -> tuple[float, float, float]:
    """Median ms of the matching alone and of the whole record (as the server builds it,
    JSON bytes included) over ``n`` requests cycling through ``texts`` in this process, and
    the mean number of hits: the floor under every request's time."""
    import orjson

    from govtext.serve import service
    from govtext.themes import Matcher

    m = Matcher().fit()
    docs = [service.document(t) for t in texts]
    match, whole, hits = [], [], []
    for doc in itertools.islice(itertools.cycle(docs), n):
        t0 = time.perf_counter()
        found = m.transform(doc)
        t1 = time.perf_counter()
        orjson.dumps(service.tag_doc(m, doc, metadata={}))
        whole.append(time.perf_counter() - t1)
        match.append(t1 - t0)
        hits.append(len(found))
    return statistics.median(match) * 1000, statistics.median(whole) * 1000, statistics.mean(hits)


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


def server_cpu(proc: subprocess.Popen[bytes]) -> Callable[[], float]:
    """A function giving the CPU seconds the server and its worker processes used so far
    (NaN without psutil)."""
    try:
        import psutil
    except ImportError:
        return lambda: float("nan")
    parent = psutil.Process(proc.pid)
    seen: dict[int, psutil.Process] = {}

    def total() -> float:
        # Worker processes are found anew each time (uvicorn may restart one); their
        # times are read while they run, so a phase's difference is its own work.
        for child in parent.children(recursive=True):
            seen.setdefault(child.pid, child)
        cpu = 0.0
        for p in (parent, *seen.values()):
            try:
                t = p.cpu_times()
            except psutil.Error:
                continue
            cpu += t.user + t.system
        return cpu

    return total


Row = tuple[str, int, int, float, float, float, str, float, str]


def phase(
    name: str,
    unit: str,
    per: int,
    port: int,
    path: str,
    bodies: list[bytes],
    clients: int,
    total: int,
    seconds: float,
    cpu: Callable[[], float],
) -> Row:
    load0 = os.getloadavg()[0]
    cpu0, client0 = cpu(), time.process_time()
    lat, wall, failed = run_clients(port, path, bodies, clients, total, seconds)
    cpu_ms = (cpu() - cpu0) * 1000 / max(1, len(lat) * per)
    client_ms = (time.process_time() - client0) * 1000 / max(1, len(lat) * per)
    load1 = os.getloadavg()[0]
    print(f"  {name}: {len(lat)} ok, p50 {statistics.median(lat) * 1000:.1f} ms", file=sys.stderr)
    return (
        name,
        len(lat),
        failed,
        statistics.median(lat) * 1000,
        pct(lat, 0.99) * 1000,
        per * len(lat) / wall,
        unit,
        cpu_ms,
        f"{load0:.1f}→{load1:.1f} (client {client_ms:.2f} ms)",
    )


def bench(
    workers: int,
    args: argparse.Namespace,
    sets: list[tuple[int, list[bytes], str]],
    batches: list[bytes],
    same_batch: list[bytes],
) -> list[Row]:
    port = free_port()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        proc = start_server(port, Path(tmp) / "bench.duckdb", None if args.baseline else workers)
        cpu = server_cpu(proc)
        try:
            time.sleep(2)  # every worker up (the first one answers /healthz before the rest)
            run_clients(port, "/v1/tag", sets[0][1], 10, 200 * workers, 10)  # warm-up
            w = "baseline" if args.baseline else f"{workers} worker{'s' if workers > 1 else ''}"
            for clients, bodies, what in sets:
                name = f"{w}: POST /v1/tag, {clients} client{'s' if clients > 1 else ''}, {what}"
                rows.append(
                    phase(
                        name,
                        "requests/s",
                        1,
                        port,
                        "/v1/tag",
                        bodies,
                        clients,
                        args.requests,
                        args.seconds,
                        cpu,
                    )
                )
            for clients, group, what in (
                (1, batches, "distinct dense"),
                (2, batches, "distinct dense"),
                (1, same_batch, "same article"),
            ):
                name = f"{w}: POST /v1/tag/batch (100 {what}), {clients} client{'s' if clients > 1 else ''}"
                rows.append(
                    phase(
                        name,
                        "articles/s",
                        100,
                        port,
                        "/v1/tag/batch",
                        group,
                        clients,
                        args.batches,
                        args.seconds,
                        cpu,
                    )
                )
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--requests", type=int, default=2000, help="requests per single-article phase (default 2000)"
    )
    ap.add_argument("--batches", type=int, default=30, help="batches per batch phase (default 30)")
    ap.add_argument("--seconds", type=float, default=30.0, help="time limit of each phase (default 30 s)")
    ap.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=[1, 2],
        help="server worker processes to compare (default 1 2)",
    )
    ap.add_argument(
        "--baseline",
        action="store_true",
        help="the server has no --workers option (an older checkout on PYTHONPATH): one process, option not sent",
    )
    ap.add_argument("--append", type=Path, help="append the results as Markdown to this file")
    args = ap.parse_args()

    text = article()
    assert len(text) == 3000, len(text)
    dense = dense_windows()
    texts, source = windows()
    for group in (dense, texts):
        assert all(len(t) == 3000 for t in group) and len(set(group)) == len(group), "windows must differ"

    def bodies(group: list[str], prefix: str) -> list[bytes]:
        return [
            json.dumps({"id": f"{prefix}{i}", "text": t}, ensure_ascii=False).encode()
            for i, t in enumerate(group)
        ]

    sets: list[tuple[int, list[bytes], str]] = [
        (1, bodies(dense, "d"), "distinct dense"),
        (10, bodies(dense, "d"), "distinct dense"),
        (10, bodies([text], "same"), "same article"),
    ]
    if texts:
        sets.append((10, bodies(texts, "r"), "distinct reports"))
    batches = [
        json.dumps(
            {"articles": [{"id": f"b{i}-{k}", "text": dense[(i * 37 + k) % len(dense)]} for k in range(100)]},
            ensure_ascii=False,
        ).encode()
        for i in range(10)
    ]
    same_batch = [
        json.dumps(
            {"articles": [{"id": f"s{k}", "text": text} for k in range(100)]}, ensure_ascii=False
        ).encode()
    ]
    floors = [("distinct dense", *in_process_ms(dense)), ("same article", *in_process_ms([text]))]
    if texts:
        floors.append(("distinct reports", *in_process_ms(texts)))
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    rows: list[Row] = []
    for workers in args.workers:
        rows += bench(workers, args, sets, batches, same_batch)

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
        f"### Run of {started} (`bench/bench_serve.py --workers {' '.join(map(str, args.workers))}`)",
        "",
        f"Machine: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}; server and client on "
        "the same cores (the client's threads take CPU from the server). "
        "Each client a keep-alive connection sending its next request when the last is answered.",
        "",
        "In one process, without HTTP (medians; matching alone / whole record with JSON bytes): "
        + "; ".join(f"{name} {m:.2f} / {r:.2f} ms ({h:.0f} hits)" for name, m, r, h in floors)
        + f". Distinct dense: {len(dense)} windows of corpus/ at 100-character steps; distinct reports: "
        f"{source}; same article: corpus/ run together, cut at 3,000 characters.",
        "",
        "| phase | requests | failed | p50 ms | p99 ms | throughput | server CPU ms per article | load avg (1 min) before→after |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, n, failed, p50, p99, rate, unit, cpu_ms, load in rows:
        lines.append(
            f"| {name} | {n} | {failed} | {p50:.1f} | {p99:.1f} | {rate:.0f} {unit} | {cpu_ms:.2f} | {load} |"
        )
    out = "\n".join(lines) + "\n"
    print(out)
    if args.append:
        with args.append.open("a", encoding="utf-8") as fh:
            fh.write(out)


if __name__ == "__main__":
    main()
