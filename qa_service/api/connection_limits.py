"""Limits on connections shared by both servers of `qa serve` (waitress_server.py, gunicorn_server.py).

What a slow or greedy client may hold: a deadline for a request's headers (QA_HEADER_TIMEOUT from its first
byte), a minimum average rate for its body after as long again (QA_BODY_MIN_RATE), a cap on open connections
per client address (QA_MAX_CONNECTIONS_PER_CLIENT), and the largest body each endpoint accepts.
"""
from __future__ import annotations

import json
import logging
import socket
import threading
import time
from dataclasses import dataclass

from qa_service.api.access import DOCUMENTS_PATH
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
        return self.upload_body_limit if path.rstrip("/") == DOCUMENTS_PATH else self.json_body_limit

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
    """A short 429 on a connection beyond the client's cap, then close it (never blocks the event loop)."""
    events.note("connections refused beyond QA_MAX_CONNECTIONS_PER_CLIENT", client)
    try:
        conn.setblocking(False)
        try:
            conn.recv(65536)  # what the client already sent, so that closing does not reset the answer away
        except OSError:
            pass
        conn.send(json_response("429 Too Many Requests", "too_many_connections",
                                 f"this client already holds {limit} open connections "
                                 "(QA_MAX_CONNECTIONS_PER_CLIENT); close some and retry", "Retry-After: 1\r\n"))
    except OSError:
        pass
    finally:
        conn.close()
