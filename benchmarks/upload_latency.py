"""Upload to answerable on an existing index: the POST's wall and CPU time, the answer, the deletion.

    python -m benchmarks.upload_latency --index DIR [--rounds 3] [--code ROOT] [--out FILE]

Copies the index DIR (left untouched), serves the copy with `qa serve` and, each round, waits until the server is
hybrid (its vectors complete), POSTs the two-page PDF of the tests (tests/qa_service/intake_testlib.py) to
/v1/documents, asks the question only its page 2 answers every 0.1 s until answered from it, waits for hybrid
retrieval again (the upload's vectors made in the background), then DELETEs it and asks again (a deletion
takes effect when its request returns). The server's own CPU time over each request (/proc: user + system of
the serving process, its parsing sandbox excluded) is reported beside the wall time, which a shared machine
inflates. `--code ROOT` serves with another checkout's code (for a before/after comparison on the same index).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.common import WORK_DIR
from benchmarks.first_answer import ask, get_json, stop_server
from benchmarks.readiness import post_document
from qa_service.settings import PROJECT_ROOT
from tests.qa_service.intake_testlib import ANSWER_ON_PAGE_TWO, PDF_NAME, QUESTION_ON_PAGE_TWO, two_page_pdf

LIMIT_SECONDS = 900.0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (not its children), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _until(done, what: str, since: float) -> float:
    while not done():
        if time.monotonic() - since > LIMIT_SECONDS:
            raise RuntimeError(f"{what} not reached in {LIMIT_SECONDS:.0f} s")
        time.sleep(0.1)
    return round(time.monotonic() - since, 2)


def _answered(answer: dict[str, Any] | None) -> bool:
    citations = (answer or {}).get("citations") or [{}]
    return ANSWER_ON_PAGE_TWO in ((answer or {}).get("answer") or "") and citations[0].get("doc") == PDF_NAME


def _cites_pdf(answer: dict[str, Any] | None) -> bool:
    return any(c.get("doc") == PDF_NAME for c in (answer or {}).get("citations") or [])


def _hybrid(base: str) -> bool:
    return (get_json(base + "/v1/info") or {}).get("retrieval") == "hybrid"


def _delete(base: str, doc_id: str) -> int:
    req = urllib.request.Request(f"{base}/v1/documents/{doc_id}", method="DELETE",
                                 headers={"X-Requested-With": "benchmark"})
    with urllib.request.urlopen(req, timeout=LIMIT_SECONDS) as resp:
        return resp.status


def one_round(base: str, pid: int) -> dict[str, Any]:
    raw = two_page_pdf()
    cpu0, sent = _cpu_seconds(pid), time.monotonic()
    status, body = post_document(base, PDF_NAME, raw)
    posted, cpu = time.monotonic() - sent, _cpu_seconds(pid) - cpu0
    if status not in (200, 201):
        raise RuntimeError(f"upload refused: {status} {body}")
    answerable = _until(lambda: _answered(ask(base, QUESTION_ON_PAGE_TWO)), "an answer from the upload", sent)
    retrieval = (ask(base, QUESTION_ON_PAGE_TWO) or {}).get("retrieval")
    hybrid_again = _until(lambda: _hybrid(base), "hybrid retrieval", sent)
    documents = (get_json(base + "/v1/documents") or {}).get("documents") or []
    doc_id = next(d["id"] for d in documents if d["name"] == PDF_NAME)
    cpu0, sent = _cpu_seconds(pid), time.monotonic()
    _delete(base, doc_id)
    deleted, delete_cpu = time.monotonic() - sent, _cpu_seconds(pid) - cpu0
    gone = not _cites_pdf(ask(base, QUESTION_ON_PAGE_TWO))
    _until(lambda: _hybrid(base), "hybrid retrieval after the deletion", time.monotonic())
    return {"post_seconds": round(posted, 2), "post_server_cpu_seconds": round(cpu, 2),
            "answerable_seconds": answerable, "retrieval_then": retrieval, "hybrid_again_seconds": hybrid_again,
            "delete_seconds": round(deleted, 2), "delete_server_cpu_seconds": round(delete_cpu, 2),
            "deleted_at_once": gone}


def run(index: Path, rounds: int, code: Path, work: Path) -> dict[str, Any]:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.copytree(index, work / "index")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(code), "QA_INDEX_DIR": str(work / "index")}
    with open(work / "serve.log", "w") as log:
        server = subprocess.Popen([sys.executable, "-m", "qa_service.cli", "serve", "--port", str(port)], cwd=code,
                                  env=env, stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        started = time.monotonic()
        _until(lambda: server.poll() is None and _hybrid(base), "a hybrid server", started)
        ask(base, QUESTION_ON_PAGE_TWO)  # the first question's one-off costs are not the upload's
        results = [one_round(base, server.pid) for _ in range(rounds)]
        info = get_json(base + "/v1/info") or {}  # while the server runs (read after the stop, it was always None)
    finally:
        stop_server(server)
    return {"index": str(index), "code": str(code), "chunks": (info.get("manifest") or {}).get("chunk_count"),
            "rounds": results,
            "load_average": os.getloadavg()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="an index directory (copied, not changed)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--code", type=Path, default=PROJECT_ROOT, help="the checkout whose code serves")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    result = run(args.index, args.rounds, args.code.resolve(), WORK_DIR / "upload_latency")
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
