"""POST /v1/search and POST /v1/ask (and /v1/kbs/<kb>/search, /ask): validate the body, make one call to the
knowledge base's QA service, serialise (an answer with the id it is recorded under for feedback)."""
from __future__ import annotations

from flask import Blueprint, request

from qa_service.api.answer_log import AnswerLog
from qa_service.api.contract.base import Limits
from qa_service.api.contract.requests import AskRequest, SearchRequest
from qa_service.api.contract.responses import Answer, SearchResults
from qa_service.api.sse import answer_events
from qa_service.api.kb_context import current_kb
from qa_service.api.validation import json_object


def blueprint(limits: Limits, answers: AnswerLog) -> Blueprint:
    """Paths relative to the knowledge base's prefix (/v1 or /v1/kbs/<kb>, qa_service/api/app.py); each answer
    is recorded under its answer_id as it is sent (`answers`)."""
    routes = Blueprint("ask", __name__)

    @routes.post("/search")
    def search():
        req = SearchRequest.parse(json_object(request), limits)
        qa = current_kb().qa
        return SearchResults.of(req.query, *qa.search_with_retrieval(req.query, req.top_k,
                                                                     req.search_filter)).response()

    @routes.post("/ask")
    def ask():
        req = AskRequest.parse(json_object(request), limits)
        qa = current_kb().qa
        version = qa.index_version
        if req.stream:
            return answer_events(req.question, qa.ask_stream(req.question, req.top_k, filters=req.search_filter),
                                 lambda answer: answers.record(req.question, answer, version))
        answer = qa.ask(req.question, req.top_k, filters=req.search_filter)
        return Answer.of(req.question, answer, answers.record(req.question, answer, version)).response()

    return routes
