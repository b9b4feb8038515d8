"""`qa ingest` of a corpus with the passages embedded in this process and on a local Ray, compared.

    python -m benchmarks.scale_out.ray_ingest [--corpus data/corpus] [--actors 2] [--limit-files N]

Both ingests start from an empty index and no embedding cache; the script reports their times and checks
that the two indexes hold the same chunk ids and vectors (largest difference).
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

from embeddings.index_store import read_version
from qa_service.ingestion import IngestionService
from qa_service.settings import PROJECT_ROOT, Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=PROJECT_ROOT / "data" / "corpus")
    parser.add_argument("--actors", type=int, default=2)
    parser.add_argument("--limit-files", type=int, default=0, help="only the N smallest files (0: all)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ray-ingest-"))
    try:
        files = sorted((p for p in args.corpus.iterdir() if p.is_file()), key=lambda p: p.stat().st_size)
        if args.limit_files:
            files = files[:args.limit_files]
        corpus = work / "corpus"
        corpus.mkdir()
        for f in files:
            shutil.copy(f, corpus / f.name)
        figures = {}
        for mode in ("local", "ray"):
            settings = Settings.from_env(index_dir=work / mode, embedding_cache="", ingest_embedding=mode,
                                         ray_actors=args.actors)
            ingestion = IngestionService(settings)
            started = time.perf_counter()
            report = ingestion.sync([corpus], show_progress=False)
            figures[mode] = {"seconds": round(time.perf_counter() - started, 1),
                             "embed_seconds": round(report.embed_seconds, 1), "chunks": report.chunks}
            close = getattr(ingestion._encoder, "close", None)
            if close:
                close()
        local, ray = read_version(work / "local"), read_version(work / "ray")
        same_ids = [c.id for c in local.chunks] == [c.id for c in ray.chunks]
        sys.stdout.write(json.dumps({
            "files": len(files), "actors": args.actors, **figures, "same_chunk_ids": same_ids,
            "max_vector_difference": float(np.abs(local.vectors - ray.vectors).max()) if same_ids else None},
            ensure_ascii=False) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
