"""`qa mcp --transport streamable-http`: the MCP tools at http://HOST:QA_MCP_PORT/mcp, keyed like the HTTP API.

The SDK's Starlette app serves the protocol; `KeyGate` in front of it applies the HTTP API's access rule for
reads (qa_service/api/access.py): with keys set (QA_API_KEYS, QA_API_KEYS_FILE) every request but /healthz needs
a valid key of any role, as `Authorization: Bearer <key>` or `X-API-Key`, else 401 in the API's JSON error form;
wrong keys count against the client address as they do there (QA_AUTH_FAILURES_PER_MINUTE, then 429
auth_throttled). The tools only read, so the role does not matter. Without keys it is open like the HTTP API's
reads, and on loopback the SDK refuses requests whose Host or Origin is not loopback (DNS rebinding).
Bodies are bounded by QA_MAX_BODY_BYTES, connections by QA_CONNECTION_LIMIT and idle keep-alives by
QA_IDLE_TIMEOUT; the question and top_k limits are the service's own (tools.py).
"""
from __future__ import annotations

import json
import logging
import math
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from qa_service.api.admission import RateLimiter
from qa_service.api.clients import client_key, peer_address
from qa_service.api.keys import ConflictingKeys, KeyRing, key_from_headers
from qa_service.composition import ServiceRoot
from qa_service.knowledge_bases import DEFAULT_KB
from qa_service.settings import Settings

if TYPE_CHECKING:
    import uvicorn

log = logging.getLogger(__name__)

MCP_PATH = "/mcp"
HEALTH_PATH = "/healthz"  # open, like the HTTP API's: for probes and for waiting on start-up

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def presented_key(scope: Scope) -> str | None:
    """The key a request carries, read as the HTTP API reads it (keys.key_from_headers: ConflictingKeys when
    it carries two different ones)."""
    return key_from_headers(_header(scope, b"authorization"), _header(scope, b"x-api-key"))


async def _refuse(send: Send, status: int, code: str, message: str, headers: dict[str, str]) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class KeyGate:
    """ASGI middleware: the API key check of the HTTP API in front of an ASGI app (see the module docstring)."""

    def __init__(self, app: ASGIApp, keys: KeyRing, settings: Settings, kb: str = DEFAULT_KB) -> None:
        """`kb`: the knowledge base the tools serve; a key scoped elsewhere is refused like a wrong one."""
        self.app = app
        self.keys = keys
        self.kb = kb
        self.trusted = settings.trusted_proxy_addresses
        self.failures = (RateLimiter(settings.auth_failures_per_minute)
                         if settings.auth_failures_per_minute > 0 else None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.keys or scope.get("path") == HEALTH_PATH:
            await self.app(scope, receive, send)
            return
        peer = (scope.get("client") or ("",))[0] or ""
        client = client_key(peer_address({"REMOTE_ADDR": peer,
                                          "HTTP_X_FORWARDED_FOR": _header(scope, b"x-forwarded-for")}, self.trusted))
        if self.failures is not None:
            wait = self.failures.wait(client)
            if wait > 0:
                await _refuse(send, 429, "auth_throttled", f"too many wrong API keys from this address; retry in "
                              f"{math.ceil(wait)} s", {"Retry-After": str(max(1, math.ceil(wait)))})
                return
        try:
            presented = presented_key(scope)
        except ConflictingKeys as exc:
            await _refuse(send, 401, "conflicting_keys", str(exc), {"WWW-Authenticate": 'Bearer realm="qa-service"'})
            return
        key = self.keys.verify(presented) if presented is not None else None
        if key is None or not key.reaches(self.kb):
            if presented is not None and self.failures is not None:
                self.failures.spend(client)
            log.info("MCP request from %s refused: %s API key", client, "wrong" if presented else "no")
            await _refuse(send, 401, "unauthorized", "a valid API key is required (Authorization: Bearer <key>)",
                          {"WWW-Authenticate": 'Bearer realm="qa-service"'})
            return
        await self.app(scope, receive, send)


def http_app(root: ServiceRoot, kb: str = DEFAULT_KB) -> ASGIApp:
    """The MCP server of `root` (knowledge base `kb`) as an ASGI app at /mcp, behind the key gate."""
    from starlette.requests import Request
    from starlette.responses import JSONResponse

    from qa_service.mcp_server.tools import create_mcp_server

    settings = root.settings
    server = create_mcp_server(root)

    @server.custom_route(HEALTH_PATH, methods=["GET"])
    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    app = server.streamable_http_app(streamable_http_path=MCP_PATH, max_request_body_size=settings.max_body_bytes,
                                     host=settings.host)
    return KeyGate(app, KeyRing.from_settings(settings), settings, kb)


def server_config(root: ServiceRoot, kb: str = DEFAULT_KB) -> "uvicorn.Config":
    """uvicorn serving `http_app(root)` at QA_HOST:QA_MCP_PORT: one process, the tools in its worker threads;
    at most QA_CONNECTION_LIMIT connections and requests at once (503 beyond), idle ones closed after
    QA_IDLE_TIMEOUT."""
    import uvicorn

    settings = root.settings
    return uvicorn.Config(http_app(root, kb), host=settings.host, port=settings.mcp_port, log_level="warning",
                          limit_concurrency=settings.connection_limit,
                          timeout_keep_alive=max(1, int(settings.idle_timeout)), server_header=False)


def serve(root: ServiceRoot, kb: str = DEFAULT_KB) -> None:
    """Serve until interrupted."""
    import uvicorn

    uvicorn.Server(server_config(root, kb)).run()
