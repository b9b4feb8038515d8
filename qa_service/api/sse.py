"""Server-sent events: the streamed forms of /v1/ask and of chat completions."""
from __future__ import annotations

import itertools
import json
from typing import Any, Callable, Iterator

from flask import Response, stream_with_context

from qa_service.api.contract.responses import Answer as AnswerBody
from qa_service.types import Answer

DONE = "data: [DONE]\n\n"


def event(data: dict[str, Any]) -> str:
    return "data: " + json.dumps(data, ensure_ascii=False) + "\n\n"


def started(pieces: Iterator[str | Answer]) -> Iterator[str | Answer]:
    """The pieces with the first one taken now, so that a failure before any text is an ordinary JSON error
    response rather than a broken stream."""
    first = next(pieces)
    return itertools.chain([first], pieces)


def sse(events: Iterator[str]) -> Response:
    return Response(stream_with_context(events), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def answer_events(question: str, pieces: Iterator[str | Answer],
                  identify: Callable[[Answer], str | None] = lambda answer: None) -> Response:
    """/v1/ask with stream: answer.delta events with text pieces, then answer.done with the full answer and the
    id `identify` gives it once it is complete (answer_log.py)."""
    all_pieces = started(pieces)

    def events() -> Iterator[str]:
        for item in all_pieces:
            if isinstance(item, Answer):
                yield event({"type": "answer.done", **AnswerBody.of(question, item, identify(item)).dump()})
            elif item:
                yield event({"type": "answer.delta", "text": item})
        yield DONE

    return sse(events())
