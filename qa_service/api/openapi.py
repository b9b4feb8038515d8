"""The OpenAPI 3 description of the HTTP API, served at /openapi.json and checked by schemathesis."""
from __future__ import annotations

from typing import Any

from qa_service.api.validation import TOP_K_MAX, TOP_K_MIN
from qa_service.settings import Settings


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERROR_TEXT = {
    400: "malformed body (invalid_json, invalid_encoding, too_deep: nested more than 32 levels)",
    401: "missing or wrong API key (unauthorized)",
    403: "the key's role does not allow this (insufficient_role); without keys, a write from another host or "
         "to a server listening beyond loopback (forbidden), or one that does not prove it comes from this "
         "server's own page: Host not loopback, Origin of another site, or no X-Requested-With (cross_origin)",
    404: "no such document", 408: "the request was not received in time (request_timeout)",
    409: "the index cannot be loaded or changed", 413: "body or file too large",
    415: "not JSON, or an unsupported file type",
    422: "invalid fields, text with a lone UTF-16 surrogate (invalid_text), or a file that cannot be read",
    429: "rate limited (rate_limited), too many wrong keys from this address (auth_throttled), or too many "
         "requests of this client in progress (too_many_concurrent); wait Retry-After seconds",
    502: "LLM failed", 503: "not ready, overloaded (Retry-After), or too many connections from this client",
    504: "LLM timed out", 507: "no space left to store the change; nothing was changed"}
_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before retrying",
                                "schema": {"type": "integer", "minimum": 1}}}


def _errors(*statuses: int) -> dict[str, Any]:
    out = {}
    for status in statuses:
        response = _json(_ref("Error"), _ERROR_TEXT[status])
        if status in (429, 503):
            response["headers"] = _RETRY_AFTER
        out[str(status)] = response
    return out


COMMON_ERRORS = (400, 401, 408, 413, 415, 422, 429, 502, 503, 504)


DOCUMENT = {"type": "object", "required": ["id", "name", "chunks", "added_at"], "properties": {
    "id": {"type": "string"}, "name": {"type": "string"},
    "origin": {"type": "string", "enum": ["folder", "upload"]}, "format": {"type": "string"},
    "pages": {"type": "integer", "minimum": 1, "nullable": True}, "chunks": {"type": "integer", "minimum": 0},
    "size": {"type": "integer", "minimum": 0, "nullable": True}, "sha256": {"type": "string"},
    "added_at": {"type": "string"}, "updated_at": {"type": "string"},
    "status": {"type": "string", "enum": ["added", "updated", "unchanged"]}}}


def document_paths(settings: Settings) -> dict[str, Any]:
    """GET/POST /v1/documents and DELETE /v1/documents/{doc_id}."""
    listing = {"type": "object", "required": ["documents", "uploads"], "properties": {
        "documents": {"type": "array", "items": _ref("Document")},
        "uploads": {"type": "boolean", "description": "whether this caller may upload and delete"},
        "index_version": {"type": "string", "nullable": True}, "max_upload_bytes": {"type": "integer"},
        "accepted_types": {"type": "array", "items": {"type": "string"}}}}
    upload = {"type": "object", "required": ["file"], "properties": {"file": {
        "type": "string", "format": "binary",
        "description": f"the document (.txt .md .html .docx .pdf), at most {settings.max_upload_bytes} bytes; "
                       "its file name (sanitised) becomes the document name, and a file of the same name replaces it"}}}
    return {
        "/v1/documents": {
            "get": {"summary": "the indexed documents", "responses": {
                "200": _json(listing, "documents"), **_errors(401, 429, 503)}},
            "post": {
                "summary": "add (or replace) a document; it answers questions once this returns",
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": upload}}},
                "responses": {"201": _json(_ref("Document"), "added"),
                              "200": _json(_ref("Document"), "replaced a document of the same name, or unchanged"),
                              **_errors(400, 401, 403, 408, 409, 413, 415, 422, 429, 503, 507)}}},
        "/v1/documents/{doc_id}": {"delete": {
            "summary": "remove a document; it no longer answers once this returns",
            "parameters": [{"name": "doc_id", "in": "path", "required": True,
                            "schema": {"type": "string", "pattern": "^[0-9a-f]{16}$"}}],
            "responses": {"204": {"description": "removed"}, **_errors(401, 403, 404, 409, 429, 503, 507)}}},
    }


def openapi_document(settings: Settings) -> dict[str, Any]:
    text = {"type": "string", "minLength": 1, "maxLength": settings.max_question_chars, "pattern": r"\S"}
    top_k = {"type": "integer", "minimum": TOP_K_MIN, "maximum": TOP_K_MAX, "default": settings.top_k}
    passage = {"type": "object", "required": ["id", "doc", "title", "section", "text", "score"], "properties": {
        "id": {"type": "string"}, "doc": {"type": "string"}, "title": {"type": "string"},
        "section": {"type": "string"}, "text": {"type": "string"}, "score": {"type": "number"},
        "scores": {"type": "object", "additionalProperties": {"type": "number"}},
        "line_start": {"type": "integer"}, "line_end": {"type": "integer"},
        "start": {"type": "integer"}, "end": {"type": "integer"},
        "page": {"type": "integer", "minimum": 1, "description": "1-based page the passage starts on (PDF)"},
        "page_end": {"type": "integer", "minimum": 1, "description": "1-based page the passage ends on (PDF)"}}}
    citation = {"allOf": [_ref("Passage"), {"type": "object", "required": ["ref", "quote"], "properties": {
        "ref": {"type": "integer", "minimum": 1}, "quote": {"type": "string"}}}]}
    answer = {"type": "object", "required": ["answer", "answerable", "citations", "generator"], "properties": {
        "question": {"type": "string"}, "answer": {"type": "string"}, "answerable": {"type": "boolean"},
        "citations": {"type": "array", "items": _ref("Citation")}, "confidence": {"type": "number"},
        "generator": {"type": "string"}, "notice": {"type": "string"}}}
    info = {"type": "object", "required": ["model", "retriever", "ready", "uploads", "limits"], "properties": {
        "model": {"type": "string"}, "retriever": {"type": "string"}, "reranker": {"type": "string", "nullable": True},
        "answerer": {"type": "string", "nullable": True}, "ready": {"type": "boolean"},
        "index_version": {"type": "string", "nullable": True},
        "manifest": {"type": "object", "nullable": True, "description": "the index manifest; documents as in "
                     "/v1/documents"},
        "uploads": {"type": "boolean", "description": "whether this caller may upload and delete documents (a write "
                    "without API keys must also carry X-Requested-With)"},
        "limits": {"type": "object", "properties": {"max_question_chars": {"type": "integer"},
                                                    "max_upload_bytes": {"type": "integer"}}}}}
    message = {"type": "object", "required": ["role", "content"], "properties": {
        "role": {"type": "string", "enum": ["system", "user", "assistant"]}, "content": {"type": "string"}}}
    chat_request = {"type": "object", "required": ["messages"], "properties": {
        "model": {"type": "string"},
        "messages": {"type": "array", "minItems": 1, "items": message,
                     "description": "the last user message must hold text (not only whitespace)"},
        "stream": {"type": "boolean", "default": False}, "temperature": {"type": "number"},
        "max_tokens": {"type": "integer"}, "top_k": top_k}}
    chat_completion = {"type": "object", "required": ["id", "object", "created", "model", "choices", "citations"],
                       "properties": {
                           "id": {"type": "string"}, "object": {"type": "string", "enum": ["chat.completion"]},
                           "created": {"type": "integer"}, "model": {"type": "string"},
                           "choices": {"type": "array", "items": {"type": "object", "required": ["index", "message"]}},
                           "citations": {"type": "array", "items": _ref("Citation")},
                           "answerable": {"type": "boolean"}, "question": {"type": "string"}}}
    def events(payload: str) -> dict[str, Any]:
        """SSE: every event's data is one JSON object (see the description), the last one is [DONE]."""
        return {"text/event-stream": {"schema": {
            "type": "object", "required": ["data"], "properties": {"data": {"type": "string", "minLength": 1}},
            "description": f"data: {payload}; the stream ends with data: [DONE]"}}}

    ask_events = events('{"type": "answer.delta", "text"} pieces, then {"type": "answer.done", ...Answer}')
    chat_events = events('chat.completion.chunk objects; the last one carries citations')
    return {
        "openapi": "3.0.3",
        "info": {"title": "qa-service", "version": "0.1.0",
                 "description": "Answers with citations from Chinese policy documents."},
        "paths": {
            "/healthz": {"get": {"summary": "process alive", "responses": {"200": _json(
                {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}}, "alive")}}},
            "/readyz": {"get": {"summary": "index loaded and usable", "responses": {
                "200": _json({"type": "object", "required": ["status"]}, "ready"),
                "503": _json({"type": "object", "required": ["status", "error"]}, "not ready")}}},
            "/v1/info": {"get": {"summary": "model, retriever and index manifest", "responses": {
                "200": _json(info, "configuration (no server paths)"), **_errors(401, 429, 503)}}},
            "/v1/search": {"post": {
                "summary": "retrieve passages",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["query"], "properties": {"query": text, "top_k": top_k}}}}},
                "responses": {"200": _json({"type": "object", "required": ["results"], "properties": {
                    "query": {"type": "string"}, "results": {"type": "array", "items": _ref("Passage")}}},
                    "ranked passages"), **_errors(*COMMON_ERRORS)}}},
            "/v1/ask": {"post": {
                "summary": "answer a question with citations",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["question"], "properties": {
                        "question": text, "top_k": top_k, "stream": {"type": "boolean", "default": False}}}}}},
                "responses": {"200": {"description": "the answer (SSE events when stream is true)", "content": {
                    "application/json": {"schema": _ref("Answer")}, **ask_events}}, **_errors(*COMMON_ERRORS)}}},
            "/v1/models": {"get": {"summary": "the model id of the OpenAI-compatible API", "responses": {
                "200": _json({"type": "object", "required": ["object", "data"]}, "models"), **_errors(401, 429, 503)}}},
            "/v1/chat/completions": {"post": {
                "summary": "OpenAI-compatible chat completions",
                "requestBody": {"required": True, "content": {"application/json": {"schema": chat_request}}},
                "responses": {"200": {"description": "chat.completion (SSE chat.completion.chunk when stream)",
                                      "content": {"application/json": {"schema": chat_completion}, **chat_events}},
                              **_errors(*COMMON_ERRORS)}}},
            **document_paths(settings),
            "/admin/reload": {"post": {"summary": "load the index's current version", "responses": {
                "200": _json({"type": "object", "required": ["status", "index_version"]}, "reloaded"),
                **_errors(401, 403, 409, 429, 503)}}},
        },
        "components": {
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
                "Passage": passage, "Citation": citation, "Answer": answer, "Document": DOCUMENT,
            },
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
