"""JSON errors: every failure a client can cause becomes {"error": {"code", "message"}} with a 4xx."""
from __future__ import annotations

import logging
import uuid

from flask import Flask, Response, g, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None,
                 fields: dict[str, str] | None = None) -> None:
        """`fields`: more members of "error" (`type` and `param`, which OpenAI clients read)."""
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.fields = fields or {}


def error_response(status: int, code: str, message: str,
                   fields: dict[str, str] | None = None) -> tuple[Response, int]:
    return jsonify({"error": {"code": code, "message": message, **(fields or {})}}), status


_HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 408: "request_timeout",
               413: "payload_too_large", 415: "unsupported_media_type", 429: "rate_limited", 502: "llm_error",
               503: "not_ready", 504: "llm_timeout"}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        response, status = error_response(exc.status, exc.code, exc.message, exc.fields)
        response.headers.update(exc.headers)
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="qa-service"'
        return response, status

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        message = {
            404: "no such endpoint", 405: "method not allowed for this endpoint",
            413: f"request body too large (limit {app.config.get('MAX_CONTENT_LENGTH')} bytes)",
        }.get(status, exc.description or exc.name)
        response, status = error_response(status, _HTTP_CODES.get(status, "http_error"), message)
        if exc.code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response, status

    from qa_service.answerers.base import GeneratorError

    @app.errorhandler(GeneratorError)
    def _generator_error(exc: GeneratorError):
        code = "llm_timeout" if exc.status == 504 else "llm_error"
        return error_response(exc.status, code, str(exc))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        request_id = getattr(g, "request_id", None) or uuid.uuid4().hex
        log.exception("unhandled error in request %s", request_id)
        return error_response(500, "internal_error", f"internal error (request id {request_id})")
