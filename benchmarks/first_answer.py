"""Time to first answer and to full quality: what `make run` does on a fresh index directory, timed.

    python -m benchmarks.first_answer [--corpus DIR] [--cold] [--port 8719] [--out FILE]

Runs the two commands of `make run` (`qa ingest CORPUS --if-stale --lexical`, then `qa serve`) on a new index
directory under var/bench/, asks one question every half second until one is answered (time to first answer),
then reads /v1/info until the vectors are complete and the server answers with hybrid retrieval (time to full
quality), noting the progress it reports on the way. `--cold` also gives the server an empty model cache and an
empty embedding cache (as on a fresh clone: the model is fetched, exported and every passage embedded). The
server is stopped at the end; the JSON goes to stdout (and --out). benchmarks/readiness.py reuses the pieces.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

from benchmarks.common import WORK_DIR
from qa_service.settings import DEFAULT_CORPUS_DIR, PROJECT_ROOT

QUESTION = "海淀区有多少所高等院校？"


@dataclass
class Served:
    """A `make run` in progress: its server, its base URL and the clock every figure is read from."""

    work: Path
    base: str
    server: subprocess.Popen
    t0: float
    result: dict[str, Any] = field(default_factory=dict)

    def seconds(self) -> float:
        return time.monotonic() - self.t0

    def alive(self) -> None:
        if self.server.poll() is not None:
            raise RuntimeError(f"the server stopped; see {self.work / 'serve.log'}")


def get_json(url: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return json.loads(resp.read())
    except (OSError, ValueError):
        return None


def ask(base: str, question: str = QUESTION) -> dict[str, Any] | None:
    req = urllib.request.Request(base + "/v1/ask", data=json.dumps({"question": question}).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())
    except (OSError, ValueError):
        return None


def fresh_env(work: Path, cold: bool = False, empty_embedding_cache: bool = False) -> dict[str, str]:
    """The environment of a `make run` on a new index dir under `work` (emptied first); `cold`: empty model
    and embedding caches, as on a fresh clone; `empty_embedding_cache`: only the embedding cache."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "QA_INDEX_DIR": str(work / "index")}
    if cold:
        env["QA_MODEL_CACHE_DIR"] = str(work / "models")
    if cold or empty_embedding_cache:
        env["QA_EMBEDDING_CACHE"] = str(work / "embeddings.sqlite")
    return env


@contextmanager
def make_run(corpus: Sequence[Path], work: Path, env: dict[str, str], port: int) -> Iterator[Served]:
    """`qa ingest CORPUS --lexical`, then `qa serve`, timed from before the ingest; the server stops on exit."""
    qa = [sys.executable, "-m", "qa_service.cli"]
    t0 = time.monotonic()
    with open(work / "ingest.log", "w") as log:
        subprocess.run([*qa, "ingest", *map(str, corpus), "--if-stale", "--lexical", "--quiet"], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=log)
    ingested = time.monotonic() - t0
    with open(work / "serve.log", "w") as log:
        server = subprocess.Popen([*qa, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=log)
    served = Served(work, f"http://127.0.0.1:{port}", server, t0,
                    {"corpus": ", ".join(map(str, corpus)), "lexical_ingest_seconds": round(ingested, 1)})
    try:
        yield served
    finally:
        stop_server(server)


def stop_server(server: subprocess.Popen) -> None:
    """Ctrl-C, as a user stops `qa serve`; killed if it has not ended within 30 s."""
    server.send_signal(signal.SIGINT)
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        server.kill()


def wait_first_answer(served: Served, limit_seconds: float) -> dict[str, Any]:
    """Asks every half second until a question is answered: the time to first answer."""
    while (answer := ask(served.base)) is None:
        served.alive()
        if served.seconds() > limit_seconds:
            raise RuntimeError(f"no answer; see {served.work / 'serve.log'}")
        time.sleep(0.5)
    return {"first_answer_seconds": round(served.seconds(), 1), "first_retrieval": answer.get("retrieval"),
            "first_answer": answer.get("answer")}


def wait_full_quality(served: Served, limit_seconds: float, note_every: float = 30.0,
                      rate_window: float | None = None, hard_limit: float = 4 * 3600.0) -> dict[str, Any]:
    """Reads /v1/info until the server answers with hybrid retrieval (time to full quality), or until
    `limit_seconds` from the start (and, with `rate_window`, that many seconds into the passages, for a rate to
    project from; `hard_limit` in any case): then full_quality_seconds is None and `last` holds how far the vectors got. `passages_from` is when (and
    at what count) the passage phase was first seen."""
    progress: list[dict[str, Any]] = []
    last_note, passages_from, embedding = -note_every, None, {}
    while True:
        info = get_json(served.base + "/v1/info") or {}
        now = served.seconds()
        if info.get("retrieval") == "hybrid":
            break
        embedding = info.get("embedding") or embedding
        if passages_from is None and embedding.get("phase") == "passages":
            passages_from = {"seconds": round(now, 1), "embedded": embedding.get("embedded") or 0}
        if now - last_note >= note_every:
            progress.append({"seconds": round(now), **embedding})
            last_note = now
        served.alive()
        rate_measured = rate_window is None or (passages_from and now - passages_from["seconds"] >= rate_window)
        if (now > limit_seconds and rate_measured) or now > hard_limit:
            return {"full_quality_seconds": None, "gave_up_after_seconds": round(now), "progress": progress,
                    "last": {"seconds": round(now, 1), **embedding}, "passages_from": passages_from}
        time.sleep(2)
    answer = ask(served.base) or {}
    return {"full_quality_seconds": round(served.seconds(), 1), "final_retrieval": answer.get("retrieval"),
            "final_answer": answer.get("answer"), "progress": progress, "passages_from": passages_from}


def run(corpus: Path, cold: bool, port: int, limit_seconds: float) -> dict[str, Any]:
    work = WORK_DIR / "first_answer"
    env = fresh_env(work, cold=cold)
    with make_run([corpus], work, env, port) as served:
        result = {**served.result, "cold_caches": cold}
        result.update(wait_first_answer(served, limit_seconds))
        full = wait_full_quality(served, limit_seconds)
    return {**result, **full}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS_DIR)
    parser.add_argument("--cold", action="store_true", help="empty model and embedding caches, as a fresh clone")
    parser.add_argument("--port", type=int, default=8719)
    parser.add_argument("--limit", type=float, default=3600.0, help="give up after this many seconds")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    result = run(args.corpus, args.cold, args.port, args.limit)
    text = json.dumps(result, ensure_ascii=False, indent=2)
    sys.stdout.write(text + "\n")
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
