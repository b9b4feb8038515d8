"""Where an in-process /v1/ask spends its time: wall-clock split and a cProfile listing.

    python -m benchmarks.profile_ask --index DIR [--rounds 3] [--top 30]

Wall clock (no profiler): the whole ask through the service, and the query encoding alone, per
benchmark question; everything else is retrieval, reranking and answering work. Then one pass under
cProfile: the share of the profiled time spent in each stage's entry point, and the top functions,
written to profile-ask.txt in the work folder (var/bench/).
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import logging
import pstats
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.common import WORK_DIR, latency_summary, questions
from qa_service.settings import Settings

log = logging.getLogger("benchmarks.profile_ask")

# Entry points of the stages (a piece of the file path, function name) as cProfile names them.
STAGES = {
    "analyse question (tokenise, weigh terms, asked kinds)": ("understanding/query.py", "analyse"),
    "encode query": ("embeddings/encoders/", "encode_query"),
    "BM25 scores": ("bm25_index.py", "token_scores"),
    "hybrid retrieval (incl. encode, BM25)": ("retrievers/fusion.py", "retrieve"),
    "rerank (sentence evidence)": ("sentence_evidence_reranker.py", "rerank"),
    "answer (grounding, support, quote)": ("extractive_answerer.py", "answer"),
    "entity grounding": ("entity_grounding.py", "ungrounded"),
    "JSON response": ("types.py", "to_dict"),
}


def _stage_shares(stats: pstats.Stats, total: float) -> dict[str, float]:
    shares: dict[str, float] = {}
    for label, (fragment, name) in STAGES.items():
        cumulative = max((row[3] for (path, _, func), row in stats.stats.items()  # type: ignore[attr-defined]
                          if func == name and fragment in path), default=0.0)  # max: wrappers nest
        shares[label] = round(100 * cumulative / total, 1) if total else 0.0
    return shares


def run(settings: Settings, rounds: int = 3, top: int = 30, work: Path = WORK_DIR) -> dict[str, Any]:
    from embeddings.encoders.factory import build_encoder
    from qa_service.service import QAService

    items = questions()
    encoder = build_encoder(settings.encoder_spec)
    service = QAService.from_settings(settings, encoder)
    for q in items:  # warm-up
        service.ask(q, settings.top_k)
    ask_ms, encode_ms = [], []
    for _ in range(rounds):
        for q in items:
            t0 = time.perf_counter()
            encoder.encode_query(q)
            t1 = time.perf_counter()
            service.ask(q, settings.top_k)
            t2 = time.perf_counter()
            encode_ms.append((t1 - t0) * 1000)
            ask_ms.append((t2 - t1) * 1000)
    profiler = cProfile.Profile()
    profiler.enable()
    for q in items:
        service.ask(q, settings.top_k)
    profiler.disable()
    buffer = io.StringIO()
    stats = pstats.Stats(profiler, stream=buffer)
    total = stats.total_tt  # type: ignore[attr-defined]
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    work.mkdir(parents=True, exist_ok=True)
    (work / "profile-ask.txt").write_text(buffer.getvalue())
    ask, encode = latency_summary(ask_ms), latency_summary(encode_ms)
    return {"ask_in_service": ask, "encode_query": encode,
            "non_encoder_p50_ms": round(ask["p50_ms"] - encode["p50_ms"], 2),
            "profiled_share_percent": _stage_shares(stats, total), "profile_file": str(work / "profile-ask.txt")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", help="index directory (default: QA_INDEX_DIR)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = Settings.from_env(index_dir=Path(args.index) if args.index else None)
    sys.stdout.write(json.dumps(run(settings, args.rounds, args.top), ensure_ascii=False, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
