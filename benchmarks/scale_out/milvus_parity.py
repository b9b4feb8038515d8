"""Milvus Lite against the embedded stores on a whole index: dense top-10 against FAISS, BM25 full text
against the local BM25 index, query times and size on disk.

    python -m benchmarks.scale_out.milvus_parity --index var/index [--questions ../shared/eval/dev.jsonl]
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from embeddings.index_store import load_index, read_version
from embeddings.vector_stores.faiss_keyed import FaissKeyedStore
from embeddings.index_spec import indexable_text
from embeddings.encoders.factory import build_encoder
from qa_service.settings import PROJECT_ROOT, Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=PROJECT_ROOT / "var" / "index")
    parser.add_argument("--questions", type=Path, default=PROJECT_ROOT.parent / "shared" / "eval" / "dev.jsonl")
    args = parser.parse_args()
    from embeddings.vector_stores.milvus_store import MilvusVectorStore

    settings = Settings.from_env(index_dir=args.index)
    index = load_index(args.index)
    ids = [c.id for c in index.chunks]
    docs = [c.doc for c in index.chunks]
    matrix = read_version(args.index).vectors
    faiss_keyed = FaissKeyedStore(index.vectors, ids, docs)
    work = Path(tempfile.mkdtemp(prefix="milvus-parity-"))
    try:
        started = time.perf_counter()
        milvus = MilvusVectorStore(str(work / "parity.db"), matrix.shape[1], full_text=True)
        milvus.add(ids, docs, matrix, texts=[indexable_text(c, settings.indexed_text) for c in index.chunks])
        add_seconds = time.perf_counter() - started
        questions = [json.loads(line)["question"] for line in args.questions.read_text(encoding="utf-8").splitlines()
                     if line.strip()]
        encoder = build_encoder(settings.encoder_spec)
        queries = [encoder.encode_query(q) for q in questions]
        milvus.search(queries[0], 10)
        milvus.full_text_search(questions[0], 10)  # warm-up: per-segment indexes are built lazily
        same = top1 = 0
        max_diff = t_faiss = t_milvus = t_bm25 = t_fulltext = 0.0
        overlaps = []
        for question, vector in zip(questions, queries):
            t0 = time.perf_counter(); a = faiss_keyed.search(vector, 10); t_faiss += time.perf_counter() - t0
            t0 = time.perf_counter(); b = milvus.search(vector, 10); t_milvus += time.perf_counter() - t0
            same += [h.chunk_id for h in a] == [h.chunk_id for h in b]
            max_diff = max(max_diff, float(np.abs(np.array([h.score for h in a]) - np.array([h.score for h in b])).max()))
            t0 = time.perf_counter()
            scores = index.bm25.scores(question)
            local = [ids[i] for i in np.argsort(-scores)[:10]]
            t_bm25 += time.perf_counter() - t0
            t0 = time.perf_counter(); remote = [h.chunk_id for h in milvus.full_text_search(question, 10)]
            t_fulltext += time.perf_counter() - t0
            overlaps.append(len(set(local) & set(remote)) / 10)
            top1 += bool(remote) and local[0] == remote[0]
        milvus.close()
        n = len(questions)
        size = sum(f.stat().st_size for f in work.rglob("*") if f.is_file())
        sys.stdout.write(json.dumps({
            "chunks": len(ids), "questions": n, "milvus_add_seconds": round(add_seconds, 1),
            "dense_top10_identical": f"{same}/{n}", "dense_max_score_difference": max_diff,
            "faiss_ms_per_query": round(1000 * t_faiss / n, 2), "milvus_ms_per_query": round(1000 * t_milvus / n, 2),
            "bm25_top10_overlap_mean": round(float(np.mean(overlaps)), 3), "bm25_top1_same": f"{top1}/{n}",
            "local_bm25_ms": round(1000 * t_bm25 / n, 2), "milvus_bm25_ms": round(1000 * t_fulltext / n, 2),
            "milvus_bytes_per_chunk": round(size / len(ids))}, ensure_ascii=False) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
