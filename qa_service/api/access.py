"""Access control: who may read, who may write, and how a write proves it is not a cross-site request.

With keys (keys.py), every endpoint except the health checks, the OpenAPI document, the question page and the
chat-tool channels (/channels/*, signed by their platform instead: qa_service/channels/) needs a valid key, and
the key's role must allow the endpoint: read for questions and listings, write for document uploads and
deletions, admin for /admin/*, for creating, renaming and deleting knowledge bases and for reading the ratings
of answers (GET /v1/feedback; rating an answer is a read). A knowledge base's routes (/v1/kbs/<kb>/...) need the
role of the same route under /v1/...; whether the key may use that knowledge base at all is kb_context.py's. A
wrong key counts against the client address (admission.py).

Without keys, reads are open and writes are allowed only when all of this holds:

- the server listens on loopback only (QA_HOST 127.0.0.1, ::1 or localhost); beyond it, writes need keys;
- the client address is loopback (a trusted proxy's forwarded address counts, see clients.py);
- the Host header names the loopback interface: a DNS-rebinding page reaches 127.0.0.1 under its own name;
- Origin, when sent, is this server's own origin: a cross-site form POST carries the attacker's;
- the request is one a browser sends cross-site only after a CORS preflight, which this server never
  grants: it carries X-Requested-With (the question page sends it), or uses a method other than GET, HEAD
  and POST, or a Content-Type other than the three a form can send. A plain form POST needs no preflight,
  so without this a page on another site could upload documents from any browser on the machine.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask, Request, current_app, g, request
from werkzeug.exceptions import MethodNotAllowed

from qa_service.api.clients import host_is_loopback, is_loopback
from qa_service.api.errors import ApiError
from qa_service.api.keys import ConflictingKeys, KeyRing, Role, key_from_headers

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/openapi.json"})
PAGE_PATHS = frozenset({"/"})
PAGE_ASSET_PREFIX = "/web/"
DOCUMENTS_PATH = "/v1/documents"
ADMIN_PREFIX = "/admin/"
FEEDBACK_NAME = "feedback"  # /v1/feedback (and a knowledge base's .../feedback): reading the ratings is admin
KBS_PATH = "/v1/kbs"
CHANNEL_PREFIX = "/channels/"  # authenticated by the chat platform's signature (qa_service/channels/), not a key
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SIMPLE_METHODS = frozenset({"GET", "HEAD", "POST"})  # sent cross-site without a CORS preflight
SIMPLE_CONTENT_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"})
SAME_ORIGIN_HEADER = "X-Requested-With"
_EXTENSION = "qa_access"


def is_page(path: str) -> bool:
    return path in PAGE_PATHS or path.startswith(PAGE_ASSET_PREFIX)


def presented_key(req: Request) -> str | None:
    """The request's key (keys.key_from_headers); two different keys are a 401, whatever either is worth."""
    try:
        return key_from_headers(req.headers.get("Authorization", ""), req.headers.get("X-API-Key", ""))
    except ConflictingKeys as exc:
        raise ApiError(401, "conflicting_keys", str(exc)) from None


def api_path(path: str) -> str:
    """The path as the default knowledge base serves it: /v1/kbs/<kb>/documents/x -> /v1/documents/x. The
    knowledge bases' own routes (/v1/kbs, /v1/kbs/<kb>) stay as they are."""
    if not path.startswith(KBS_PATH + "/"):
        return path
    _, slash, rest = path[len(KBS_PATH) + 1:].partition("/")
    return "/v1/" + rest if slash else path


def changes_knowledge_bases(req: Request) -> bool:
    return (req.path == KBS_PATH or api_path(req.path).startswith(KBS_PATH + "/")) and req.method not in READ_METHODS


def changes_documents(req: Request) -> bool:
    path = api_path(req.path)
    return (path == DOCUMENTS_PATH or path.startswith(DOCUMENTS_PATH + "/")) and req.method not in READ_METHODS


def reads_feedback(req: Request) -> bool:
    return api_path(req.path) == "/v1/" + FEEDBACK_NAME and req.method in READ_METHODS


def required_role(req: Request) -> Role:
    if req.path.startswith(ADMIN_PREFIX) or reads_feedback(req) or changes_knowledge_bases(req):
        return Role.ADMIN
    if changes_documents(req):
        return Role.WRITE
    return Role.READ


@dataclass(frozen=True)
class AccessPolicy:
    keys: KeyRing
    loopback_listener: bool  # the server binds only the loopback interface


def _origin_tuple(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    return parts.scheme.lower(), parts.hostname.lower(), port


def preflighted(req: Request) -> bool:
    """Whether a browser would have sent this request cross-site only after a CORS preflight."""
    if SAME_ORIGIN_HEADER in req.headers:
        return True
    if req.method not in SIMPLE_METHODS:
        return True
    return bool(req.mimetype) and req.mimetype.lower() not in SIMPLE_CONTENT_TYPES


def keyless_write_refusal(req: Request, policy: AccessPolicy, client_address: str,
                          check_preflight: bool = True) -> ApiError | None:
    """Why a write without keys is refused, or None when it may go ahead (see the module docstring)."""
    if not policy.loopback_listener:
        return ApiError(403, "forbidden", "this server listens beyond loopback, so uploading, deleting and admin "
                                          "calls need an API key: set QA_API_KEYS (a key with the write or admin "
                                          "role) and send it as Authorization: Bearer <key>")
    if not is_loopback(client_address):
        return ApiError(403, "forbidden", "uploading, deleting and admin calls from another host need an API key: "
                                          "set QA_API_KEYS on the server")
    if not host_is_loopback(req.host):
        return ApiError(403, "cross_origin", "a write without API keys must be addressed to localhost, 127.0.0.1 "
                                             "or [::1] (the Host header names another site)")
    origin = req.headers.get("Origin")
    if origin is not None and _origin_tuple(origin) != _origin_tuple(f"{req.scheme}://{req.host}"):
        return ApiError(403, "cross_origin", "the request comes from a page of another origin; writes without "
                                             "API keys are accepted only from this server's own page")
    if check_preflight and not preflighted(req):
        return ApiError(403, "cross_origin", f"a write without API keys must carry the header {SAME_ORIGIN_HEADER} "
                                             "(any value): browsers send it cross-site only after a CORS "
                                             "preflight, which this server does not grant")
    return None


def may_write(req: Request) -> bool:
    """Whether this caller may upload and delete documents ("uploads" in /v1/info and /v1/documents): a key of
    the write role or above; without keys, the conditions above other than the header the write must carry."""
    policy: AccessPolicy = current_app.extensions[_EXTENSION]
    if policy.keys:
        key = g.get("api_key")
        return key is not None and key.allows(Role.WRITE)
    return keyless_write_refusal(req, policy, g.get("client_address", req.remote_addr or ""),
                                 check_preflight=False) is None


def register_access_control(app: Flask, policy: AccessPolicy, on_wrong_key=None) -> None:
    """Checks every request but the open ones; `on_wrong_key(client)` is told of each wrong key."""
    app.extensions[_EXTENSION] = policy

    @app.before_request
    def _authorize() -> None:
        if request.path in OPEN_PATHS or is_page(request.path) or request.path.startswith(CHANNEL_PREFIX):
            return
        if isinstance(request.routing_exception, MethodNotAllowed):
            return  # a method the endpoint does not have is 405 for everyone (its methods are in /openapi.json)
        needed = required_role(request)
        if policy.keys:
            presented = presented_key(request)
            key = policy.keys.verify(presented) if presented else None
            if key is None:
                if presented and on_wrong_key is not None:
                    on_wrong_key(g.client)
                raise ApiError(401, "unauthorized", "a valid API key is required (Authorization: Bearer <key>)")
            g.api_key = key
            if not key.allows(needed):
                raise ApiError(403, "insufficient_role", f"this endpoint needs a key with the {needed.label} role; "
                                                         f"this key has the {key.role.label} role")
            return
        if needed > Role.READ:
            refusal = keyless_write_refusal(request, policy, g.client_address)
            if refusal is not None:
                raise refusal
