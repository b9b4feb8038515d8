"""Readiness of a new deployment, per corpus: time to first answer, to full quality, and upload to answerable.

    python -m benchmarks.readiness [--corpus PATH ...] [--factor 10] [--full-quality-wait 300] [--to-end]
                                   [--only bundled|synthetic] [--out FILE]

For the bundled corpus and for a synthetic one `--factor` times larger (benchmarks/synthetic_corpus.py: real
text files, every copy's passages changed), each on a new index directory with an empty embedding cache (the
model cache is kept: `make bench` fetches the model first; `python -m benchmarks.first_answer --cold` measures
a fresh clone's fetch and export), what `make run` does is timed (benchmarks/first_answer.py):
- first answer: `qa ingest --lexical`, `qa serve`, the first answered question;
- full quality: until /v1/info says hybrid. The bundled corpus waits to the end; the synthetic one waits
  `--full-quality-wait` seconds from the start (and at least 120 s into the passages' embedding) and, if the
  vectors are not complete by then, reports the time *projected* from the passages' measured rate and from
  the server's own estimate, with n of N embedded (`--to-end` waits for it: about an hour at 10x on 2 cores);
- upload to answerable: then a two-page PDF (tests/qa_service/intake_testlib.py) is POSTed to /v1/documents and
  a question only its second page answers is asked until the answer holds its figure and cites the PDF: the
  POST's own time and the time from sending it to that answer; if the server was hybrid, also until it is
  hybrid again (the upload's vectors made and switched in).
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Sequence

from benchmarks import synthetic_corpus
from benchmarks.common import WORK_DIR, free_port, machine, write_json
from benchmarks.first_answer import (Served, ask, fresh_env, get_json, make_run, wait_first_answer,
                                     wait_full_quality)
from embeddings.index_spec import indexable_text
from embeddings.index_store import CHUNKS_FILE, current_version_dir
from documents.models import Chunk
from qa_service.settings import DEFAULT_CORPUS_DIR
from tests.qa_service.intake_testlib import ANSWER_ON_PAGE_TWO, PDF_NAME, QUESTION_ON_PAGE_TWO, two_page_pdf

log = logging.getLogger("benchmarks.readiness")
LIMIT_SECONDS = 4 * 3600.0  # a run that reaches nothing by then has failed
RATE_WINDOW_SECONDS = 120.0  # of passage embedding, at least, before a projection from its rate
UPLOAD_LIMIT_SECONDS = 900.0  # a 10x index is rewritten whole by an upload: minutes on a loaded machine


def post_document(base: str, name: str, raw: bytes) -> tuple[int, dict[str, Any]]:
    """POST /v1/documents with the file as multipart/form-data (as a browser sends it)."""
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: application/pdf\r\n\r\n").encode() + raw + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(base + "/v1/documents", data=body, method="POST", headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}", "X-Requested-With": "benchmark"})
    try:
        with urllib.request.urlopen(req, timeout=UPLOAD_LIMIT_SECONDS) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def _answered_from_upload(answer: dict[str, Any] | None) -> bool:
    citations = (answer or {}).get("citations") or [{}]
    return ANSWER_ON_PAGE_TWO in ((answer or {}).get("answer") or "") and citations[0].get("doc") == PDF_NAME


def _wait(served: Served, done: Any, since: float) -> float:
    """Seconds from `since` until done() holds (polled every 0.1 s); RuntimeError past UPLOAD_LIMIT_SECONDS."""
    while not done():
        served.alive()
        if time.monotonic() - since > UPLOAD_LIMIT_SECONDS:
            raise RuntimeError(f"the upload was not answered; see {served.work / 'serve.log'}")
        time.sleep(0.1)
    return round(time.monotonic() - since, 2)


def upload_to_answerable(served: Served) -> dict[str, Any]:
    """POSTs the two-page PDF and asks its question until answered from it; see the module docstring."""
    before = get_json(served.base + "/v1/info") or {}
    raw = two_page_pdf()
    sent = time.monotonic()
    status, body = post_document(served.base, PDF_NAME, raw)
    posted = time.monotonic() - sent
    if status not in (200, 201):
        raise RuntimeError(f"upload refused: {status} {body}")
    answerable = _wait(served, lambda: _answered_from_upload(ask(served.base, QUESTION_ON_PAGE_TWO)), sent)
    answer = ask(served.base, QUESTION_ON_PAGE_TWO) or {}
    result = {"pdf_bytes": len(raw), "pages": 2, "post_seconds": round(posted, 2), "answerable_seconds": answerable,
              "retrieval_then": answer.get("retrieval"), "server_before": {
                  "retrieval": before.get("retrieval"), "embedding": before.get("embedding")}}
    if before.get("retrieval") == "hybrid":
        hybrid = lambda: (get_json(served.base + "/v1/info") or {}).get("retrieval") == "hybrid"  # noqa: E731
        result["hybrid_again_seconds"] = _wait(served, hybrid, sent)
    return result


def projection(full: dict[str, Any]) -> dict[str, Any] | None:
    """Time to full quality projected from the measured passage rate and from the server's estimate."""
    last, start = full.get("last") or {}, full.get("passages_from")
    embedded, total = last.get("embedded"), last.get("total")
    if start is None or not embedded or not total or last["seconds"] <= start["seconds"]:
        return {"projected": True, "measured": f"no passage embedded by {last.get('seconds')} s "
                f"(phase {last.get('phase')})", "seconds": None}
    rate = (embedded - start["embedded"]) / (last["seconds"] - start["seconds"])
    left = last.get("seconds_left")
    return {"projected": True, "measured": f"{embedded:,} of {total:,} passages embedded at {last['seconds']:.0f} s",
            "embedded": embedded, "total": total, "passages_per_s": round(rate, 2),
            "seconds_from_rate": round(last["seconds"] + (total - embedded) / rate) if rate > 0 else None,
            "seconds_from_server_estimate": round(last["seconds"] + left) if left is not None else None,
            "note": "the switch to hybrid (a few seconds) is not included"}


def distinct_passages(index_dir: Path, leave_out: str = PDF_NAME) -> dict[str, int]:
    """Passages of the served version (the upload left out) and how many distinct texts are embedded."""
    version = current_version_dir(index_dir)
    with open(version / CHUNKS_FILE, encoding="utf-8") as fh:
        chunks = [Chunk.from_dict(json.loads(line)) for line in fh if line.strip()]
    texts = [indexable_text(c) for c in chunks if c.doc != leave_out]
    return {"passages": len(texts), "distinct_texts": len(set(texts))}


def measure(corpus: Sequence[Path], work: Path, full_quality_wait: float | None) -> dict[str, Any]:
    """One corpus: first answer, full quality (or its projection), upload to answerable."""
    env = fresh_env(work, empty_embedding_cache=True)
    log.info("readiness: %s (full quality: %s)", ", ".join(map(str, corpus)),
             "to the end" if full_quality_wait is None else f"wait {full_quality_wait:.0f} s")
    with make_run(corpus, work, env, free_port()) as served:
        result = dict(served.result)
        result.update(wait_first_answer(served, LIMIT_SECONDS))
        if full_quality_wait is None:
            full = wait_full_quality(served, LIMIT_SECONDS)
        else:
            full = wait_full_quality(served, full_quality_wait, rate_window=RATE_WINDOW_SECONDS)
        result.update(full)
        if full["full_quality_seconds"] is None:
            result["full_quality_projection"] = projection(full)
        result["upload"] = upload_to_answerable(served)
    result.update(distinct_passages(work / "index"), load_average_at_end=machine()["load_average"])
    return result


def run(corpus: Sequence[Path], factor: int, full_quality_wait: float | None, work: Path = WORK_DIR / "readiness",
        only: str | None = None) -> dict[str, Any]:
    """The bundled corpus (to full quality), then the synthetic one `factor` times larger."""
    out: dict[str, Any] = {"load_average_at_start": machine()["load_average"]}
    if only != "synthetic":
        out["bundled"] = measure(corpus, work / "bundled", None)
    if only != "bundled":
        made = synthetic_corpus.write(corpus, factor, work / f"corpus-{factor}x")
        out[f"synthetic_{factor}x"] = {"synthetic": made, **measure([Path(made["dir"])], work / f"{factor}x",
                                                                    full_quality_wait)}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, nargs="+", default=[DEFAULT_CORPUS_DIR])
    parser.add_argument("--factor", type=int, default=10)
    parser.add_argument("--full-quality-wait", type=float, default=300.0,
                        help="seconds the synthetic corpus waits for full quality before projecting it")
    parser.add_argument("--to-end", action="store_true", help="wait for the synthetic corpus's full quality")
    parser.add_argument("--only", choices=("bundled", "synthetic"))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    result = run(args.corpus, args.factor, None if args.to_end else args.full_quality_wait, only=args.only)
    if args.out:
        write_json(args.out, result)
    sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
