"""All benchmarks in one run: writes benchmarks/results/latest.json and prints a Markdown table.

    make bench                      # the full run (about 45 minutes on a 2-core machine, readiness included)
    BENCH_QUICK=1 make bench        # a smoke run: one small document, few requests, 2x growth and readiness
    python -m benchmarks.run_all [--quick] [--corpus PATH ...] [--out FILE] [--skip growth ...]
    python -m benchmarks.run_all --skip ingest profile queries startup growth   # readiness alone

The encoder is whatever the QA_EMBEDDING_* settings select; the JSON records it with the machine and
library versions. Everything else a run writes (indexes, logs, profiles, a copy of each result file)
goes under var/bench/, which git ignores. Figures taken while other work shares the CPU are disturbed:
compare runs on a quiet machine.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from benchmarks import growth, ingest, profile_ask, queries, readiness, startup
from benchmarks.common import (RESULTS_DIR, WORK_DIR, embedding_variant, library_versions, machine, quick_mode,
                               write_json)
from benchmarks.report import markdown_table
from qa_service.settings import PROJECT_ROOT, Settings

log = logging.getLogger("benchmarks")
STEPS = ("ingest", "profile", "queries", "startup", "growth", "readiness")
QUICK_DOCUMENT = "中国电科双创示范基地建设方案.txt"  # the smallest bundled document


def _plan(quick: bool, full_quality_wait: float | None) -> dict[str, Any]:
    """full_quality_wait: seconds the synthetic corpus of the readiness step waits for its vectors (None: to
    the end); the smoke run's synthetic corpus is small enough to wait for."""
    if quick:
        return {"floor_fraction": 1.0, "requests": 16, "profile_rounds": 1, "startup_repeats": 1, "gunicorn": False,
                "factors": [2], "growth_requests": 8, "readiness_factor": 2, "full_quality_wait": None}
    return {"floor_fraction": 0.25, "requests": 400, "profile_rounds": 3, "startup_repeats": 3, "gunicorn": True,
            "factors": [10, 100], "growth_requests": 120, "readiness_factor": 10,
            "full_quality_wait": full_quality_wait}


@contextmanager
def _pinned_encoder(settings: Settings) -> Iterator[None]:
    """Every process of the run (ingests, servers, growth) uses the variant the run started with, even if
    the defaults change on disk meanwhile: vectors of two variants would miss each other's cache entries."""
    pinned = {"QA_EMBEDDING_BACKEND": settings.embedding_backend, "QA_EMBEDDING_PRECISION": settings.embedding_precision}
    before = {k: os.environ.get(k) for k in pinned}
    os.environ.update(pinned)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run(corpus: list[Path], quick: bool, skip: set[str], work: Path = WORK_DIR,
        full_quality_wait: float | None = 300.0) -> dict[str, Any]:
    base = Settings.from_env()
    with _pinned_encoder(base):
        return _run(base, corpus, quick, skip, work, _plan(quick, full_quality_wait))


def _run(base: Settings, corpus: list[Path], quick: bool, skip: set[str], work: Path,
         plan: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "quick": quick,
        "command": ("BENCH_QUICK=1 make bench" if quick else "make bench") + (
            f" (steps skipped: {', '.join(sorted(skip))})" if skip else ""),
        "machine": machine(), "libraries": library_versions(), "embedding": embedding_variant(base), "plan": plan,
    }
    started = time.perf_counter()
    ingest_work = work / "ingest"
    if "ingest" not in skip:
        result["ingest"] = ingest.run(corpus, ingest_work, plan["floor_fraction"])
    settings = base.with_overrides(index_dir=ingest_work / "index")
    if "profile" not in skip:
        result["profile"] = profile_ask.run(settings, plan["profile_rounds"], work=work)
    if "queries" not in skip:
        result["queries"] = queries.run(settings, plan["requests"], gunicorn=plan["gunicorn"], work=work)
    if "startup" not in skip:
        result["startup"] = startup.run(settings, plan["startup_repeats"], gunicorn=plan["gunicorn"], work=work)
    if "growth" not in skip:
        rates = None
        if "ingest" in result:
            cold, chunks = result["ingest"]["cold"], result["ingest"]["chunks"]
            rates = {"load_clean_chunk_per_chunk": cold["load_clean_chunk_seconds"] / chunks,
                     "embed_per_chunk": cold["embed_seconds"] / chunks}
        result["growth"] = growth.run(settings.index_dir, plan["factors"], rates, plan["growth_requests"],
                                      work / "growth")
    if "readiness" not in skip:
        result["readiness"] = readiness.run(corpus, plan["readiness_factor"], plan["full_quality_wait"],
                                            work / "readiness")
    result["machine"]["load_average_at_end"] = machine()["load_average"]
    result["seconds"] = round(time.perf_counter() - started, 1)
    work.mkdir(parents=True, exist_ok=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run (also BENCH_QUICK=1)")
    parser.add_argument("--corpus", nargs="+", help="files or folders to ingest (default: data/corpus, "
                        f"or {QUICK_DOCUMENT} alone in quick mode)")
    parser.add_argument("--out", default=str(RESULTS_DIR / "latest.json"))
    parser.add_argument("--work", default=str(WORK_DIR), help="where indexes, logs and copies go (default var/bench)")
    parser.add_argument("--skip", nargs="*", default=[], choices=STEPS)
    parser.add_argument("--full-quality-wait", type=float, default=300.0, help="readiness: seconds the synthetic "
                        "corpus waits for its vectors before its time to full quality is projected")
    parser.add_argument("--to-end", action="store_true", help="readiness: wait for the synthetic corpus's vectors "
                        "(about an hour at 10x on 2 cores)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    for noisy in ("faiss.loader", "jieba", "sentence_transformers", "httpx", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    quick = args.quick or quick_mode()
    corpus_dir = PROJECT_ROOT / "data" / "corpus"
    corpus = [Path(p) for p in args.corpus] if args.corpus else [corpus_dir / QUICK_DOCUMENT] if quick else [corpus_dir]
    work = Path(args.work)
    result = run(corpus, quick, set(args.skip), work, None if args.to_end else args.full_quality_wait)
    out = Path(args.out)
    write_json(out, result)
    stamp = result["date"].replace(":", "").replace("-", "")
    shutil.copyfile(out, work / f"results-{stamp}.json")
    table = markdown_table(result)
    (work / "latest.md").write_text(table, encoding="utf-8")
    sys.stdout.write(table)
    log.info("wrote %s (table also in %s) in %.0f s", out, work / "latest.md", result["seconds"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
