"""OpenAI Chat Completions compatibility: chat tools and the openai SDK use the service unchanged.

`POST /v1/chat/completions` answers the last user message with the same QAService.ask as /v1/ask (a
follow-up is first rewritten into a standalone question from the earlier turns when an LLM is configured) and
returns a standard `chat.completion` (answer with inline [n] markers, plus a top-level `citations` list).
With `stream: true` it sends `chat.completion.chunk` events over SSE as the answerer produces text (an
LLM's tokens as they arrive, markers checked on the fly; an extractive answer in pieces), the verified
citations in the final chunk, then `data: [DONE]`.
"""
from __future__ import annotations

import itertools
import json
import time
import uuid
from typing import Any, Iterator

from flask import Flask, Response, jsonify, request, stream_with_context

from qa_service.api.errors import ApiError
from qa_service.api.validation import json_object, stream_field, top_k_field
from qa_service.conversation.question_rewriter import Turn
from qa_service.service import QAService
from qa_service.settings import Settings
from qa_service.types import Answer


def _text_of(content: Any) -> str | None:
    """A message's text: a string, or the text parts of a content list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        if parts and all(isinstance(p, str) for p in parts):
            return "".join(parts)
    return None


def _conversation(body: dict[str, Any], max_chars: int) -> tuple[list[Turn], str]:
    """Earlier user/assistant turns with text, and the last user message."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(422, "invalid_messages", "'messages' must be a non-empty list of {role, content} objects")
    if not all(isinstance(m, dict) and isinstance(m.get("role"), str) for m in messages):
        raise ApiError(422, "invalid_messages", "every message must be an object with a string 'role'")
    last_user = max((i for i, m in enumerate(messages) if m["role"] == "user"), default=None)
    if last_user is None:
        raise ApiError(422, "invalid_messages", "no user message to answer")
    text = _text_of(messages[last_user].get("content"))
    if text is None:
        raise ApiError(422, "invalid_messages", "the last user message must have text content")
    if not text.strip():
        raise ApiError(422, "empty_field", "the last user message is empty")
    if len(text) > max_chars:
        raise ApiError(422, "too_long", f"the question is longer than {max_chars} characters")
    history = [Turn(m["role"], t) for m in messages[:last_user]
               if m["role"] in ("user", "assistant") and (t := _text_of(m.get("content")))]
    return history, text.strip()


def _options(body: dict[str, Any], default_top_k: int) -> tuple[bool, int]:
    for name in ("temperature", "max_tokens"):
        value = body.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ApiError(422, "invalid_type", f"'{name}' must be a number")
    return stream_field(body), top_k_field(body, default_top_k)


def _citations(answer: Answer) -> list[dict[str, Any]]:
    return [c.to_dict() for c in answer.citations]


def _verdict(answer: Answer) -> dict[str, Any]:
    """The notice and the unsupported claims, when there are any (as /v1/ask gives them)."""
    data: dict[str, Any] = {"notice": answer.notice} if answer.notice else {}
    if answer.unsupported_claims:
        data["unsupported_claims"] = [c.to_dict() for c in answer.unsupported_claims]
    return data


def _chunk(base: dict[str, Any], delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
    event = {**base, "object": "chat.completion.chunk",
             "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
    return "data: " + json.dumps(event, ensure_ascii=False) + "\n\n"


def _stream(base: dict[str, Any], first: str | Answer, rest: Iterator[str | Answer], question: str) -> Iterator[str]:
    yield _chunk(base, {"role": "assistant", "content": ""})
    for item in itertools.chain([first], rest):
        if isinstance(item, Answer):
            yield _chunk(base, {}, "stop", citations=_citations(item), answerable=item.answerable,
                         generator=item.generator, question=question, **_verdict(item))
        elif item:
            yield _chunk(base, {"content": item})
    yield "data: [DONE]\n\n"


def start_stream(pieces: Iterator[str | Answer]) -> tuple[str | Answer, Iterator[str | Answer]]:
    """Take the first piece now, so that a failure before any text is an ordinary JSON error response."""
    return next(pieces), pieces


def _sse(events: Iterator[str]) -> Response:
    return Response(stream_with_context(events), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def register_openai_routes(app: Flask, service: QAService, settings: Settings) -> None:
    model_id = settings.service_model_id

    @app.get("/v1/models")
    def models():
        return jsonify({"object": "list", "data": [
            {"id": model_id, "object": "model", "created": 0, "owned_by": "qa-service"}]})

    @app.post("/v1/chat/completions")
    def chat_completions():
        body = json_object(request)
        history, question = _conversation(body, settings.max_question_chars)
        stream, top_k = _options(body, settings.top_k)
        deadline = service.deadline()  # one deadline for the rewrite and the answer
        standalone = service.standalone_question(history, question, deadline)
        base = {"id": "chatcmpl-" + uuid.uuid4().hex[:24], "created": int(time.time()), "model": model_id}
        if stream:
            first, rest = start_stream(service.ask_stream(standalone, top_k, deadline))
            return _sse(_stream(base, first, rest, standalone))
        answer = service.ask(standalone, top_k, deadline)
        return jsonify({
            **base, "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.answer},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "citations": _citations(answer), "answerable": answer.answerable, "generator": answer.generator,
            "question": standalone, **_verdict(answer),
        })


def sse_answer(question: str, pieces: Iterator[str | Answer]) -> Response:
    """/v1/ask with stream: answer.delta events with text pieces, then answer.done with the full answer."""
    first, rest = start_stream(pieces)

    def events() -> Iterator[str]:
        for item in itertools.chain([first], rest):
            if isinstance(item, Answer):
                event = {"type": "answer.done", "question": question, **item.to_dict()}
            elif item:
                event = {"type": "answer.delta", "text": item}
            else:
                continue
            yield "data: " + json.dumps(event, ensure_ascii=False) + "\n\n"
        yield "data: [DONE]\n\n"

    return _sse(events())
