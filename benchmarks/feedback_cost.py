"""What recording every answer for feedback (qa_service/feedback/store.py) costs on the answer path.

    python -m benchmarks.feedback_cost [--cap 100000] [--calls 2000] [--index var/index --asks 100]

- record: one FeedbackStore.record of an answer with five citations (the INSERT and the pruning DELETE in one
  transaction, WAL, synchronous=NORMAL), on an empty file and on a file at its cap (every record then prunes
  one answer); microseconds per call, p50 and p95;
- ask (with --index): POST /v1/ask through the real app, feedback on and off, asked alternately so that both
  see the same machine; milliseconds per ask, p50 and p95.
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.contract_overhead import _answer
from qa_service.feedback.store import FeedbackStore, new_answer_id

QUESTION = "海淀区有多少所高等院校？"


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50": round(statistics.median(ordered), 1), "p95": round(ordered[int(len(ordered) * 0.95) - 1], 1)}


def _record_micros(store: FeedbackStore, calls: int) -> dict[str, float]:
    answer, samples = _answer(), []
    for _ in range(calls):
        answer_id = new_answer_id()
        started = time.perf_counter()
        store.record(answer_id, "default", "v-bench", QUESTION, answer)
        samples.append((time.perf_counter() - started) * 1e6)
    return _percentiles(samples)


def _fill(store: FeedbackStore, rows: int) -> None:
    """`rows` answers at once (one transaction), so that the timed records find the file at its cap."""
    store.record(new_answer_id(), "default", "v-bench", QUESTION, _answer())  # creates the file and schema
    db = store._connection()
    first = db.execute("SELECT * FROM answers").fetchone()
    db.execute("BEGIN")
    db.executemany("INSERT INTO answers (id, kb, index_version, answered_at, question, answer, answerable, citations) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", ((new_answer_id(), *first[2:]) for _ in range(rows)))
    db.execute("COMMIT")


def run_records(cap: int, calls: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        empty = FeedbackStore(Path(tmp) / "empty.sqlite", cap, cap)
        full = FeedbackStore(Path(tmp) / "full.sqlite", cap, cap)
        _fill(full, cap)
        out = {"empty_file_us": _record_micros(empty, calls), f"at_cap_{cap}_us": _record_micros(full, calls),
               "rows_at_cap_after": full.count("answers"), "file_mb_at_cap": round(
                   (Path(tmp) / "full.sqlite").stat().st_size / 1e6 + sum(
                       p.stat().st_size for p in Path(tmp).glob("full.sqlite-*")) / 1e6, 1)}
        empty.close()
        full.close()
    return out


def run_asks(index: Path, asks: int) -> dict[str, Any]:
    from qa_service.api.app import create_app
    from qa_service.composition import ServiceRoot
    from qa_service.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        base = Settings.from_env(index_dir=index, background_embedding=False, auto_reload=False)
        root = ServiceRoot(base.with_overrides(feedback_db=str(Path(tmp) / "f.sqlite")), serving=True).warm_up(True)
        on = create_app(root).test_client()
        off = create_app(ServiceRoot(base.with_overrides(feedback_db="off"), serving=True, encoder=root.encoder,
                                     qa=root.qa)).test_client()
        for client in (on, off):  # warm both
            client.post("/v1/ask", json={"question": QUESTION})
        samples: dict[str, list[float]] = {"on": [], "off": []}
        for _ in range(asks):
            for name, client in (("on", on), ("off", off)):
                started = time.perf_counter()
                assert client.post("/v1/ask", json={"question": QUESTION}).status_code == 200
                samples[name].append((time.perf_counter() - started) * 1000)
        root.close()
    return {f"ask_feedback_{name}_ms": _percentiles(s) for name, s in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=int, default=100_000, help="QA_FEEDBACK_MAX_ANSWERS of the full file")
    parser.add_argument("--calls", type=int, default=2000, help="timed records per file")
    parser.add_argument("--index", type=Path, help="also time /v1/ask with feedback on and off on this index")
    parser.add_argument("--asks", type=int, default=100, help="asks of each kind with --index")
    args = parser.parse_args()
    result = run_records(args.cap, args.calls)
    if args.index:
        result.update(run_asks(args.index, args.asks))
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
