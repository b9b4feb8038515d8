"""What the pydantic contract (qa_service/api/contract/) costs against the hand-written checks it replaced.

    python -m benchmarks.contract_overhead [--repeats 7]

- import: pydantic's import time in a fresh interpreter, and whether a serving process has it loaded before
  the contract is imported (the openai SDK, imported by the LLM answerer, imports it);
- a request: validating an /v1/ask body, valid and refused, with the contract against the checks of main
  before issue 17 (kept below, as they were, for the comparison only);
- a response: an answer with five citations to the JSON text sent, through the response model (built from the
  answer, validated, serialised by pydantic) against main before issue 17 (the dataclasses' to_dict, then the
  json.dumps Flask's jsonify does).

Medians of `repeats` timed rounds; microseconds per call.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import timeit
from typing import Any

from documents.models import Chunk
from qa_service.api.contract.base import Limits
from qa_service.api.contract.requests import AskRequest
from qa_service.api.contract.responses import Answer as AnswerBody
from qa_service.api.errors import ApiError
from qa_service.types import Answer, Citation, Passage

LIMITS = Limits(max_question_chars=2000, default_top_k=5, max_upload_bytes=20_000_000)
VALID = {"question": "海淀区有多少所高等院校？", "top_k": 5}
REFUSED = {"question": "海淀区", "top_k": "5"}


def hand_checks(body: dict[str, Any]) -> tuple[str, int, bool]:
    """The /v1/ask checks of main before issue 17 (query_request, top_k_field, stream_field)."""
    if "question" not in body:
        raise ApiError(422, "missing_field", "'question' is required")
    value = body["question"]
    if not isinstance(value, str):
        raise ApiError(422, "invalid_type", "'question' must be a string")
    if not value.strip():
        raise ApiError(422, "empty_field", "'question' must not be empty")
    if len(value) > 2000:
        raise ApiError(422, "too_long", "'question' is longer than 2000 characters")
    top_k = body.get("top_k", 5)
    if isinstance(top_k, bool) or not isinstance(top_k, int):
        raise ApiError(422, "invalid_type", "'top_k' must be an integer")
    if not 1 <= top_k <= 50:
        raise ApiError(422, "out_of_range", "'top_k' must be between 1 and 50")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise ApiError(422, "invalid_type", "'stream' must be a boolean")
    return value.strip(), top_k, stream


def _answer() -> Answer:
    citations = []
    for ref in range(1, 6):
        chunk = Chunk(id=f"{ref:016x}", doc="首批双创示范基地经验总结汇编.txt", title="北京市海淀区双创经验总结",
                      section="一、基本情况 > （一）海淀区是全国智力资源最富集的区域之一。", text="海淀区" * 120,
                      start=101, end=461, line_start=11, line_end=21)
        passage = Passage(chunk, 0.97 / ref, {"bm25": 21.62 / ref, "dense": 0.776})
        citations.append(Citation(ref, passage, "海淀区目前有北大、清华等高等院校 33 所。"))
    return Answer("海淀区目前有北大、清华等高等院校 33 所。[1]", True, citations, 1.0)


def _micros(call, number: int, repeats: int) -> float:
    return round(statistics.median(timeit.repeat(call, number=number, repeat=repeats)) / number * 1e6, 2)


def _refused(check, body):
    try:
        check(body)
    except ApiError:
        pass


def _fresh(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def run(repeats: int = 7) -> dict[str, Any]:
    imports = [float(_fresh("import time; t = time.perf_counter(); from pydantic import BaseModel; "
                            "print((time.perf_counter() - t) * 1000)")) for _ in range(3)]
    loaded = _fresh("import sys, qa_service.service; print('pydantic.main' in sys.modules)") == "True"
    answer = _answer()
    return {
        "pydantic_import_ms_fresh_interpreter": round(statistics.median(imports), 1),
        "pydantic_already_loaded_by_the_service": loaded,
        "request_valid_us": {"hand": _micros(lambda: hand_checks(VALID), 20000, repeats),
                             "contract": _micros(lambda: AskRequest.parse(VALID, LIMITS), 20000, repeats)},
        "request_refused_us": {"hand": _micros(lambda: _refused(hand_checks, REFUSED), 20000, repeats),
                               "contract": _micros(lambda: _refused(lambda b: AskRequest.parse(b, LIMITS), REFUSED),
                                                   20000, repeats)},
        "answer_5_citations_to_json_us": {
            "to_dict": _micros(lambda: json.dumps({"question": "q", **answer.to_dict()}, ensure_ascii=False),
                               2000, repeats),
            "contract": _micros(lambda: AnswerBody.of("q", answer).model_dump_json(), 2000, repeats)},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    print(json.dumps(run(parser.parse_args().repeats), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
