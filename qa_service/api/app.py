"""The Flask app, built from the composition root's objects: app-wide hooks, then one blueprint per API area.

    status_routes    GET /healthz, /readyz, /openapi.json; GET /v1/info
    ask_routes       POST /v1/search, /v1/ask
    openai_compat    POST /v1/chat/completions, GET /v1/models
    feedback_routes  POST /v1/feedback (rate an answer by its id), GET /v1/feedback (admin)
    documents_routes GET/POST /v1/documents, DELETE /v1/documents/<id>
    kb_routes        GET/POST /v1/kbs, GET/PATCH/DELETE /v1/kbs/<kb>
    admin_routes     POST /admin/reload
    web_page         GET / and /web/* (the question page)
    channels         /channels/wecom, /channels/dingtalk, /channels/feishu (qa_service/channels/, when configured)

The routes of a knowledge base (/v1/info, search, ask, models, chat completions, documents, feedback) are
registered twice: under /v1 for `default`, and under /v1/kbs/<kb> for any knowledge base (kb_context.py resolves
it, after the key).
Each route validates its request with the contract (qa_service/api/contract/), makes one service call and
serialises the result with the contract. A new area (a chat-tool channel, MCP) is one more provider in
qa_service/composition.py and one more blueprint registered here.
"""
from __future__ import annotations

import logging
import time
import uuid

from flask import Flask, g, request

from qa_service import channels
from qa_service.api import (admin_routes, ask_routes, documents_routes, feedback_routes, kb_routes, openai_compat,
                            status_routes, web_page)
from qa_service.api.answer_log import AnswerLog
from qa_service.api.access import AccessPolicy, register_access_control, required_role
from qa_service.api.admission import Admission, register_client_identity
from qa_service.api.contract.base import Limits
from qa_service.api.errors import error_response, register_error_handlers
from qa_service.api.kb_context import KB_ARGUMENT, register_kb_context
from qa_service.api.keys import KeyRing
from qa_service.api.openapi import openapi_document
from qa_service.composition import ServiceRoot
from qa_service.index_watcher import IndexWatcher
from qa_service.query_limits import QueryRefused
from qa_service.service import ServiceNotReady

log = logging.getLogger(__name__)


def create_app(root: ServiceRoot) -> Flask:
    settings = root.settings
    app = Flask("qa_service")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.ensure_ascii = False  # Chinese stays readable in responses
    app.json.sort_keys = False
    register_error_handlers(app)

    @app.errorhandler(ServiceNotReady)
    def _not_ready(exc: ServiceNotReady):
        return error_response(503, "not_ready", f"the index is not loaded: {exc}")

    @app.errorhandler(QueryRefused)
    def _refused(exc: QueryRefused):
        return error_response(422, exc.code, exc.message)

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
    # and its role, then the key's own limits; only then is any work done for the request.
    register_client_identity(app, settings)
    admission = Admission(settings)
    app.before_request(admission.before_auth)
    register_access_control(app, AccessPolicy(KeyRing.from_settings(settings), settings.listens_on_loopback),
                            on_wrong_key=admission.record_failure)
    app.before_request(admission.after_auth)
    app.teardown_request(admission.release)
    if settings.auto_reload:
        app.before_request(_follows_current_version(root.watcher))
    limits = Limits.from_settings(settings)
    answers = AnswerLog(root.feedback)
    admin = admin_routes.blueprint(root.qa)
    chat = openai_compat.blueprint(limits, settings.service_model_id, answers, settings.chat_citation_footnotes)
    per_kb = (status_routes.kb_blueprint(limits), ask_routes.blueprint(limits, answers), chat,
              documents_routes.blueprint(settings.max_upload_bytes, root.documents.accepted_extensions),
              feedback_routes.blueprint(root.feedback, limits))
    # Under /v1 these serve `default`; chat completions pick theirs by `model` (kb_context.kb_for_model).
    served_over_default = frozenset({admin.name} | {routes.name for routes in per_kb if routes is not chat})
    register_kb_context(app, root.kbs, required_role, settings.service_model_id, settings.auto_reload,
                        served_over_default)

    app.register_blueprint(web_page.blueprint())
    app.register_blueprint(status_routes.blueprint(root.qa, limits, openapi_document(limits)))
    app.register_blueprint(admin)
    app.register_blueprint(kb_routes.blueprint(limits))
    for routes in per_kb:
        app.register_blueprint(routes, url_prefix="/v1")
        app.register_blueprint(routes, url_prefix=f"/v1/kbs/<{KB_ARGUMENT}>", name=f"kb_{routes.name}")
    if any(settings.channels_on.values()):
        hub = root.channels
        hub.on_refused = admission.record_failure  # a forged signature counts like a wrong API key
        for channel in channels.blueprints(hub):
            app.register_blueprint(channel)
        app.extensions["qa_channels"] = hub
    return app


def _follows_current_version(watcher: IndexWatcher):
    """Before a request, load the index version DIR/CURRENT names if it changed (a stat; QA_AUTO_RELOAD)."""

    def follow() -> None:
        if request.path != "/healthz" and not request.path.startswith("/web/"):
            watcher.check()

    return follow
