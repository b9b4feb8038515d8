"""CPU time of one /v1/ask in process, per question of the three dev sets (issue 18: p95 over HTTP <= 60 ms).

    python -m benchmarks.ask_cpu --index DIR [--passes 3] [--profile FILE]

The service and the Flask app are built as `qa eval` builds them (composition root, serving settings, feedback
off); each question goes through the app's test client. CPU time (time.process_time) rather than wall clock: on
a shared machine another process's load does not count. The first pass is reported on its own: it is what
`qa eval --url` measures (every question asked once, the per-passage caches still filling); the later passes
are with those caches full. --profile writes a cProfile listing of one more pass (sorted by cumulative time).
"""
from __future__ import annotations

import argparse
import cProfile
import logging
import os
import pstats
import time
from pathlib import Path

from benchmarks.common import DEV_SETS, latency_summary
from eval.dataset import load_question_sets


def _app(index: Path):
    from qa_service.api.app import create_app
    from qa_service.composition import ServiceRoot
    from qa_service.settings import Settings

    settings = Settings.from_env(index_dir=index, background_embedding=False, feedback_db="off")
    return create_app(ServiceRoot(settings, serving=True).warm_up(strict=True))


def _ask_cpu_ms(client, question: str) -> float:
    started = time.process_time()
    response = client.post("/v1/ask", json={"question": question})
    spent = (time.process_time() - started) * 1000.0
    if response.status_code != 200:
        raise SystemExit(f"/v1/ask answered {response.status_code} for {question!r}")
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--questions", type=Path, nargs="+", default=DEV_SETS)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--profile", type=Path, help="write a cProfile listing of one more pass here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    started = time.process_time()
    client = _app(args.index).test_client()
    print(f"start-up: {time.process_time() - started:.1f} s CPU")
    questions = [q.question for q in load_question_sets(args.questions).questions]
    for n in range(args.passes):
        summary = latency_summary([_ask_cpu_ms(client, q) for q in questions])
        label = "first pass (caches filling)" if n == 0 else f"pass {n + 1}"
        print(f"{label}: {summary['n']} asks, CPU p50 {summary['p50_ms']:.1f} ms, p95 {summary['p95_ms']:.1f} ms")
    if args.profile:
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for q in questions:
            client.post("/v1/ask", json={"question": q})
        profiler.disable()
        with args.profile.open("w") as out:
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("cumulative").print_stats(60)
            stats.sort_stats("tottime").print_stats(40)
        print(f"profile: {args.profile}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
