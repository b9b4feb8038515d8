"""`/v1/ask` latency of two running servers, question by question in alternation (a change against its base).

    python -m benchmarks.interleaved_ask http://127.0.0.1:8001 http://127.0.0.1:8002 [--passes 2]

Each question goes to one server and then the other on its own keep-alive connection, so a load that comes and
goes on a shared machine weighs on both alike; after an unmeasured warm-up of 20 questions, prints p50 and p95
of each and the ratio of the medians (second over first). The questions are those of the three dev files.
"""
from __future__ import annotations

import argparse
import http.client
import json
import time
from urllib.parse import urlsplit

from benchmarks.common import DEV_SETS, latency_summary
from eval.dataset import load_question_sets



def _ask(conn: http.client.HTTPConnection, question: str) -> float:
    body = json.dumps({"question": question}, ensure_ascii=False).encode()
    started = time.perf_counter()
    conn.request("POST", "/v1/ask", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        raise SystemExit(f"{conn.host}:{conn.port} answered {response.status}")
    return (time.perf_counter() - started) * 1000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("urls", nargs=2)
    parser.add_argument("--passes", type=int, default=2)
    args = parser.parse_args()
    questions = [q.question for q in load_question_sets(DEV_SETS).questions]
    conns = [http.client.HTTPConnection(urlsplit(u).hostname, urlsplit(u).port, timeout=60) for u in args.urls]
    for question in questions[:20]:
        for conn in conns:
            _ask(conn, question)
    timings: list[list[float]] = [[], []]
    for _ in range(args.passes):
        for question in questions:
            for i, conn in enumerate(conns):
                timings[i].append(_ask(conn, question))
    summaries = [latency_summary(t) for t in timings]
    for url, summary in zip(args.urls, summaries):
        print(f"{url}: {summary['n']} asks, p50 {summary['p50_ms']:.1f} ms, p95 {summary['p95_ms']:.1f} ms")
    print(f"ratio of the medians: {summaries[1]['p50_ms'] / summaries[0]['p50_ms']:.2f}")


if __name__ == "__main__":
    main()
