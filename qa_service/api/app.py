"""The Flask app factory: a thin HTTP router over one QAService."""
from __future__ import annotations

import logging
import time
import uuid

from flask import Flask, g, jsonify, request

from qa_service.api.errors import error_response, register_error_handlers
from qa_service.api.access import AccessPolicy, register_access_control
from qa_service.api.admission import Admission, register_client_identity
from qa_service.api.keys import KeyRing
from qa_service.api.documents_routes import public_info, register_document_routes
from qa_service.api.errors import ApiError
from qa_service.api.openai_compat import register_openai_routes, sse_answer
from qa_service.api.openapi import openapi_document
from qa_service.api.validation import json_object, query_request, stream_field
from qa_service.api.web_page import register_web_page
from embeddings.index_store import IndexStoreError
from qa_service.service import QAService, ServiceNotReady
from qa_service.settings import Settings

log = logging.getLogger(__name__)


def create_app(service: QAService, settings: Settings | None = None) -> Flask:
    settings = settings or service.settings
    app = Flask("qa_service")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.ensure_ascii = False  # Chinese stays readable in responses
    app.json.sort_keys = False
    register_error_handlers(app)
    register_web_page(app)  # the question page at /

    @app.before_request
    def _start() -> None:
        g.request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        log.debug("%s %s -> %s in %.1f ms", request.method, request.path, response.status_code,
                  (time.perf_counter() - g.get("started", time.perf_counter())) * 1000)
        return response

    # Order matters: who the client is, then its limits by address (before any key is believed), then the key
    # and its role, then the key's own limits.
    register_client_identity(app, settings)
    admission = Admission(settings)
    app.before_request(admission.before_auth)
    register_access_control(app, AccessPolicy(KeyRing.from_settings(settings), settings.listens_on_loopback),
                            on_wrong_key=admission.record_failure)
    app.before_request(admission.after_auth)
    app.teardown_request(admission.release)

    @app.errorhandler(ServiceNotReady)
    def _not_ready(exc: ServiceNotReady):
        return error_response(503, "not_ready", f"the index is not loaded: {exc}")

    @app.get("/healthz")
    def healthz():
        return jsonify({"status": "ok"})

    @app.get("/readyz")
    def readyz():
        """Whether the process answering can answer: an index loaded and its vector store reachable."""
        reason = service.readiness()
        if reason is None:
            return jsonify({"status": "ready", "index_version": service.info()["index_version"]})
        return jsonify({"status": "not_ready", "error": {"code": "not_ready", "message": reason}}), 503

    document = openapi_document(settings)

    @app.get("/openapi.json")
    def openapi():
        return jsonify(document)

    @app.get("/v1/info")
    def info():
        return jsonify(public_info(service.info(), settings))

    @app.post("/v1/search")
    def search():
        req = query_request(json_object(request), "query", settings.top_k, settings.max_question_chars)
        passages = service.search(req.text, req.top_k)
        return jsonify({"query": req.text, "results": [p.to_dict() for p in passages]})

    @app.post("/v1/ask")
    def ask():
        body = json_object(request)
        req = query_request(body, "question", settings.top_k, settings.max_question_chars)
        if stream_field(body):
            return sse_answer(req.text, service.ask_stream(req.text, req.top_k))
        answer = service.ask(req.text, req.top_k)
        return jsonify({"question": req.text, **answer.to_dict()})

    @app.post("/admin/reload")
    def reload_index():
        """Load the index's current version; requests in flight finish on the old one."""
        before = service.info()["index_version"]
        try:
            service.load()
        except IndexStoreError as exc:
            log.error("reload failed (request %s): %s", g.get("request_id"), exc)
            raise ApiError(409, "reload_failed",
                           f"{exc.public_reason}; still serving {before or 'nothing'}") from None
        return jsonify({"status": "reloaded", "previous": before, "index_version": service.info()["index_version"]})

    register_openai_routes(app, service, settings)
    register_document_routes(app, service, settings)  # also keeps the service on the index's current version
    return app
