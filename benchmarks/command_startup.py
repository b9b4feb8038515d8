"""CPU a `qa` process spends before its work is done: `qa --help`, `qa docs list`, `qa search` (BM25),
`qa ingest` of one small file into a new index, and `qa serve` until /readyz says ready.

    python -m benchmarks.command_startup --index DIR [--code ROOT ...] [--repeats 5] [--out FILE]

Each `--code ROOT` is a checkout whose code runs the commands (PYTHONPATH=ROOT; default: this one); with two,
the runs alternate A, B, A, B... so that the machine's load falls on both alike. The figure is the child's CPU
(user + system, from wait4), which a busy machine inflates far less than the wall clock; serve's is its CPU
(/proc/PID/stat) when /readyz first answers 200, with the wall-clock seconds beside it. Medians per command.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.common import free_port, write_json
from qa_service.settings import PROJECT_ROOT

SMALL_FILE = "人工智能产业发展的若干措施。\n\n一、总体要求\n\n加快人工智能与实体经济深度融合，培育新动能。\n"
TICKS = os.sysconf("SC_CLK_TCK")


def _env(code: Path, work: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(code), "QA_FEEDBACK_DB": str(work / "feedback.sqlite"),
            "QA_EMBEDDING_CACHE": str(work / "embeddings.sqlite")}


def _cpu_of(argv: list[str], code: Path, work: Path) -> float:
    """User + system CPU seconds of one `qa` command run to its end (exit status 0 required)."""
    proc = subprocess.Popen([sys.executable, "-m", "qa_service.cli", *argv], cwd=work, env=_env(code, work),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"qa {' '.join(argv)} exited {proc.returncode}: {proc.stderr.read().decode()[-2000:]}")
    proc.stderr.close()
    return usage.ru_utime + usage.ru_stime


def _proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def _serve(index: Path, code: Path, work: Path, timeout: float = 300.0) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of `qa serve` from spawn to the first 200 of /readyz."""
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "qa_service.cli", "serve", "--index", str(index), "--port",
                             str(port)], cwd=work, env=_env(code, work), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"qa serve exited {proc.returncode} before it was ready")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as resp:
                    if resp.status == 200:
                        return _proc_cpu(proc.pid), time.perf_counter() - started
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.02)
        raise TimeoutError(f"qa serve not ready after {timeout:.0f} s")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def one_round(index: Path, code: Path, work: Path) -> dict[str, Any]:
    small = work / "small"
    small.mkdir(exist_ok=True)
    (small / "措施.txt").write_text(SMALL_FILE, encoding="utf-8")
    target = Path(tempfile.mkdtemp(dir=work, prefix="idx-"))
    serve_cpu, serve_wall = _serve(index, code, work)
    return {
        "help": _cpu_of(["--help"], code, work),
        "docs_list": _cpu_of(["docs", "list", "--index", str(index)], code, work),
        "search_bm25": _cpu_of(["search", "高等院校", "--index", str(index), "--retriever", "bm25"], code, work),
        "ingest_one_file": _cpu_of(["ingest", str(small), "--index", str(target / "idx"), "--quiet"], code, work),
        "serve_ready_cpu": serve_cpu,
        "serve_ready_wall": serve_wall,
    }


def run(index: Path, codes: list[Path], repeats: int, work: Path) -> dict[str, Any]:
    rows: dict[str, list[dict[str, Any]]] = {str(c): [] for c in codes}
    for code in codes:  # the small file's vectors into the embedding cache, so that no round embeds it
        one_round(index, code, work)
    load = [os.getloadavg()]
    for _ in range(repeats):
        for code in codes:  # A, B, A, B...
            rows[str(code)].append(one_round(index, code, work))
        load.append(os.getloadavg())
    medians = {code: {k: round(statistics.median(r[k] for r in runs), 2) for k in runs[0]}
               for code, runs in rows.items()}
    return {"index": str(index), "repeats": repeats, "cpu_seconds_median": medians, "runs": rows,
            "load_average_1_5_15": [[round(x, 2) for x in la] for la in load]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="an index to read (it is not written)")
    parser.add_argument("--code", type=Path, action="append", help="a checkout to run (repeat for A/B)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    codes = [c.resolve() for c in (args.code or [PROJECT_ROOT])]
    with tempfile.TemporaryDirectory(prefix="qa-command-startup-") as tmp:
        result = run(args.index.resolve(), codes, args.repeats, Path(tmp))
    if args.out:
        write_json(args.out, result)
    print(json.dumps({k: result[k] for k in ("cpu_seconds_median", "load_average_1_5_15")}, indent=2))


if __name__ == "__main__":
    main()
