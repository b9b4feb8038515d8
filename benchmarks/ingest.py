"""Ingest figures: cold, unchanged and one-document-changed runs, with the raw encoder as the floor.

    python -m benchmarks.ingest [--corpus DIR] [--floor-fraction 0.25]

Each run is a separate process (its own imports, model load and peak RSS), timed from spawn to exit:
1. cold: a fresh index and a fresh embedding cache, so every chunk is embedded;
2. unchanged: the same files again, same cache: nothing may be embedded by the model again;
3. one document changed: a sentence inserted in the middle of the smallest document (edited in place in
   a working copy of the corpus): only chunks whose text changed may be embedded again (checked against
   the chunk texts of run 1).
"embedded" counts the passages the model computed (embedding cache misses); "from_cache" the passages the cache
gave; "terms_embedded" the BM25 terms the model embedded for the term vectors.
The cold run then times `encode_documents` of the bare encoder (no cache, no ingest around it) on an
evenly spaced sample of the same chunk texts: the floor that ingest throughput is compared with.
"""
from __future__ import annotations

import argparse
import json
import logging
import shutil
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks.common import WORK_DIR, peak_rss_mib
from qa_service.settings import PROJECT_ROOT, Settings

log = logging.getLogger("benchmarks.ingest")
CHANGED_DOC_MARK = "（本段为性能测试插入的修改。）"  # the sentence inserted into the changed document


def _child(args: argparse.Namespace) -> dict[str, Any]:
    """One ingest in this process; prints its figures as JSON."""
    from embeddings.encoders.cached_encoder import CachedEncoder
    from embeddings.index_store import load_index
    from embeddings.index_spec import indexable_text
    from qa_service.ingestion import IngestionService
    from embeddings.encoders.factory import build_encoder

    started = time.perf_counter()
    settings = Settings.from_env(index_dir=Path(args.index), embedding_cache=args.cache)
    encoder = build_encoder(settings.encoder_spec)
    model_seconds = time.perf_counter() - started
    cached = CachedEncoder(encoder, Path(args.cache))
    report = IngestionService(settings, cached).run([Path(p) for p in args.corpus], show_progress=False)
    result: dict[str, Any] = {
        **asdict(report), "total_seconds": report.total_seconds, "model_load_seconds": model_seconds,
        # Passages only: the cache also serves the BM25 terms embedded for the term vectors (report.model_chunks
        # counts passages the model embedded; the rest of embedded_chunks came from the cache).
        "embedded": report.model_chunks, "from_cache": report.embedded_chunks - (report.model_chunks or 0),
        "terms_embedded": cached.misses - (report.model_chunks or 0), "peak_rss_mib": peak_rss_mib(),
    }
    index = load_index(settings.index_dir, verify_checksums=False)
    texts = [indexable_text(c, settings.indexed_text) for c in index.chunks]
    Path(args.texts_out).write_text(json.dumps({"texts": texts, "docs": [c.doc for c in index.chunks]},
                                               ensure_ascii=False))
    if args.floor_fraction > 0:
        step = max(1, round(1 / args.floor_fraction))
        sample = texts[::step]
        encoder.encode_documents(sample[:16])  # warm-up: first-call allocations
        t0 = time.perf_counter()
        encoder.encode_documents(sample)
        seconds = time.perf_counter() - t0
        result["floor"] = {"chunks": len(sample), "of": len(texts), "seconds": seconds,
                           "chunks_per_s": len(sample) / seconds}
    return result


def _run_child(index: Path, cache: Path, corpus: list[Path], texts_out: Path, floor_fraction: float = 0.0,
               env: dict[str, str] | None = None) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.ingest", "--child", "--index", str(index), "--cache", str(cache),
               "--texts-out", str(texts_out), "--floor-fraction", str(floor_fraction),
               "--corpus", *[str(p) for p in corpus]]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"ingest child failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_wall_seconds"] = wall
    return result


def _working_copy(corpus: list[Path], target: Path) -> list[Path]:
    """The corpus files copied into one folder (the benchmark edits them there), smallest first."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    files = sorted((f for p in corpus for f in ([p] if p.is_file() else sorted(p.rglob("*"))) if f.is_file()),
                   key=lambda f: f.stat().st_size)
    for f in files:
        shutil.copy2(f, target / f.name)
    return [target / f.name for f in files]


def _insert_sentence(document: Path) -> None:
    """One sentence inserted after the sentence that ends nearest the middle of the document."""
    text = document.read_text(encoding="utf-8")
    cut = text.find("。", len(text) // 2) + 1
    document.write_text(text[:cut] + CHANGED_DOC_MARK + text[cut:], encoding="utf-8")


def run(corpus: list[Path], work: Path, floor_fraction: float = 0.25) -> dict[str, Any]:
    """All three scenarios on a working copy of the corpus; the index of the cold run stays in `work`/index
    (the changed document is ingested into a copy of it)."""
    work.mkdir(parents=True, exist_ok=True)
    index, cache, copy = work / "index", work / "embeddings-cold.sqlite", work / "corpus"
    shutil.rmtree(index, ignore_errors=True)
    cache.unlink(missing_ok=True)
    files = _working_copy(corpus, copy)
    log.info("ingest: cold run (fresh cache) of %s", ", ".join(f.name for f in files))
    cold = _run_child(index, cache, [copy], work / "texts-cold.json", floor_fraction)
    log.info("ingest: unchanged corpus again")
    warm = _run_child(index, cache, [copy], work / "texts-warm.json")
    changed_doc = files[0].name
    _insert_sentence(files[0])
    changed_index = work / "index-changed"
    shutil.rmtree(changed_index, ignore_errors=True)
    shutil.copytree(index, changed_index)
    log.info("ingest: %s changed", changed_doc)
    try:
        changed = _run_child(changed_index, cache, [copy], work / "texts-changed.json")
    finally:
        shutil.rmtree(changed_index, ignore_errors=True)
        shutil.rmtree(copy, ignore_errors=True)

    before = json.loads((work / "texts-cold.json").read_text())
    after = json.loads((work / "texts-changed.json").read_text())
    known = set(before["texts"])
    new_texts = {t for t in after["texts"] if t not in known}
    doc_chunks = sum(1 for d in after["docs"] if d == changed_doc)
    new_outside_doc = sum(1 for t, d in zip(after["texts"], after["docs"]) if t not in known and d != changed_doc)

    chunks = cold["chunks"]
    floor = cold.get("floor")
    result: dict[str, Any] = {
        "corpus": [p.name for p in corpus], "documents": cold["documents"], "chunks": chunks,
        "cold": {
            "process_wall_seconds": cold["process_wall_seconds"], "model_load_seconds": cold["model_load_seconds"],
            "load_clean_chunk_seconds": cold["load_clean_chunk_seconds"], "embed_seconds": cold["embed_seconds"],
            "index_seconds": cold["index_seconds"], "total_seconds": cold["total_seconds"],
            "chunks_per_s": chunks / cold["total_seconds"], "embed_chunks_per_s": chunks / cold["embed_seconds"],
            "embedded": cold["embedded"], "peak_rss_mib": cold["peak_rss_mib"],
        },
        "unchanged": {k: warm[k] for k in ("process_wall_seconds", "total_seconds", "load_clean_chunk_seconds",
                                            "embed_seconds", "index_seconds", "embedded", "from_cache",
                                            "peak_rss_mib")},
        "one_document_changed": {
            "document": changed_doc, "document_chunks": doc_chunks, "new_chunk_texts": len(new_texts),
            "new_chunk_texts_outside_document": new_outside_doc,
            **{k: changed[k] for k in ("process_wall_seconds", "total_seconds", "embed_seconds", "embedded",
                                        "from_cache")},
        },
    }
    if floor:
        result["floor"] = floor
        result["ratio_ingest_to_floor"] = result["cold"]["chunks_per_s"] / floor["chunks_per_s"]
        result["ratio_embed_step_to_floor"] = result["cold"]["embed_chunks_per_s"] / floor["chunks_per_s"]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", nargs="+", default=[str(PROJECT_ROOT / "data" / "corpus")])
    parser.add_argument("--floor-fraction", type=float, default=0.25, dest="floor_fraction",
                        help="share of the chunks the bare encoder is timed on (evenly spaced)")
    parser.add_argument("--work", default=str(WORK_DIR / "ingest"))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--index", help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    parser.add_argument("--texts-out", dest="texts_out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.child else logging.INFO, format="%(message)s")
    if args.child:
        sys.stdout.write(json.dumps(_child(args)) + "\n")
        return 0
    result = run([Path(p) for p in args.corpus], Path(args.work), args.floor_fraction)
    sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
