"""Query figures: latency percentiles and throughput of /v1/search and /v1/ask, in process and over HTTP.

    python -m benchmarks.queries --index DIR [--requests 400]

- floor: one question encoded by the model in process (`encode_query`), the cost no server can avoid;
  the goal ratio (HTTP /v1/ask p50 at concurrency 1 over the floor's p50) comes from a run that
  alternates the two question by question;
- in process: the real Flask app through its test client (no sockets), 1, 4 and 16 client threads;
- over HTTP: a real `qa serve` child process (waitress, 8 threads; then gunicorn with 2 workers),
  1, 4 and 16 client threads, each with its own keep-alive connection.
Requests cycle through benchmarks/questions.txt after one unmeasured warm-up pass. "cores used" is the
server's CPU seconds over the wall time of the run (2.0 = both cores busy on this machine); the client
threads run on the same machine and use CPU too (reported as client cores).
"""
from __future__ import annotations

import argparse
import http.client
import json
import logging
import resource
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from benchmarks.common import (MANY_CLIENTS_ENV, WORK_DIR, Server, cpu_seconds, latency_summary, questions, rss_mib,
                               start_server, wait_ready)
from qa_service.settings import Settings

log = logging.getLogger("benchmarks.queries")
CONCURRENCY = (1, 4, 16)
ENDPOINTS = {"search": ("/v1/search", "query"), "ask": ("/v1/ask", "question")}

Sender = Callable[[str, bytes], int]  # (path, body) -> status


@dataclass
class LoadResult:
    latencies_ms: list[float]
    statuses: dict[int, int]
    seconds: float
    server_cpu_seconds: float
    client_cpu_seconds: float

    def summary(self, client_apart: bool = True) -> dict[str, Any]:
        """Figures of the run; `client_apart` False: client and server are one process (in-process runs)."""
        figures = {**latency_summary(self.latencies_ms),
                   "requests_per_s": round(len(self.latencies_ms) / self.seconds, 1),
                   "server_cores_used": round(self.server_cpu_seconds / self.seconds, 2),
                   "statuses": {str(k): v for k, v in sorted(self.statuses.items())}}
        if client_apart:
            figures["client_cores_used"] = round(self.client_cpu_seconds / self.seconds, 2)
        return figures


def _bodies(field: str, items: list[str]) -> list[bytes]:
    return [json.dumps({field: q}, ensure_ascii=False).encode() for q in items]


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_load(make_sender: Callable[[], Sender], path: str, bodies: list[bytes], total: int, concurrency: int,
             server_cpu: Callable[[], float]) -> LoadResult:
    """`total` requests from `concurrency` threads (each with its own sender), bodies cycled."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    start = threading.Barrier(concurrency + 1)

    def client(worker: int) -> None:
        send = make_sender()
        start.wait()
        for i in range(worker, total, concurrency):
            t0 = time.perf_counter()
            status = send(path, bodies[i % len(bodies)])
            ms = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(ms)
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=client, args=(w,), daemon=True) for w in range(concurrency)]
    for t in threads:
        t.start()
    cpu0, own0 = server_cpu(), _own_cpu()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    return LoadResult(latencies, statuses, seconds, server_cpu() - cpu0, _own_cpu() - own0)


def _http_sender(url: str) -> Callable[[], Sender]:
    host, port = url.removeprefix("http://").split(":")

    def make() -> Sender:
        conn = http.client.HTTPConnection(host, int(port), timeout=120)

        def send(path: str, body: bytes) -> int:
            nonlocal conn
            try:
                conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                resp.read()
                return resp.status
            except (http.client.HTTPException, OSError):
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=120)
                return 599
        return send
    return make


def _test_client_sender(app: Any) -> Callable[[], Sender]:
    def make() -> Sender:
        client = app.test_client()

        def send(path: str, body: bytes) -> int:
            return client.post(path, data=body, content_type="application/json").status_code
        return send
    return make


def _sweep(make_sender: Callable[[], Sender], items: list[str], requests: int, server_cpu: Callable[[], float],
           label: str, client_apart: bool = True) -> dict[str, Any]:
    """Each endpoint at each concurrency, after one pass over the questions at concurrency 1 (reported
    as `first_pass`: per-passage caches still cold, first requests of a fresh server)."""
    out: dict[str, Any] = {}
    for name, (path, field) in ENDPOINTS.items():
        bodies = _bodies(field, items)
        first = run_load(make_sender, path, bodies, len(bodies), 1, server_cpu)
        out[f"{name}_first_pass"] = latency_summary(first.latencies_ms)
        for c in CONCURRENCY:
            result = run_load(make_sender, path, bodies, max(requests, c * 2), c, server_cpu)
            out[f"{name}@{c}"] = result.summary(client_apart)
            log.info("%s %s c=%d: %s", label, name, c, out[f"{name}@{c}"])
    return out


def floor(encoder: Any, items: list[str], repeats: int) -> dict[str, Any]:
    """One query encoded in process, each question `repeats` times (after a warm-up)."""
    for q in items[:5]:
        encoder.encode_query(q)
    ms = []
    for _ in range(repeats):
        for q in items:
            t0 = time.perf_counter()
            encoder.encode_query(q)
            ms.append((time.perf_counter() - t0) * 1000)
    return latency_summary(ms)


def in_process(settings: Settings, encoder: Any, items: list[str], requests: int) -> dict[str, Any]:
    from qa_service.api.app import create_app
    from qa_service.composition import ServiceRoot

    root = ServiceRoot(settings.with_overrides(max_requests_per_client=0), serving=True, encoder=encoder)
    app = create_app(root.warm_up(strict=True))
    return _sweep(_test_client_sender(app), items, requests, _own_cpu, "in-process", client_apart=False)


def interleaved_ratio(encoder: Any, url: str, items: list[str], passes: int) -> dict[str, Any]:
    """HTTP /v1/ask at concurrency 1 against the floor, each question encoded here right before it is asked
    there: a load that comes and goes on a shared machine then weighs on both alike."""
    send = _http_sender(url)()
    floor_ms, ask_ms = [], []
    for _ in range(passes):
        for body, q in zip(_bodies("question", items), items):
            t0 = time.perf_counter()
            encoder.encode_query(q)
            t1 = time.perf_counter()
            send("/v1/ask", body)
            t2 = time.perf_counter()
            floor_ms.append((t1 - t0) * 1000)
            ask_ms.append((t2 - t1) * 1000)
    floor_figures, ask_figures = latency_summary(floor_ms), latency_summary(ask_ms)
    return {"floor": floor_figures, "http_ask": ask_figures,
            "ratio_p50": round(ask_figures["p50_ms"] / floor_figures["p50_ms"], 2)}


def over_http(settings: Settings, items: list[str], requests: int, workers: int, log_file: Path,
              encoder: Any = None) -> dict[str, Any]:
    server: Server = start_server(settings, workers=workers, env=MANY_CLIENTS_ENV, log_file=log_file)
    try:
        ready = wait_ready(server)
        figures = _sweep(_http_sender(server.url), items, requests, lambda: cpu_seconds(server.pids()),
                         f"http workers={workers}")
        if encoder is not None:
            figures["ask_vs_floor_interleaved"] = interleaved_ratio(encoder, server.url, items,
                                                                    passes=max(1, requests // len(items)))
        figures["ready_seconds"] = round(ready, 2)
        figures["server_rss_mib"] = round(sum(rss_mib(p) or 0.0 for p in server.pids()), 1)
        return figures
    finally:
        server.stop()


def run(settings: Settings, requests: int = 400, gunicorn: bool = True, work: Path = WORK_DIR) -> dict[str, Any]:
    from embeddings.encoders.factory import build_encoder

    items = questions()
    work.mkdir(parents=True, exist_ok=True)
    encoder = build_encoder(settings.encoder_spec)
    result: dict[str, Any] = {
        "questions": len(items), "requests_per_run": requests,
        "floor_encode_query": floor(encoder, items, repeats=max(1, requests // len(items))),
        "in_process": in_process(settings, encoder, items, requests),
        "http_waitress": over_http(settings, items, requests, 1, work / "serve-waitress.log", encoder),
    }
    if gunicorn:
        result["http_gunicorn_2_workers"] = over_http(settings, items, requests, 2, work / "serve-gunicorn.log")
    result["ratio_http_ask_p50_to_floor"] = result["http_waitress"]["ask_vs_floor_interleaved"]["ratio_p50"]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", help="index directory (default: QA_INDEX_DIR)")
    parser.add_argument("--requests", type=int, default=400, help="requests per measured run")
    parser.add_argument("--no-gunicorn", action="store_true", dest="no_gunicorn")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = Settings.from_env(index_dir=Path(args.index) if args.index else None)
    result = run(settings, args.requests, gunicorn=not args.no_gunicorn)
    sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
