"""What every benchmark script shares: the machine description, timing statistics, memory readings.

Figures are medians of repeated runs and percentiles over many requests; memory comes from the stdlib
(resource.getrusage) and /proc, so no extra package is needed.
"""
from __future__ import annotations

import json
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Sequence

from qa_service.settings import PROJECT_ROOT, Settings

BENCH_DIR = PROJECT_ROOT / "benchmarks"
RESULTS_DIR = BENCH_DIR / "results"
WORK_DIR = PROJECT_ROOT / "var" / "bench"  # everything but latest.json: ignored by git
QUESTIONS_FILE = BENCH_DIR / "questions.txt"
# The three development sets beside the project (../shared/eval/), for the benchmarks of answering (issue 18).
DEV_SETS = [PROJECT_ROOT.parent / "shared" / "eval" / f"{name}.jsonl" for name in ("dev", "dev_paraphrase", "dev_unanswerable")]
LIBRARIES = ("torch", "sentence-transformers", "transformers", "openvino", "faiss-cpu", "bm25s", "jieba", "numpy",
             "flask", "waitress", "gunicorn")


def quick_mode() -> bool:
    """BENCH_QUICK=1: a smoke run (small corpus, few requests); figures are not comparable."""
    return os.environ.get("BENCH_QUICK", "").strip().lower() in {"1", "true", "yes", "on"}


def questions() -> list[str]:
    """The fixed benchmark questions (answerable and not), one a line, shipped with the benchmarks."""
    lines = QUESTIONS_FILE.read_text(encoding="utf-8").splitlines()
    return [q.strip() for q in lines if q.strip() and not q.startswith("#")]


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    flags = _cpu_flags()
    return {
        "cpu": cpu, "cores": os.cpu_count(), "usable_cores": len(os.sched_getaffinity(0)),
        "ram_gib": round(_meminfo_kib("MemTotal") / 2**20, 1) if _meminfo_kib("MemTotal") else None,
        "cpu_flags": [f for f in ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile") if f in flags],
        "os": platform.platform(), "python": platform.python_version(), "load_average": os.getloadavg(),
    }


def _cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _meminfo_kib(key: str) -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def library_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def embedding_variant(settings: Settings) -> dict[str, Any]:
    """Which encoder the settings select (the benchmarks run whatever that is)."""
    return {"model": settings.embedding_model, "backend": settings.embedding_backend,
            "precision": settings.embedding_precision, "variant": settings.embedding_variant,
            "batch_size": settings.embedding_batch_size, "threads": settings.torch_threads or "library default"}


# --- statistics -------------------------------------------------------------------------------------------

def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    position = (len(ordered) - 1) * q / 100.0
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def latency_summary(ms: Sequence[float]) -> dict[str, float]:
    return {"n": len(ms), "p50_ms": round(percentile(ms, 50), 2), "p95_ms": round(percentile(ms, 95), 2),
            "p99_ms": round(percentile(ms, 99), 2), "mean_ms": round(statistics.fmean(ms), 2)}


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


# --- memory and CPU -----------------------------------------------------------------------------------------

def peak_rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident memory of this process (or of its waited-for children) in MiB (Linux: ru_maxrss in KiB)."""
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def rss_mib(pid: int | None = None) -> float | None:
    """Current resident memory of a process from /proc (None when it is gone)."""
    return _status_mib(pid, "VmRSS")


def hwm_mib(pid: int | None = None) -> float | None:
    """Peak resident memory of a running process from /proc (VmHWM)."""
    return _status_mib(pid, "VmHWM")


def _status_mib(pid: int | None, key: str) -> float | None:
    path = Path(f"/proc/{pid or 'self'}/status")
    try:
        for line in path.read_text().splitlines():
            if line.startswith(key + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def smaps_rollup(pid: int | str = "self") -> dict[str, float]:
    """A process's /proc/PID/smaps_rollup in MiB by field (Rss, Pss, Anonymous, ...)."""
    out = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        field, _, rest = line.partition(":")
        parts = rest.split()
        if len(parts) == 2 and parts[1] == "kB":
            out[field] = int(parts[0]) / 1024
    return out


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU seconds used so far by the given live processes (from /proc/PID/stat)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def child_pids(pid: int) -> list[int]:
    """Direct children of a process (gunicorn workers under their arbiter)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(c) for c in children]


def dir_size_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# --- servers --------------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A `qa serve` child process on a loopback port."""

    process: subprocess.Popen
    url: str
    started: float  # perf_counter at spawn

    def pids(self) -> list[int]:
        return [self.process.pid, *child_pids(self.process.pid)]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# For load benchmarks: their concurrent "clients" all come from 127.0.0.1, one client to the per-client limits of
# `qa serve` (4 requests in progress, 16 connections by default), which would answer most of them 429.
MANY_CLIENTS_ENV = {"QA_MAX_REQUESTS_PER_CLIENT": "0", "QA_MAX_CONNECTIONS_PER_CLIENT": "0"}


def start_server(settings: Settings, workers: int = 1, threads: int = 8, env: dict[str, str] | None = None,
                 log_file: Path | None = None) -> Server:
    """Spawn `qa serve` for the settings' index; the caller waits for readiness with wait_ready."""
    port = free_port()
    environment = {**os.environ, **(env or {}), "QA_INDEX_DIR": str(settings.index_dir)}
    command = [sys.executable, "-m", "qa_service.cli", "serve", "--port", str(port), "--threads", str(threads),
               "--workers", str(workers)]
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL
    started = time.perf_counter()
    process = subprocess.Popen(command, env=environment, stdout=out, stderr=out, cwd=PROJECT_ROOT)
    return Server(process, f"http://127.0.0.1:{port}", started)


def wait_ready(server: Server, timeout: float = 300.0) -> float:
    """Seconds from spawn until /readyz answers 200 (raises if the process dies or time runs out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"qa serve exited with {server.process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(server.url + "/readyz", timeout=5) as resp:
                if resp.status == 200:
                    return time.perf_counter() - server.started
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.02)
    raise TimeoutError(f"qa serve at {server.url} not ready after {timeout:.0f} s")


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
