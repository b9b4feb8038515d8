"""Request body validation: strict types, clear messages, no coercion surprises."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Request

from qa_service.api.errors import ApiError

TOP_K_MIN, TOP_K_MAX = 1, 50


@dataclass(frozen=True)
class QueryRequest:
    text: str
    top_k: int


def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object, or an ApiError saying precisely what is wrong with it."""
    mimetype = (request.mimetype or "").lower()
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise ApiError(415, "unsupported_media_type", "send the body as JSON with Content-Type: application/json")
    raw = request.get_data(cache=True)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_encoding", "the body is not valid UTF-8") from None
    if not text.strip():
        raise ApiError(400, "invalid_json", "the body is empty; expected a JSON object")
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise ApiError(400, "invalid_json", f"the body is not valid JSON: {exc.msg} at position {exc.pos}") from None
    if not isinstance(body, dict):
        raise ApiError(422, "invalid_body", "the body must be a JSON object")
    return body


def query_request(body: dict[str, Any], field: str, default_top_k: int, max_chars: int) -> QueryRequest:
    if field not in body:
        raise ApiError(422, "missing_field", f"'{field}' is required")
    value = body[field]
    if not isinstance(value, str):
        raise ApiError(422, "invalid_type", f"'{field}' must be a string")
    if not value.strip():
        raise ApiError(422, "empty_field", f"'{field}' must not be empty")
    if len(value) > max_chars:
        raise ApiError(422, "too_long", f"'{field}' is longer than {max_chars} characters")
    return QueryRequest(value.strip(), top_k_field(body, default_top_k))


def top_k_field(body: dict[str, Any], default: int) -> int:
    top_k = body.get("top_k", default)
    if isinstance(top_k, bool) or not isinstance(top_k, int):
        raise ApiError(422, "invalid_type", "'top_k' must be an integer")
    if not TOP_K_MIN <= top_k <= TOP_K_MAX:
        raise ApiError(422, "out_of_range", f"'top_k' must be between {TOP_K_MIN} and {TOP_K_MAX}")
    return top_k


def stream_field(body: dict[str, Any]) -> bool:
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise ApiError(422, "invalid_type", "'stream' must be a boolean")
    return stream
