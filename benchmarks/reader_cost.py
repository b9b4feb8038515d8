"""What the issue-18 reader costs per question: the default chain against the earlier one, interleaved.

    python -m benchmarks.reader_cost --index var/index [--passes 3]

Both chains run in this process on the same index and model (the question vector is encoded once per question
and cached by the encoder for both), question by question in alternation, so that a load which comes and goes on
a shared machine weighs on both alike. The questions are those of the three dev sets. Prints the median and p95
of each, and their ratio; docs/evaluation.md keeps the figures.
"""
from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from benchmarks.common import DEV_SETS, latency_summary
from eval.dataset import load_question_sets
from qa_service.composition import ServiceRoot
from qa_service.settings import Settings

CHAINS = {
    "default (detail reader, reading-evidence reranker)": {},
    "before issue 18 (quote reader, sentence-evidence reranker)": {"reader": "quote", "reranker": "sentence-evidence"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--questions", type=Path, nargs="+", default=DEV_SETS)
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    settings = Settings.from_env(index_dir=args.index)
    first = ServiceRoot(settings).warm_up(strict=True)
    services = {name: first.qa if not overrides else
                ServiceRoot(settings.with_overrides(**overrides), encoder=first.encoder).warm_up(strict=True).qa
                for name, overrides in CHAINS.items()}
    questions = [q.question for q in load_question_sets(args.questions).questions]
    for service in services.values():  # one unmeasured pass: caches of term vectors and prepared passages
        for question in questions:
            service.ask(question, 5)
    timings: dict[str, list[float]] = {name: [] for name in services}
    for _ in range(args.passes):
        for question in questions:
            for name, service in services.items():
                started = time.perf_counter()
                service.ask(question, 5)
                timings[name].append((time.perf_counter() - started) * 1000.0)
    medians = {}
    for name, values in timings.items():
        summary = latency_summary(values)
        medians[name] = summary["p50_ms"]
        print(f"{name}: {len(values)} asks, p50 {summary['p50_ms']:.1f} ms, p95 {summary['p95_ms']:.1f} ms")
    new, old = medians.values()
    print(f"ratio of the medians: {new / old:.2f}")


if __name__ == "__main__":
    main()
