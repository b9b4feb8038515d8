"""Memory per worker and requests/s of `qa serve --workers N`, with vectors.faiss copied or mapped.

    python -m benchmarks.scale_out.workers --index var/index [--requests 200] [--reverse]

For N = 1, 2 and QA_VECTOR_MMAP off/on: start the server, drive benchmarks.loadtest at concurrency 8,
then read each worker's /proc/PID/smaps_rollup (RSS, PSS, anonymous) and the RSS/PSS of its
vectors.faiss mapping. --reverse runs the four cases in the opposite order (load that comes and goes
then weighs on the other cases).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.common import MANY_CLIENTS_ENV, child_pids, smaps_rollup, start_server, wait_ready
from qa_service.settings import PROJECT_ROOT, Settings

CONCURRENCY = 8


def vectors_mapping(pid: int) -> tuple[float, float]:
    """RSS and PSS (MiB) of the process's mappings of vectors.faiss (0, 0 when it is not mapped)."""
    rss = pss = 0
    inside = False
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        fields = line.split()
        if fields and "-" in fields[0] and not fields[0].endswith(":"):
            inside = line.rstrip().endswith("vectors.faiss")
        elif inside and fields[0] == "Rss:":
            rss += int(fields[1])
        elif inside and fields[0] == "Pss:":
            pss += int(fields[1])
    return rss / 1024, pss / 1024


def run(index: Path, workers: int, mmap: bool, requests: int) -> dict[str, Any]:
    settings = Settings.from_env(index_dir=index)
    log_file = PROJECT_ROOT / "var" / "bench" / f"scale-out-serve-{workers}-{'mmap' if mmap else 'copy'}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    server = start_server(settings, workers=workers,
                          env={**MANY_CLIENTS_ENV, "QA_VECTOR_MMAP": "true" if mmap else "false"}, log_file=log_file)
    try:
        ready = wait_ready(server, timeout=900)
        pids = [server.process.pid] if workers == 1 else child_pids(server.process.pid)
        for _ in range(60):  # gunicorn answers from the first ready worker: wait until every one has loaded
            pids = [server.process.pid] if workers == 1 else child_pids(server.process.pid)
            if len(pids) == workers and all(smaps_rollup(p)["Rss"] > 400 for p in pids):
                break
            time.sleep(2)
        load = subprocess.run([sys.executable, "-m", "benchmarks.loadtest", "--url", server.url, "--requests",
                               str(requests), "--concurrency", str(CONCURRENCY)],
                              cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=1800)
        per_worker = []
        for pid in pids:
            memory = smaps_rollup(pid)
            vectors_rss, vectors_pss = vectors_mapping(pid)
            per_worker.append({"rss_mib": round(memory["Rss"]), "pss_mib": round(memory["Pss"]),
                               "anonymous_mib": round(memory.get("Anonymous", 0)),
                               "vectors_rss_mib": round(vectors_rss, 1), "vectors_pss_mib": round(vectors_pss, 1)})
        master = round(smaps_rollup(server.process.pid)["Rss"]) if workers > 1 else None
        return {"workers": workers, "mmap": mmap, "ready_seconds": round(ready, 1), "per_worker": per_worker,
                "master_rss_mib": master, "loadtest_exit": load.returncode, "loadtest": load.stdout[-1500:]}
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=PROJECT_ROOT / "var" / "index")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--reverse", action="store_true")
    args = parser.parse_args()
    cases = [(1, False), (1, True), (2, False), (2, True)]
    for workers, mmap in reversed(cases) if args.reverse else cases:
        sys.stdout.write(json.dumps(run(args.index, workers, mmap, args.requests), ensure_ascii=False) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
