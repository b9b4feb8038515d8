"""A request body as a JSON object: media type, encoding, nesting depth and text checked before it is parsed.

What the object must hold is the contract's business (qa_service/api/contract/requests.py).
"""
from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
from flask import Request

from qa_service.api.errors import ApiError


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
    depth = nesting_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise ApiError(400, "too_deep", f"the body nests {depth} levels deep; at most {MAX_JSON_DEPTH} are accepted")
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise ApiError(400, "invalid_json", f"the body is not valid JSON: {exc.msg} at position {exc.pos}") from None
    except RecursionError:  # not reached after the depth check; kept so that no body can ever cause a 500
        raise ApiError(400, "too_deep", "the body nests too deeply") from None
    if _SURROGATE_ESCAPE.search(text):
        where = _lone_surrogate(body)
        if where is not None:
            where = where if len(where) <= 80 else where[:77] + "..."
            raise ApiError(422, "invalid_text", f"{where} holds a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff "
                                                "escape), which is not text")
    if not isinstance(body, dict):
        raise ApiError(422, "invalid_body", "the body must be a JSON object")
    return body


# Our bodies nest at most 4 levels ({"messages": [{"content": [{"text": ...}]}]}); Python's json module recurses
# once per level, and 100,000 levels raised RecursionError (a 500) before this check.
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_BRACKET_STEP = np.zeros(256, dtype=np.int8)
_BRACKET_STEP[[ord("["), ord("{")]] = 1
_BRACKET_STEP[[ord("]"), ord("}")]] = -1


def nesting_depth(text: str) -> int:
    """The deepest bracket nesting of a JSON text, outside strings, without parsing it (linear, in C: a body of
    one million brackets takes milliseconds). Unterminated strings may count brackets in them: such a body is
    not JSON anyway."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return 0
    structure = _JSON_STRING.sub("", text).encode("utf-8", "surrogatepass")
    steps = _BRACKET_STEP[np.frombuffer(structure, dtype=np.uint8)]
    return int(np.cumsum(steps, dtype=np.int64).max(initial=0))


def _lone_surrogate(value: Any, where: str = "the body") -> str | None:
    """Where in a parsed body a string (or an object key) holds a lone surrogate, or None."""
    stack = [(value, where)]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return path
        elif isinstance(item, dict):
            for key, child in item.items():
                if _SURROGATE.search(key):
                    return f"a key of {path}"
                stack.append((child, f"'{key}'" if path == "the body" else f"{path}.{key}"))
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{i}]") for i, child in enumerate(item))
    return None
