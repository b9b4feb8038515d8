"""Time to first answer and to full quality: what `make run` does on a fresh index directory, timed.

    python -m benchmarks.first_answer [--corpus DIR] [--cold] [--port 8719] [--out FILE]

Runs the two commands of `make run` (`qa ingest CORPUS --if-stale --lexical`, then `qa serve`) on a new index
directory under var/bench/, asks one question every half second until one is answered (time to first answer),
then reads /v1/info until the vectors are complete and the server answers with hybrid retrieval (time to full
quality), noting the progress it reports on the way. `--cold` also gives the server an empty model cache and an
empty embedding cache (as on a fresh clone: the model is fetched, exported and every passage embedded). The
server is stopped at the end; the JSON goes to stdout (and --out).
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
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.common import WORK_DIR
from qa_service.settings import DEFAULT_CORPUS_DIR, PROJECT_ROOT

QUESTION = "海淀区有多少所高等院校？"


def _get(url: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return json.loads(resp.read())
    except (OSError, ValueError):
        return None


def _ask(base: str) -> dict[str, Any] | None:
    req = urllib.request.Request(base + "/v1/ask", data=json.dumps({"question": QUESTION}).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())
    except (OSError, ValueError):
        return None


def run(corpus: Path, cold: bool, port: int, limit_seconds: float) -> dict[str, Any]:
    work = WORK_DIR / "first_answer"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "QA_INDEX_DIR": str(work / "index")}
    if cold:
        env.update(QA_MODEL_CACHE_DIR=str(work / "models"), QA_EMBEDDING_CACHE=str(work / "embeddings.sqlite"))
    qa = [sys.executable, "-m", "qa_service.cli"]
    base = f"http://127.0.0.1:{port}"
    t0 = time.monotonic()
    subprocess.run([*qa, "ingest", str(corpus), "--if-stale", "--lexical", "--quiet"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=open(work / "ingest.log", "w"))
    ingested = time.monotonic() - t0
    server = subprocess.Popen([*qa, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=open(work / "serve.log", "w"))
    result: dict[str, Any] = {"corpus": str(corpus), "cold_caches": cold, "lexical_ingest_seconds": round(ingested, 1)}
    progress: list[dict[str, Any]] = []
    try:
        while (answer := _ask(base)) is None:
            if server.poll() is not None or time.monotonic() - t0 > limit_seconds:
                raise RuntimeError(f"no answer; see {work / 'serve.log'}")
            time.sleep(0.5)
        result.update(first_answer_seconds=round(time.monotonic() - t0, 1), first_retrieval=answer.get("retrieval"),
                      first_answer=answer.get("answer"))
        last_note = 0.0
        while True:
            info = _get(base + "/v1/info") or {}
            now = time.monotonic() - t0
            if info.get("retrieval") == "hybrid":
                break
            if now - last_note >= 30:
                progress.append({"seconds": round(now), **(info.get("embedding") or {})})
                last_note = now
            if server.poll() is not None:
                raise RuntimeError(f"the server stopped before hybrid; see {work / 'serve.log'}")
            if now > limit_seconds:  # --limit: report the first answer and how far the vectors got
                progress.append({"seconds": round(now), **(info.get("embedding") or {})})
                result.update(full_quality_seconds=None, gave_up_after_seconds=round(now), progress=progress)
                return result
            time.sleep(2)
        answer = _ask(base) or {}
        result.update(full_quality_seconds=round(time.monotonic() - t0, 1), final_retrieval=answer.get("retrieval"),
                      final_answer=answer.get("answer"), progress=progress)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
    return result


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
