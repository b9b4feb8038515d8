"""Concurrent load against a running service: valid and invalid requests mixed, answers checked.

    python -m benchmarks.loadtest --url http://127.0.0.1:8000 --requests 2000 --concurrency 32

Every valid request is first answered sequentially; under load each answer must be identical (same text
and cited passage ids), every invalid request must get its 4xx, and no request may get a 5xx. Prints
throughput, latency percentiles and responses by status.

The 32 clients share one address, so the server's per-client limits (QA_MAX_REQUESTS_PER_CLIENT,
QA_MAX_CONNECTIONS_PER_CLIENT, QA_RATE_LIMIT_PER_MINUTE) see one client: switch them off for a server under test
(benchmarks.common.MANY_CLIENTS_ENV), or pass --refusals-ok to count their 429s as refusals rather than wrong
answers (every other answer must still match). A connection that ends without a response counts as status 0.
"""
from __future__ import annotations

import argparse
import http.client
import json
import logging
import statistics
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

log = logging.getLogger("loadtest")

QUESTIONS = [
    "海淀区有多少所高等院校？", "中国电科双创示范基地启动阶段的起止时间是什么？", "中关村创业大街是哪一年建设的？",
    "海淀区的科研院所有多少家？", "中国电科建设的首都科技条件平台开放了多少个实验室和检测机构？",
    "红烧肉怎么做才好吃？", "海淀区股权投资机构管理资本量有多大？", "中国电科新型智慧城市建设企业联盟有多少家企业？",
]


@dataclass(frozen=True)
class Probe:
    name: str
    path: str
    body: bytes
    content_type: str = "application/json"
    expect_status: int = 200


def probes() -> list[Probe]:
    valid = [Probe(f"ask:{q}", "/v1/ask", json.dumps({"question": q}).encode()) for q in QUESTIONS]
    valid += [Probe(f"search:{q}", "/v1/search", json.dumps({"query": q, "top_k": 3}).encode()) for q in QUESTIONS[:4]]
    invalid = [
        Probe("bad-json", "/v1/ask", b"{not json", expect_status=400),
        Probe("missing", "/v1/ask", b"{}", expect_status=422),
        Probe("top_k", "/v1/search", b'{"query": "x", "top_k": 0}', expect_status=422),
        Probe("form", "/v1/ask", b"question=x", "application/x-www-form-urlencoded", 415),
        Probe("not-utf8", "/v1/ask", b"\xff\xfe", expect_status=400),
    ]
    return valid + invalid


def _send(base: str, probe: Probe, timeout: float = 60.0) -> tuple[int, bytes, float]:
    req = urllib.request.Request(base + probe.path, data=probe.body, headers={"Content-Type": probe.content_type})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, body = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
    except (urllib.error.URLError, http.client.HTTPException, OSError):  # closed or reset without a response
        status, body = 0, b""
    return status, body, (time.perf_counter() - started) * 1000


def _fingerprint(body: bytes) -> object:
    data = json.loads(body)
    if "results" in data:
        return [r["id"] for r in data["results"]]
    if "answer" in data:
        return data["answer"], data["answerable"], [c["id"] for c in data["citations"]]
    return data.get("error", {}).get("code")


@dataclass
class LoadReport:
    requests: int
    concurrency: int
    seconds: float
    statuses: Counter = field(default_factory=Counter)
    mismatches: list[str] = field(default_factory=list)
    refused: int = 0  # 429s, when refusals are allowed
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def server_errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if s >= 500)

    def summary(self) -> dict:
        lat = sorted(self.latencies_ms)
        pick = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]) if lat else (lambda q: 0.0)
        return {"requests": self.requests, "concurrency": self.concurrency, "seconds": round(self.seconds, 2),
                "throughput_rps": round(self.requests / self.seconds, 1) if self.seconds else None,
                "statuses": dict(sorted(self.statuses.items())), "server_errors": self.server_errors,
                "mismatches": len(self.mismatches), "refused_429": self.refused,
                "p50_ms": round(pick(0.5), 1), "p95_ms": round(pick(0.95), 1),
                "mean_ms": round(statistics.fmean(lat), 1) if lat else None}


def run_load(base: str, total: int, concurrency: int, refusals_ok: bool = False) -> LoadReport:
    """`refusals_ok`: a 429 under load (a per-client limit) is a refusal, not a wrong answer."""
    plan = probes()
    expected = {}
    for probe in plan:  # the sequential reference
        status, body, _ = _send(base, probe)
        expected[probe.name] = (status, _fingerprint(body))
    schedule = [plan[i % len(plan)] for i in range(total)]
    report = LoadReport(total, concurrency, 0.0)

    def one(probe: Probe) -> None:
        status, body, ms = _send(base, probe)
        report.statuses[status] += 1
        report.latencies_ms.append(ms)
        if refusals_ok and status == 429:
            report.refused += 1
            return
        got = (status, _fingerprint(body) if body else None)
        if got != expected[probe.name] or status != probe.expect_status:
            report.mismatches.append(f"{probe.name}: expected {expected[probe.name]}, got {got}")

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, schedule))
    report.seconds = time.perf_counter() - started
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--refusals-ok", action="store_true",
                        help="count 429s (per-client limits of a server that has them on) as refusals, not mismatches")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    report = run_load(args.url.rstrip("/"), args.requests, args.concurrency, args.refusals_ok)
    sys.stdout.write(json.dumps(report.summary(), ensure_ascii=False, indent=2) + "\n")
    for line in report.mismatches[:10]:
        log.error("%s", line)
    return 0 if report.server_errors == 0 and not report.mismatches else 1


if __name__ == "__main__":
    sys.exit(main())
