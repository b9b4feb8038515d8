"""OpenAI Chat Completions compatibility: chat tools and the openai SDK use the service unchanged.

`POST /v1/chat/completions` answers the last user message with the same QAService.ask as /v1/ask (a
follow-up is first rewritten into a standalone question from the earlier turns when an LLM is configured) and
returns a standard `chat.completion` (answer with inline [n] markers, plus a top-level `citations` list).
With `stream: true` it sends `chat.completion.chunk` events over SSE as the answerer produces text (an
LLM's tokens as they arrive, markers checked on the fly; an extractive answer in pieces), the verified
citations in the final chunk, then `data: [DONE]`. The finish_reason is the answer's (qa_service.types.Answer:
"length" or "error" when the LLM's text was cut or broke off, with a `notice`), in both forms; `usage` is the
answering LLM call's reported counts, sent streamed in a last chunk when `stream_options.include_usage` asks.
`GET /v1/models` lists the knowledge bases the caller may read as models (`default` under the service's model id,
QA_SERVICE_MODEL_ID), and `model` picks one (an unknown one: 404 model_not_found); under /v1/kbs/<kb>/ the path's
knowledge base answers whatever `model` says, and its /models lists it alone.

With QA_CHAT_CITATION_FOOTNOTES (the default) the message text also ends with the sources as footnotes
(qa_service/citation_footnotes.py), since most clients show the text alone; streamed, they are the last
content delta, sent once the verified citations are known, before the finish chunk. Earlier assistant turns
sent back as history lose that block before a follow-up is rewritten.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Iterator

from flask import Blueprint, g, request

from qa_service.api.answer_log import AnswerLog
from qa_service.api.contract.base import Limits
from qa_service.api.contract.requests import ChatRequest
from qa_service.api.contract.responses import (ChatCompletion, Citation, ModelList, UnsupportedClaim, answer_fields,
                                               usage_of)
from qa_service.api.sse import DONE, event, sse, started
from qa_service.api.kb_context import current_kb, kb_for_model, readable_names
from qa_service.api.validation import json_object
from qa_service.citation_footnotes import footnotes, without_footnotes
from qa_service.conversation.question_rewriter import Turn
from qa_service.feedback.store import new_answer_id
from qa_service.knowledge_bases import DEFAULT_KB
from qa_service.types import Answer


def _chunk(base: dict[str, Any], delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
    return event({**base, "object": "chat.completion.chunk",
                  "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra})


def _last_chunk(base: dict[str, Any], answer: Answer, question: str) -> str:
    """The finish chunk: the verified citations and the verdict, as a chat completion carries them."""
    parts = answer_fields(answer)
    verdict: dict[str, Any] = {"notice": parts["notice"]} if parts["notice"] else {}
    if parts["unsupported_claims"]:
        verdict["unsupported_claims"] = [UnsupportedClaim.model_validate(c).dump() for c in parts["unsupported_claims"]]
    if parts["revision"]:
        verdict["revision"] = parts["revision"]
    return _chunk(base, {}, answer.finish_reason,
                  citations=[Citation.model_validate(c).dump() for c in parts["citations"]],
                  answerable=answer.answerable, generator=answer.generator, question=question, **verdict)


def _stream(base: dict[str, Any], pieces: Iterator[str | Answer], question: str,
            with_footnotes: bool, include_usage: bool = False,
            record: Callable[[Answer], object] = lambda answer: None) -> Iterator[str]:
    yield _chunk(base, {"role": "assistant", "content": ""})
    for item in pieces:
        if isinstance(item, Answer):
            record(item)
            if with_footnotes and item.citations:
                yield _chunk(base, {"content": footnotes(item.citations, item.answer)})
            yield _last_chunk(base, item, question)
            if include_usage:
                yield event({**base, "object": "chat.completion.chunk", "choices": [], "usage": usage_of(item)})
        elif item:
            yield _chunk(base, {"content": item})
    yield DONE


def blueprint(limits: Limits, model_id: str, answers: AnswerLog, with_footnotes: bool = True) -> Blueprint:
    """`model_id`: QA_SERVICE_MODEL_ID, the model `default` is listed as; `with_footnotes`:
    QA_CHAT_CITATION_FOOTNOTES; each answer is recorded under its completion id (`answers`), which POST
    /v1/feedback takes as its answer_id. Paths relative to the knowledge base's prefix (/v1 or /v1/kbs/<kb>)."""
    routes = Blueprint("openai", __name__)

    def model_of(name: str) -> str:
        return model_id if name == DEFAULT_KB else name

    def entry(name: str) -> dict[str, Any]:
        return {"id": model_of(name), "object": "model", "created": 0, "owned_by": "qa-service"}

    @routes.get("/models")
    def models():
        names = [current_kb().name] if g.get("kb") is not None else readable_names()
        return ModelList.model_validate({"object": "list", "data": [entry(n) for n in names]}).response()

    @routes.post("/chat/completions")
    def chat_completions():
        req = ChatRequest.parse(json_object(request), limits)
        kb = kb_for_model(req.model)
        qa = kb.qa
        history, question = req.history_and_question
        deadline = qa.deadline()  # one deadline for the rewrite and the answer
        turns = [Turn(role, without_footnotes(text) if role == "assistant" else text) for role, text in history]
        standalone = qa.standalone_question(turns, question, deadline)
        base = {"id": new_answer_id("chatcmpl-"), "created": int(time.time()), "model": model_of(kb.name)}
        version = qa.index_version

        def record(answer: Answer) -> str:
            return answers.record(standalone, answer, version, base["id"])

        if req.stream:
            include_usage = bool(req.stream_options and req.stream_options.include_usage)
            pieces = qa.ask_stream(standalone, req.top_k, deadline, req.search_filter)
            return sse(_stream(base, started(pieces), standalone, with_footnotes, include_usage, record))
        answer = qa.ask(standalone, req.top_k, deadline, req.search_filter)
        record(answer)
        return ChatCompletion.of(base, standalone, answer, with_footnotes).response()

    return routes
