"""/openapi.json: the operations of the API with the schemas of its contract models (qa_service/api/contract/).

Only what a model cannot say is written here: which operation takes and returns which model, the error
statuses each can answer, and the server-sent event streams. schemathesis checks the running server against
this document (tests/qa_service/api/test_openapi_contract.py).
"""
from __future__ import annotations

from typing import Any

from documents.loaders.file_types import SUPPORTED_EXTENSIONS
from qa_service.api.contract import feedback as fb
from qa_service.api.contract import requests as rq
from qa_service.api.contract import responses as rs
from qa_service.api.contract import knowledge_bases as kb
from qa_service.api.contract.base import Limits
from qa_service.api.contract.schema import SchemaWriter
from qa_service.api.contract.uploads import UploadForm, upload_encoding
from qa_service.knowledge_bases.names import NAME_PATTERN

COMPONENTS = {rs.Error: "Error", rs.Passage: "Passage", rs.Citation: "Citation", rs.Answer: "Answer",
              rs.Document: "Document"}

_ERROR_TEXT = {
    400: "malformed body (invalid_json, invalid_encoding, too_deep: nested more than 32 levels)",
    401: "missing or wrong API key (unauthorized)",
    403: "the key's role does not allow this (insufficient_role); without keys, a write from another host or "
         "to a server listening beyond loopback (forbidden), or one that does not prove it comes from this "
         "server's own page: Host not loopback, Origin of another site, or no X-Requested-With (cross_origin)",
    404: "no such document, knowledge base (not_found), model (model_not_found) or answer_id in this knowledge base (not_found)", 408: "the request was not received in time (request_timeout)",
    409: "the index cannot be loaded or changed", 413: "body or file too large",
    415: "not JSON, or an unsupported file type",
    422: "invalid fields, text with a lone UTF-16 surrogate (invalid_text), or a file that cannot be read",
    429: "rate limited (rate_limited), too many wrong keys from this address (auth_throttled), or too many "
         "requests of this client in progress (too_many_concurrent); wait Retry-After seconds",
    502: "LLM failed", 503: "not ready, overloaded (Retry-After), or too many connections from this client",
    504: "LLM timed out", 507: "no space left to store the change; nothing was changed"}
_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before retrying",
                                "schema": {"type": "integer", "minimum": 1}}}
COMMON_ERRORS = (400, 401, 408, 413, 415, 422, 429, 502, 503, 504)
READ_ERRORS = (401, 429, 503)
KB_ROUTES = ("/v1/info", "/v1/search", "/v1/ask", "/v1/models", "/v1/chat/completions", "/v1/documents",
             "/v1/documents/{doc_id}", "/v1/feedback")  # also served under /v1/kbs/{kb}/...
KB_PARAMETER = {"name": "kb", "in": "path", "required": True, "description": "a knowledge base (`default`: the "
                "same as the route under /v1/)", "schema": {"type": "string", "pattern": NAME_PATTERN}}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(writer: SchemaWriter, *statuses: int) -> dict[str, Any]:
    out = {}
    for status in statuses:
        response = _json(writer.ref(rs.Error), _ERROR_TEXT[status])
        if status in (429, 503):
            response["headers"] = _RETRY_AFTER
        out[str(status)] = response
    return out


def _events(payload: str) -> dict[str, Any]:
    """SSE: every event's data is one JSON object (see the description), the last one is [DONE]."""
    return {"text/event-stream": {"schema": {
        "type": "object", "required": ["data"], "properties": {"data": {"type": "string", "minLength": 1}},
        "description": f"data: {payload}; the stream ends with data: [DONE]"}}}


def _body(schema: dict[str, Any], media_type: str = "application/json", **extra: Any) -> dict[str, Any]:
    return {"required": True, "content": {media_type: {"schema": schema, **extra}}}


def openapi_document(limits: Limits) -> dict[str, Any]:
    w = SchemaWriter(limits, COMPONENTS)
    ask_events = _events('{"type": "answer.delta", "text"} pieces, then {"type": "answer.done", ...Answer}')
    chat_events = _events("chat.completion.chunk objects: the answer's text, then its sources as one content delta "
                          "(unless QA_CHAT_CITATION_FOOTNOTES=false), then the finish chunk with the citations")
    paths: dict[str, Any] = {
        "/healthz": {"get": {"summary": "process alive", "responses": {"200": _json(w.model(rs.Status), "alive")}}},
        "/readyz": {"get": {"summary": "index loaded and usable", "responses": {
            "200": _json(w.model(rs.Ready), "ready"), "503": _json(w.model(rs.NotReady), "not ready")}}},
        "/v1/info": {"get": {"summary": "model, retriever and index manifest", "responses": {
            "200": _json(w.model(rs.Info), "configuration (no server paths)"), **_errors(w, *READ_ERRORS)}}},
        "/v1/search": {"post": {
            "summary": "retrieve passages", "requestBody": _body(w.model(rq.SearchRequest)),
            "responses": {"200": _json(w.model(rs.SearchResults), "ranked passages"),
                          **_errors(w, *COMMON_ERRORS)}}},
        "/v1/ask": {"post": {
            "summary": "answer a question with citations", "requestBody": _body(w.model(rq.AskRequest)),
            "responses": {"200": {"description": "the answer (SSE events when stream is true)", "content": {
                "application/json": {"schema": w.ref(rs.Answer)}, **ask_events}}, **_errors(w, *COMMON_ERRORS)}}},
        "/v1/models": {"get": {"summary": "the model id of the OpenAI-compatible API", "responses": {
            "200": _json(w.model(rs.ModelList), "models"), **_errors(w, *READ_ERRORS)}}},
        "/v1/chat/completions": {"post": {
            "summary": "OpenAI-compatible chat completions", "requestBody": _body(w.model(rq.ChatRequest)),
            "responses": {"200": {"description": "chat.completion (SSE chat.completion.chunk when stream); the "
                                                 "message text ends with the sources as footnotes (document, "
                                                 "section, page) unless QA_CHAT_CITATION_FOOTNOTES=false",
                                  "content": {"application/json": {"schema": w.model(rs.ChatCompletion)},
                                              **chat_events}},
                          **_errors(w, *COMMON_ERRORS)}}},
        "/v1/documents": {
            "get": {"summary": "the indexed documents", "responses": {
                "200": _json(w.model(rs.DocumentListing), "documents"), **_errors(w, *READ_ERRORS)}},
            "post": {
                "summary": "add (or replace) a document; it answers questions once this returns",
                "requestBody": _body(w.model(UploadForm), "multipart/form-data",
                                     encoding=upload_encoding(SUPPORTED_EXTENSIONS)),
                "responses": {"201": _json(w.ref(rs.Document), "added"),
                              "200": _json(w.ref(rs.Document), "replaced a document of the same name, or unchanged"),
                              **_errors(w, 400, 401, 403, 408, 409, 413, 415, 422, 429, 503, 507)}}},
        "/v1/documents/{doc_id}": {"delete": {
            "summary": "remove a document; it no longer answers once this returns",
            "parameters": [{"name": "doc_id", "in": "path", "required": True,
                            "schema": {"type": "string", "pattern": "^[0-9a-f]{16}$"}}],
            "responses": {"204": {"description": "removed"}, **_errors(w, 401, 403, 404, 409, 429, 503, 507)}}},
        "/v1/feedback": {
            "post": {
                "summary": "rate an answer by its answer_id (a chat completion's id): up or down, with an optional "
                           "comment; rating it again replaces the rating",
                "requestBody": _body(w.model(fb.FeedbackRequest)),
                "responses": {"201": _json(w.model(fb.FeedbackRecorded), "recorded"),
                              "200": _json(w.model(fb.FeedbackRecorded), "replaced the earlier rating"),
                              **_errors(w, 400, 401, 404, 408, 413, 415, 422, 429, 503)}},
            "get": {
                "summary": "the ratings of a knowledge base's answers, newest first (admin)",
                "parameters": fb.LISTING_PARAMETERS,
                "responses": {"200": _json(w.model(fb.FeedbackListing), "ratings"),
                              **_errors(w, 401, 403, 422, 429, 503)}}},
        "/admin/reload": {"post": {"summary": "load the index's current version", "responses": {
            "200": _json(w.model(rs.Reloaded), "reloaded"), **_errors(w, 401, 403, 409, 429, 503)}}},
    }
    paths["/v1/chat/completions"]["post"]["responses"].update(_errors(w, 404))  # model_not_found
    for route in KB_ROUTES:
        paths["/v1/kbs/{kb}" + route[3:]] = {method: _in_kb(w, operation) for method, operation in paths[route].items()}
    paths.update(_kb_management(w))
    return {
        "openapi": "3.0.3",
        "info": {"title": "qa-service", "version": "0.1.0",
                 "description": "Answers with citations from Chinese policy documents."},
        "paths": paths,
        "components": {"schemas": w.component_schemas(),
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


def _in_kb(w: SchemaWriter, operation: dict[str, Any]) -> dict[str, Any]:
    """An operation of a knowledge base's route under /v1/kbs/{kb}/: the same, with the path's knowledge base."""
    return {**operation, "summary": operation["summary"] + " (of the knowledge base {kb})",
            "parameters": [KB_PARAMETER, *operation.get("parameters", [])],
            "responses": {**operation["responses"], **_errors(w, 404)}}


def _kb_management(w: SchemaWriter) -> dict[str, Any]:
    one = _json(w.model(kb.KnowledgeBase), "the knowledge base")
    return {
        "/v1/kbs": {
            "get": {"summary": "the knowledge bases (`default` first)", "responses": {
                "200": _json(w.model(kb.KnowledgeBaseList), "knowledge bases"), **_errors(w, *READ_ERRORS)}},
            "post": {"summary": "create a knowledge base (empty: upload its documents to /v1/kbs/{kb}/documents)",
                     "requestBody": _body(w.model(kb.CreateKnowledgeBase)),
                     "responses": {"201": one, "409": _json(w.ref(rs.Error), "the name is taken or reserved "
                                                                                "(kb_exists)"),
                                   **_errors(w, 400, 401, 403, 408, 413, 415, 422, 429, 503)}}},
        "/v1/kbs/{kb}": {
            "get": {"summary": "one knowledge base", "parameters": [KB_PARAMETER],
                    "responses": {"200": one, **_errors(w, 401, 404, 429, 503)}},
            "patch": {"summary": "rename a knowledge base", "parameters": [KB_PARAMETER],
                      "requestBody": _body(w.model(kb.RenameKnowledgeBase)),
                      "responses": {"200": one, "409": _json(w.ref(rs.Error), "the new name is taken (kb_exists), "
                                                                              "or this is `default` (default_kb_fixed)"),
                                    **_errors(w, 400, 401, 403, 404, 408, 413, 415, 422, 429, 503)}},
            "delete": {"summary": "delete a knowledge base and its documents", "parameters": [KB_PARAMETER],
                       "responses": {"204": {"description": "deleted"},
                                     "409": _json(w.ref(rs.Error), "`default` is never deleted (default_kb_fixed)"),
                                     **_errors(w, 401, 403, 404, 429, 503)}}},
    }
