"""Access control: optional bearer API keys, and who may reload the index.

Keys are compared with hmac.compare_digest against every configured key (no early exit), so timing
reveals neither a key nor which one matched. Health checks stay open for load balancers, and so does the
question page with its assets (it holds no data, and it is where a user types the key). Without keys,
the admin endpoints and document uploads and deletions answer only requests from the loopback interface.
"""
from __future__ import annotations

import hmac

from flask import Flask, Request, request

from qa_service.api.errors import ApiError

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/openapi.json"})
LOOPBACK = frozenset({"127.0.0.1", "::1"})
PAGE_PATHS = frozenset({"/"})
PAGE_ASSET_PREFIX = "/web/"


def is_page(path: str) -> bool:
    return path in PAGE_PATHS or path.startswith(PAGE_ASSET_PREFIX)


def presented_key(req: Request) -> str | None:
    header = req.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return req.headers.get("X-API-Key")


def key_matches(presented: str, keys: tuple[str, ...]) -> bool:
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(presented.encode(), key.encode())
    return matched


DOCUMENTS_PATH = "/v1/documents"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def changes_documents(req: Request) -> bool:
    """An upload or deletion: same rule as the admin endpoints."""
    return (req.path == DOCUMENTS_PATH or req.path.startswith(DOCUMENTS_PATH + "/")) and req.method not in READ_METHODS


def may_write(req: Request, keys: tuple[str, ...]) -> bool:
    """Whether this caller may upload and delete documents (or reload): with keys, any caller that got past
    the key check; without keys, loopback callers only."""
    return bool(keys) or req.remote_addr in LOOPBACK


def register_access_control(app: Flask, keys: tuple[str, ...]) -> None:
    @app.before_request
    def _require_key() -> None:
        if request.path in OPEN_PATHS or is_page(request.path):
            return
        if keys:
            presented = presented_key(request)
            if presented is None or not key_matches(presented, keys):
                raise ApiError(401, "unauthorized", "a valid API key is required (Authorization: Bearer <key>)")
        elif request.path.startswith("/admin/") and request.remote_addr not in LOOPBACK:
            raise ApiError(403, "forbidden", "admin endpoints need QA_API_KEYS to be set when called from another host")
        elif changes_documents(request) and request.remote_addr not in LOOPBACK:
            raise ApiError(403, "forbidden", "uploading and deleting documents needs QA_API_KEYS to be set when "
                                             "called from another host")
