"""Start-up and memory: process start to ready, the server's resident memory, index size on disk per chunk.

    python -m benchmarks.startup --index DIR [--repeats 3]

`qa serve` is spawned and /readyz polled every 20 ms; ready is the first 200 (the server binds its port
only after the index and the model are loaded). Resident memory is read from /proc when ready and again
after a warm-up of one request per benchmark question.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.common import WORK_DIR, dir_size_bytes, hwm_mib, median, questions, rss_mib, start_server, wait_ready
from embeddings.index_store import current_version_dir, read_manifest
from qa_service.settings import Settings

log = logging.getLogger("benchmarks.startup")


def index_size(settings: Settings) -> dict[str, Any]:
    version = current_version_dir(settings.index_dir)
    manifest = read_manifest(settings.index_dir)
    if version is None or manifest is None:
        raise RuntimeError(f"no index at {settings.index_dir}")
    chunks = manifest.chunk_count
    files = {p.relative_to(version).as_posix(): p.stat().st_size for p in sorted(version.rglob("*")) if p.is_file()}
    parts = {"vectors": sum(s for n, s in files.items() if n.startswith("vectors")),
             "bm25": sum(s for n, s in files.items() if n.startswith("bm25/")),
             "chunks": files.get("chunks.jsonl", 0)}
    total = dir_size_bytes(version)
    return {"chunks": chunks, "total_mib": round(total / 2**20, 2), "bytes_per_chunk": round(total / chunks),
            "bytes_per_chunk_by_part": {k: round(v / chunks) for k, v in parts.items()}}


def _ask(url: str, question: str) -> None:
    req = urllib.request.Request(url + "/v1/ask", data=json.dumps({"question": question}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as resp:
        resp.read()


def measure(settings: Settings, repeats: int = 3, workers: int = 1, work: Path = WORK_DIR) -> dict[str, Any]:
    ready, rss_ready, rss_warm, peak = [], [], [], []
    items = questions()
    for _ in range(repeats):
        server = start_server(settings, workers=workers, log_file=work / "startup.log")
        try:
            ready.append(wait_ready(server))
            rss_ready.append(sum(rss_mib(p) or 0.0 for p in server.pids()))
            for q in items:
                _ask(server.url, q)
            rss_warm.append(sum(rss_mib(p) or 0.0 for p in server.pids()))
            peak.append(sum(hwm_mib(p) or 0.0 for p in server.pids()))
        finally:
            server.stop()
    return {"workers": workers, "repeats": repeats, "ready_seconds": round(median(ready), 2),
            "ready_seconds_all": [round(r, 2) for r in ready], "rss_ready_mib": round(median(rss_ready), 1),
            "rss_after_warmup_mib": round(median(rss_warm), 1), "peak_rss_mib": round(median(peak), 1)}


def run(settings: Settings, repeats: int = 3, gunicorn: bool = True, work: Path = WORK_DIR) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"index": index_size(settings), "waitress": measure(settings, repeats, work=work)}
    if gunicorn:
        result["gunicorn_2_workers"] = measure(settings, max(1, repeats - 1), workers=2, work=work)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", help="index directory (default: QA_INDEX_DIR)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = Settings.from_env(index_dir=Path(args.index) if args.index else None)
    sys.stdout.write(json.dumps(run(settings, args.repeats), ensure_ascii=False, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
