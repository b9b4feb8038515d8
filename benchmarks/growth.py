"""Growth: how ingest time, memory and query latency grow with 10x and 100x the chunks.

    python -m benchmarks.growth --index DIR [--factors 10 100]

SYNTHETIC DATA. Embedding 100x the corpus for real takes hours on this machine, so the larger corpora
are made from the real index: copy j of chunk i gets the vector normalise(v_i + 0.3 v_r + noise)
(v_r a random other chunk's vector, noise N(0, 0.02^2) per dimension) and chunk i's BM25 tokens with a
random run of 10% of them replaced by another random chunk's; its text, title and section are the
original ones (so the answerer has real sentences to quote). Copy 0 is the real corpus.

Per factor, in a child process (its peak RSS is the build memory):
- measured: BM25 build from the synthetic token lists, writing the index (index_writer.write_index),
  and for each vector store (exact flat, HNSW, IVF) its build time, file size, search latency for the
  hybrid candidate pool (k=50) and recall@10 against exact search, over the benchmark questions
  encoded by the real model;
- extrapolated, and labelled so: load+clean+chunk and embedding at the rates of the real cold ingest,
  jieba tokenisation at the rate measured on the real chunks.
Then `qa serve` is started on the synthetic index: time to ready, resident memory, and /v1/ask and
/v1/search latency over HTTP at concurrency 1.
"""
from __future__ import annotations

import argparse
import json
import logging
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import WORK_DIR, latency_summary, peak_rss_mib, questions
from embeddings.vector_stores.chooser import choose_vector_store, store_kind
from qa_service.settings import PROJECT_ROOT, Settings

log = logging.getLogger("benchmarks.growth")
POOL_K = 50  # the hybrid retriever's candidates per retriever (QA_HYBRID_CANDIDATES)
RECALL_K = 10
HNSW_EF_SWEEP = (64, 128, 512)  # besides the default
IVF_MAX_ROWS = 100_000  # IVF is compared up to 10x; at 100x its k-means alone would take minutes
NOISE = 0.02
MIX = 0.3
TOKEN_SWAP = 0.10
SEED = 20261130
SYNTHETIC_NOTE = ("synthetic: copies of the real chunks with perturbed vectors (v + 0.3 v_other + N(0, 0.02^2), "
                  "renormalised) and perturbed BM25 tokens (10% replaced by another chunk's); texts are the "
                  "originals; embedding and jieba times at scale are extrapolated from measured rates")


def synthetic_vectors(vectors: np.ndarray, factor: int, rng: np.random.Generator) -> np.ndarray:
    n, d = vectors.shape
    out = np.empty((n * factor, d), dtype=np.float32)
    out[:n] = vectors
    for j in range(1, factor):
        other = vectors[rng.integers(0, n, n)]
        block = vectors + MIX * other + rng.normal(0.0, NOISE, (n, d)).astype(np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[j * n:(j + 1) * n] = block
    return out


def synthetic_tokens(tokens: list[list[str]], factor: int, rng: np.random.Generator) -> list[list[str]]:
    """Copy j of a token list: a random run of 10% of its tokens replaced by as many of another chunk's
    (BM25 counts tokens, so which 10% is irrelevant; a run keeps this to list slicing at 100x)."""
    n = len(tokens)
    out = list(tokens)
    for _ in range(1, factor):
        donors = rng.integers(0, n, n)
        starts = rng.random(n)
        for i, doc in enumerate(tokens):
            k = int(len(doc) * TOKEN_SWAP)
            a = int(starts[i] * (len(doc) - k + 1))
            out.append(doc[:a] + doc[a + k:] + tokens[donors[i]][:k])
    return out


def _timed_search(store: Any, queries: np.ndarray, k: int) -> tuple[list[float], list[np.ndarray]]:
    for q in queries[:3]:
        store.search(q, k)
    ms, rows = [], []
    for q in queries:
        t0 = time.perf_counter()
        _, r = store.search(q, k)
        ms.append((time.perf_counter() - t0) * 1000)
        rows.append(r)
    return ms, rows


def _recall(rows: list[np.ndarray], exact: list[np.ndarray]) -> float:
    """Mean share of the exact top RECALL_K rows found in the top RECALL_K."""
    return round(float(np.mean([len(set(r[:RECALL_K].tolist()) & set(e[:RECALL_K].tolist())) / RECALL_K
                                for r, e in zip(rows, exact)])), 4)


def compare_stores(vectors: np.ndarray, queries: np.ndarray, work: Path) -> dict[str, Any]:
    """Build time, size, search latency and recall@10 of each store kind on the same vectors."""
    from embeddings.vector_stores.faiss_hnsw_store import FaissHNSWStore
    from embeddings.vector_stores.faiss_ivf_store import FaissIVFStore
    from embeddings.vector_stores.faiss_store import FaissFlatStore

    results: dict[str, Any] = {}
    exact: list[np.ndarray] = []
    for kind, make in (("flat", lambda d: FaissFlatStore(d)), ("hnsw", lambda d: FaissHNSWStore(d)),
                       ("ivf", lambda d: FaissIVFStore(d))):
        if kind == "ivf" and len(vectors) > IVF_MAX_ROWS:
            results[kind] = {"skipped": f"over {IVF_MAX_ROWS:,} rows (k-means and assignment take minutes here)"}
            continue
        store = make(vectors.shape[1])
        t0 = time.perf_counter()
        store.add(vectors)
        build = time.perf_counter() - t0
        target = work / f"store-{kind}"
        target.mkdir(parents=True, exist_ok=True)
        size = sum((target / name).stat().st_size for name in store.save(target))
        shutil.rmtree(target)
        ms, rows = _timed_search(store, queries, POOL_K)
        if kind == "flat":
            exact = rows
        results[kind] = {"build_seconds": round(build, 2), "file_mib": round(size / 2**20, 1),
                         "search_k50": latency_summary(ms), f"recall@{RECALL_K}_vs_exact": _recall(rows, exact)}
        if kind == "hnsw":  # the speed / recall trade-off of the search breadth
            sweep = {}
            for ef in HNSW_EF_SWEEP:
                store.ef_search = ef
                ef_ms, ef_rows = _timed_search(store, queries, POOL_K)
                sweep[str(ef)] = {"p50_ms": latency_summary(ef_ms)["p50_ms"], "recall": _recall(ef_rows, exact)}
            results[kind]["ef_search_sweep"] = sweep
        log.info("growth: %d rows, %s: %s", len(vectors), kind, results[kind])
        del store
    return results


def _child(args: argparse.Namespace) -> dict[str, Any]:
    import faiss

    from embeddings.index_store import current_version_dir, load_index
    from embeddings.index_writer import write_index
    from embeddings.lexical.bm25_index import BM25Index
    from embeddings.index_spec import indexable_text
    from embeddings.encoders.factory import build_encoder

    settings = Settings.from_env(index_dir=Path(args.source))
    source = load_index(settings.index_dir, verify_checksums=False)
    raw = faiss.read_index(str(current_version_dir(settings.index_dir) / "vectors.faiss"))
    vectors = raw.reconstruct_n(0, raw.ntotal)
    texts = [indexable_text(c, settings.indexed_text) for c in source.chunks]
    t0 = time.perf_counter()
    tokens = [source.bm25.tokenize(t) for t in texts]
    jieba_per_chunk = (time.perf_counter() - t0) / len(texts)
    encoder = build_encoder(settings.encoder_spec)
    queries = np.vstack([encoder.encode_query(q) for q in questions()])

    factor = args.factor
    rng = np.random.default_rng(SEED)
    t0 = time.perf_counter()
    big_vectors = synthetic_vectors(vectors, factor, rng)
    big_tokens = synthetic_tokens(tokens, factor, rng)
    n = len(source.chunks)
    big_chunks = list(source.chunks) + [replace(c, id=f"{c.id}-s{j}") for j in range(1, factor) for c in source.chunks]
    synth_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    bm25 = BM25Index.from_tokens(big_tokens, source.bm25.tokenize)
    bm25_seconds = time.perf_counter() - t0
    del big_tokens
    manifest = source.manifest
    fields = {"model": manifest.model, "embedding_variant": manifest.embedding_variant, "chunking": manifest.chunking,
              "corpus_fingerprint": f"synthetic-x{factor}-{manifest.corpus_fingerprint}",
              "documents": manifest.documents, "lexical": manifest.lexical}
    out_index = Path(args.out)
    shutil.rmtree(out_index, ignore_errors=True)
    t0 = time.perf_counter()
    write_index(out_index, big_chunks, big_vectors, bm25, fields)
    write_seconds = time.perf_counter() - t0
    from embeddings.index_store import read_manifest
    served_store = read_manifest(out_index).vector_index  # what the chooser gave the served index
    stores = compare_stores(big_vectors, queries, out_index.parent)
    return {"factor": factor, "chunks": len(big_chunks), "source_chunks": n,
            "synthesis_seconds": round(synth_seconds, 1),
            "measured": {"bm25_build_seconds": round(bm25_seconds, 1), "write_index_seconds": round(write_seconds, 1)},
            "served_vector_index": served_store,  # write_index_seconds includes building it
            "jieba_seconds_per_chunk": jieba_per_chunk, "stores": stores, "build_peak_rss_mib": peak_rss_mib()}


def _serve_figures(index: Path, requests: int, work: Path) -> dict[str, Any]:
    from benchmarks.queries import ENDPOINTS, _bodies, _http_sender, run_load
    from benchmarks.startup import index_size
    from benchmarks.common import cpu_seconds, rss_mib, start_server, wait_ready

    settings = Settings.from_env(index_dir=index)
    server = start_server(settings, log_file=work / "serve.log")
    try:
        ready = wait_ready(server, timeout=1800)
        items = questions()
        figures: dict[str, Any] = {"ready_seconds": round(ready, 1), "index": index_size(settings)}
        for name, (path, field) in ENDPOINTS.items():
            bodies = _bodies(field, items)
            run_load(_http_sender(server.url), path, bodies, len(bodies), 1, lambda: cpu_seconds(server.pids()))
            result = run_load(_http_sender(server.url), path, bodies, requests, 1, lambda: cpu_seconds(server.pids()))
            figures[f"http_{name}@1"] = result.summary()
        figures["server_rss_mib"] = rss_mib(server.process.pid)
        return figures
    finally:
        server.stop()


def run(source_index: Path, factors: list[int], ingest_rates: dict[str, float] | None = None,
        requests: int = 120, work: Path = WORK_DIR / "growth") -> dict[str, Any]:
    """Figures per factor; `ingest_rates` (seconds per chunk of load+clean+chunk and embed, from the real cold
    ingest) turn the measured steps into an extrapolated full ingest time."""
    from benchmarks.queries import ENDPOINTS  # noqa: F401  (fail early if the query bench is broken)

    work.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {"note": SYNTHETIC_NOTE, "factors": {}}
    for factor in factors:
        out_index = work / f"index-x{factor}"
        command = [sys.executable, "-m", "benchmarks.growth", "--child", "--source", str(source_index),
                   "--factor", str(factor), "--out", str(out_index)]
        log.info("growth: building %dx", factor)
        done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"growth child failed ({done.returncode}):\n{done.stderr[-3000:]}")
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        chosen = store_kind(choose_vector_store(figures["chunks"], 1))
        figures["chosen_store"] = chosen
        if ingest_rates:
            n = figures["chunks"]
            extrapolated = {"load_clean_chunk_seconds": n * ingest_rates["load_clean_chunk_per_chunk"],
                            "embed_seconds": n * ingest_rates["embed_per_chunk"],
                            "jieba_seconds": n * figures["jieba_seconds_per_chunk"]}
            figures["extrapolated"] = {k: round(v, 1) for k, v in extrapolated.items()}
            measured = figures["measured"]
            figures["ingest_seconds_estimate"] = round(
                sum(extrapolated.values()) + measured["bm25_build_seconds"] + measured["write_index_seconds"], 1)
            # (write_index builds the store the chooser picks, HNSW above the threshold: it is in that figure)
        log.info("growth: serving %dx", factor)
        figures["serve"] = _serve_figures(out_index, requests, work)
        shutil.rmtree(out_index, ignore_errors=True)
        out["factors"][str(factor)] = figures
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", help="the real index to grow from (default: QA_INDEX_DIR)")
    parser.add_argument("--factors", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--requests", type=int, default=120)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--source", help=argparse.SUPPRESS)
    parser.add_argument("--factor", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.child else logging.INFO, format="%(message)s")
    if args.child:
        sys.stdout.write(json.dumps(_child(args)) + "\n")
        return 0
    index = Path(args.index) if args.index else Settings.from_env().index_dir
    sys.stdout.write(json.dumps(run(index, args.factors, requests=args.requests), ensure_ascii=False, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
