"""Limits on connections shared by both servers of `qa serve` (waitress_server.py, gunicorn_server.py).

What a slow or greedy client may hold: a deadline for a request's headers (QA_HEADER_TIMEOUT from its first
byte), a minimum average rate for its body after as long again (QA_BODY_MIN_RATE), a cap on open connections
per client address (QA_MAX_CONNECTIONS_PER_CLIENT), and the largest body each endpoint accepts.
"""
from __future__ import annotations

import json
import logging
import select
import socket
import threading
import time
from dataclasses import dataclass

from qa_service.api.access import DOCUMENTS_PATH, api_path
from qa_service.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConnectionLimits:
    header_timeout: float
    body_min_rate: int
    max_per_client: int  # 0 = no cap
    json_body_limit: int
    upload_body_limit: int  # the upload limit plus multipart framing
    max_upload_bytes: int  # for messages: the limit a user sets
    trusted_proxies: frozenset[str]

    @classmethod
    def from_settings(cls, settings: Settings) -> "ConnectionLimits":
        return cls(settings.header_timeout, settings.body_min_rate, settings.max_connections_per_client,
                   settings.max_body_bytes, settings.request_body_limit, settings.max_upload_bytes,
                   settings.trusted_proxy_addresses)

    def body_limit(self, path: str) -> int:
        return self.upload_body_limit if api_path(path.rstrip("/")) == DOCUMENTS_PATH else self.json_body_limit

    def overdue(self, now: float, started: float, headers_at: float | None, body_bytes: int) -> str | None:
        """Why a request being received is too slow, or None. `started`: its first byte; `headers_at`: when its
        headers were complete (None: not yet)."""
        if headers_at is None:
            if now - started > self.header_timeout:
                return f"the request headers were not complete within {self.header_timeout:g} s (QA_HEADER_TIMEOUT)"
            return None
        behind = now - headers_at - self.header_timeout
        if self.body_min_rate > 0 and behind > 0 and body_bytes < self.body_min_rate * behind:
            return (f"the request body arrives slower than {self.body_min_rate} bytes/s (QA_BODY_MIN_RATE)")
        return None


class ClientConnections:
    """Open connections per client key, shared by all listening sockets of one process."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def admit(self, client: str) -> bool:
        with self._lock:
            count = self._counts.get(client, 0)
            if self.limit and count >= self.limit:
                return False
            self._counts[client] = count + 1
            return True

    def release(self, client: str) -> None:
        with self._lock:
            count = self._counts.get(client, 0) - 1
            if count > 0:
                self._counts[client] = count
            else:
                self._counts.pop(client, None)


class EventLog:
    """Counts refusals and logs them at most every `every` seconds: an attack must not flood the log."""

    def __init__(self, every: float = 10.0) -> None:
        self._every = every
        self._counts: dict[str, int] = {}
        self._last: dict[str, str] = {}
        self._logged = 0.0
        self._lock = threading.Lock()

    def note(self, what: str, client: str) -> None:
        with self._lock:
            self._counts[what] = self._counts.get(what, 0) + 1
            self._last[what] = client
            now = time.monotonic()
            if now - self._logged < self._every:
                return
            self._logged = now
            counts, last = self._counts, self._last
            self._counts, self._last = {}, {}
        for kind, count in counts.items():
            log.warning("%d %s (the last from %s)", count, kind, last[kind])


events = EventLog()


def json_response(status: str, code: str, message: str, extra: str = "") -> bytes:
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False).encode()
    return (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"{extra}Connection: close\r\n\r\n").encode("latin-1") + body


def turn_away(conn: socket.socket, client: str, limit: int) -> None:
    """A short 429 on a connection beyond the client's cap, then a lingering close (never blocks the event loop).

    Closing at once, with the client's request still arriving, makes the kernel answer it with a reset, and a
    reset discards the 429 the client had not read yet: 1 of 2,000 requests of the load test with the limits
    on got no response at all (docs/security.md). So the sending side is shut (the client reads the 429, then
    the end), and what the client still sends is read and dropped by `lingering` before the socket is closed."""
    events.note("connections refused beyond QA_MAX_CONNECTIONS_PER_CLIENT", client)
    try:
        conn.setblocking(False)
        try:
            conn.recv(65536)  # what the client already sent
        except OSError:
            pass
        conn.send(json_response("429 Too Many Requests", "too_many_connections",
                                 f"this client already holds {limit} open connections "
                                 "(QA_MAX_CONNECTIONS_PER_CLIENT); close some and retry", "Retry-After: 1\r\n"))
        conn.shutdown(socket.SHUT_WR)
    except OSError:
        conn.close()
        return
    lingering.hand_over(conn)


class LingeringCloser:
    """Reads and drops what turned-away clients still send, for at most LINGER_SECONDS each, then closes their
    sockets; one thread for all of them, at most MAX_LINGERING at once (beyond that a socket is closed at once,
    as before), so a flood of refused connections costs neither threads nor file descriptors without bound."""

    LINGER_SECONDS = 2.0
    MAX_LINGERING = 256

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: dict[socket.socket, float] = {}  # socket -> when it is closed anyway
        self._thread: threading.Thread | None = None

    def hand_over(self, conn: socket.socket) -> None:
        with self._lock:
            if len(self._sockets) >= self.MAX_LINGERING:
                conn.close()
                return
            self._sockets[conn] = time.monotonic() + self.LINGER_SECONDS
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="qa-lingering-close", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._sockets:
                    self._thread = None
                    return
                now = time.monotonic()
                for conn in [c for c, until in self._sockets.items() if until <= now]:
                    del self._sockets[conn]
                    conn.close()
                watched = list(self._sockets)
            if not watched:
                continue
            poller = select.poll()  # not select(): descriptors above 1024 are common in a busy server
            by_fd = {}
            for conn in watched:
                if conn.fileno() >= 0:
                    by_fd[conn.fileno()] = conn
                    poller.register(conn, select.POLLIN)
            readable = [by_fd[fd] for fd, _ in poller.poll(200) if fd in by_fd]
            for conn in readable:
                try:
                    done = conn.fileno() < 0 or not conn.recv(65536)  # b"": the client closed its side
                except OSError:
                    done = True
                if done:
                    with self._lock:
                        self._sockets.pop(conn, None)
                    conn.close()


lingering = LingeringCloser()
