"""`qa serve` with one process: waitress, with the connection limits it lacks.

Waitress reads requests in one event loop and hands only complete requests to its threads, so a slow client
costs a connection, not a thread; but it has no deadline for receiving a request, and at its connection limit
it stops accepting altogether. Measured before this module: 100 half-open connections from one client, each
sending a header byte every 10 s, kept /healthz from answering for a full minute; and a 300 MB POST was
received (spooled to disk up to waitress's 1 GB default) before the app's limit answered 413. Here:

- a request's headers must arrive within QA_HEADER_TIMEOUT of its first byte, and its body must then average
  QA_BODY_MIN_RATE bytes/s once that much time again has passed; a request that falls behind is answered 408
  and its connection closed (checked every second by the server's maintenance pass);
- one client address (IPv6: its /64) may hold QA_MAX_CONNECTIONS_PER_CLIENT connections; a further one is
  answered 429 and closed as soon as it is accepted, so one client cannot fill QA_CONNECTION_LIMIT;
- a body larger than its endpoint accepts is refused (413) as soon as its headers say so, before a byte of it is
  read: QA_MAX_UPLOAD_BYTES plus multipart framing for POST /v1/documents, QA_MAX_BODY_BYTES elsewhere (also
  for chunked bodies, counted as they arrive), and no "100 Continue" is sent for a refused body;
- errors raised by waitress itself (413, 408, 400, 431, 500) are JSON like the app's.

Idle keep-alive connections close after QA_IDLE_TIMEOUT. A trusted proxy (QA_TRUSTED_PROXIES) is exempt from
the per-client cap: behind a proxy every connection comes from it, and the proxy limits clients itself.
"""
from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import MultiSocketServer, TcpWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher
from waitress.utilities import (BadRequest, InternalServerError, RequestEntityTooLarge, RequestHeaderFieldsTooLarge,
                                ServerNotImplemented)

from qa_service.api.access import DOCUMENTS_PATH, api_path
from qa_service.api.clients import client_key
from qa_service.api.connection_limits import (ClientConnections, ConnectionLimits, events, json_response,
                                              turn_away)
from qa_service.settings import Settings

log = logging.getLogger(__name__)

MAINTENANCE_SECONDS = 1  # how often deadlines are checked (waitress's default is every 30 s)


def _describe(error: object, request: HTTPRequestParser, limits: ConnectionLimits) -> tuple[str, str]:
    """A JSON error code and message for an error waitress found while reading a request."""
    if isinstance(error, RequestEntityTooLarge):
        path = getattr(request, "path", "") or ""
        size = f" (the request holds {request.content_length:,} bytes)" if request.content_length else ""
        if api_path(path.rstrip("/")) == DOCUMENTS_PATH:
            return "file_too_large", (f"the upload is too large{size}; the limit is {limits.max_upload_bytes:,} "
                                      "bytes (QA_MAX_UPLOAD_BYTES)")
        return "payload_too_large", (f"request body too large{size}; the limit is {limits.json_body_limit:,} bytes "
                                     "(QA_MAX_BODY_BYTES)")
    if isinstance(error, RequestHeaderFieldsTooLarge):
        return "headers_too_large", "the request line and headers are too large"
    if isinstance(error, ServerNotImplemented):
        return "not_implemented", str(getattr(error, "body", "")) or "not implemented"
    if isinstance(error, BadRequest):
        return "bad_request", f"malformed HTTP request: {getattr(error, 'body', '')}"
    if isinstance(error, InternalServerError):
        return "internal_error", "internal error"
    return "http_error", getattr(error, "reason", "error")


class JsonErrorTask(ErrorTask):
    """Waitress's own error responses, as {"error": {"code", "message"}} like every other error of the API."""

    def execute(self) -> None:
        error = self.request.error
        code, message = _describe(error, self.request, self.channel.server.limits)
        body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/json"))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


def _parser_for(limits: ConnectionLimits) -> type[HTTPRequestParser]:
    class LimitedRequestParser(HTTPRequestParser):
        """Refuses a body larger than its endpoint accepts as soon as that is known, and never invites it."""

        def received(self, data: bytes) -> int:
            consumed = super().received(data)
            if self.headers_finished and self.error is None and not self.empty:
                limit = limits.body_limit(getattr(self, "path", "") or "")
                if self.content_length > limit or self.body_bytes_received > limit:
                    self.error = RequestEntityTooLarge(f"exceeds {limit} bytes")
                    self.completed = True
            if self.error is not None:
                # No "100 Continue" for a refused request (the channel would send one, and reset `completed`,
                # inviting the whole body), and nothing after it is parsed: the connection closes after the error.
                self.expect_continue = False
                return len(data)
            return consumed

    return LimitedRequestParser


class GuardedChannel(HTTPChannel):
    """A connection that knows when the request it is receiving started, for the deadlines."""

    error_task_class = JsonErrorTask
    client = ""
    _started: float | None = None  # first byte of the request being received
    _headers_at: float | None = None
    _released = False

    def received(self, data: bytes) -> bool:
        now = time.time()
        before = self.request
        if before is None and self._started is None:
            self._started = now
        result = super().received(data)
        current = self.request
        if current is None:
            self._started = self._headers_at = None
        else:
            if current is not before:  # a new request began in this data, after a complete one
                self._started, self._headers_at = now, None
            if current.headers_finished and self._headers_at is None:
                self._headers_at = now
        return result

    def check_deadline(self, now: float, limits: ConnectionLimits) -> None:
        """Called by the server's maintenance pass in the event loop."""
        if self.will_close or self.close_when_flushed or self._started is None or self.request is None:
            return
        if self.requests:  # not reading while a response is produced: the clock does not run
            self._started = now
            if self._headers_at is not None:
                self._headers_at = now
            return
        reason = limits.overdue(now, self._started, self._headers_at, self.request.body_bytes_received)
        if reason is not None:
            events.note("slow requests answered 408 and closed", self.client or "a trusted proxy")
            self._refuse("408 Request Timeout", "request_timeout", reason)

    def _refuse(self, status: str, code: str, message: str) -> None:
        response = json_response(status, code, message)
        with self.requests_lock:
            if self.request is not None:
                self.request.close()  # frees a spooled body
            self.request = None
            self._started = self._headers_at = None
        with self.outbuf_lock:
            self.outbufs[-1].append(response)
            self.current_outbuf_count += len(response)
            self.total_outbufs_len += len(response)
        self.close_when_flushed = True

    def del_channel(self, map=None) -> None:
        super().del_channel(map)
        if not self._released:
            self._released = True
            self.server.client_connections.release(self.client)


class GuardedServer(TcpWSGIServer):
    channel_class = GuardedChannel

    def __init__(self, application, limits: ConnectionLimits, client_connections: ClientConnections, **kw) -> None:
        self.limits = limits
        self.client_connections = client_connections
        super().__init__(application, **kw)

    def handle_accept(self) -> None:
        try:
            accepted = self.accept()
            if accepted is None:
                return
            conn, addr = accepted
        except OSError:
            return
        address = addr[0] if isinstance(addr, tuple) else str(addr)
        client = client_key(address)
        exempt = address in self.limits.trusted_proxies
        if not exempt and not self.client_connections.admit(client):
            turn_away(conn, client, self.limits.max_per_client)
            return
        try:
            self.set_socket_options(conn)
            channel = self.channel_class(self, conn, addr, self.adj, map=self._map)
        except OSError:  # the peer left between accept and set-up
            if not exempt:
                self.client_connections.release(client)
            conn.close()
            return
        channel.client = client if not exempt else ""
        if exempt:
            channel._released = True  # never counted

    def maintenance(self, now: float) -> None:
        super().maintenance(now)  # idle keep-alive connections (QA_IDLE_TIMEOUT)
        for channel in list(self.active_channels.values()):
            if isinstance(channel, GuardedChannel):
                channel.check_deadline(now, self.limits)


def waitress_adjustments(settings: Settings, threads: int) -> Adjustments:
    return Adjustments(
        host=settings.host, port=settings.port, threads=threads, ident="qa-service",
        connection_limit=settings.connection_limit,
        channel_timeout=max(1, math.ceil(settings.idle_timeout)),
        cleanup_interval=MAINTENANCE_SECONDS,
        # Waitress's own check (content-length >= limit) is a backstop behind the parser's per-endpoint limits.
        max_request_body_size=settings.request_body_limit + 1,
    )


def create_guarded_server(app: Callable, settings: Settings, threads: int):
    """A waitress server (or one per address `host` resolves to) with the limits above; call .run()."""
    adj = waitress_adjustments(settings, threads)
    limits = ConnectionLimits.from_settings(settings)
    client_connections = ClientConnections(limits.max_per_client)
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    socket_map: dict = {}
    channel_class = type("LimitedChannel", (GuardedChannel,), {"parser_class": _parser_for(limits)})
    server_class = type("LimitedServer", (GuardedServer,), {"channel_class": channel_class})
    servers = [server_class(app, limits, client_connections, map=socket_map, dispatcher=dispatcher, adj=adj,
                            sockinfo=sockinfo) for sockinfo in adj.listen]
    if len(servers) == 1:
        return servers[0]
    return MultiSocketServer(socket_map, adj, [(s.effective_host, s.effective_port) for s in servers], dispatcher,
                             servers[-1].log_info)


def serve(app: Callable, settings: Settings, threads: int) -> None:
    server = create_guarded_server(app, settings, threads)
    log.info("waitress: %d threads, at most %d connections, %s per client, headers within %g s, idle %g s",
             threads, settings.connection_limit, settings.max_connections_per_client or "no limit",
             settings.header_timeout, settings.idle_timeout)
    server.run()
