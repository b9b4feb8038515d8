"""Several worker processes with gunicorn (`qa serve --workers N`, N > 1).

Each worker loads the model and the index after the fork (no preloading: torch and forked parents do
not mix well), so memory grows with N; threads per worker serve requests concurrently. Unless
QA_TORCH_THREADS says otherwise, each worker's torch gets its share of the cores (2 cores, 2 workers:
one thread each). With one worker `qa serve` uses waitress in-process instead (waitress_server.py).

Gunicorn's threaded worker hands a connection to a thread as soon as it is readable, and the thread then
reads the request headers with a blocking socket and no deadline: a client sending one header byte now and
then holds a thread for as long as it likes, and one such connection per thread stops a worker. The worker
here (GuardedThreadWorker) reads each request's headers in its event loop instead, without a thread, under
QA_HEADER_TIMEOUT, and hands the connection to a thread only once the headers are complete; reads a thread
still makes (the body, a pipelined request) have a deadline too (the same rule as waitress_server.py: the
headers within QA_HEADER_TIMEOUT, then QA_BODY_MIN_RATE bytes/s on average). It also caps connections per
client address (QA_MAX_CONNECTIONS_PER_CLIENT, per worker process). Gunicorn reads a body only when the app
does, and the app refuses one larger than its endpoint accepts from Content-Length without reading it.
"""
from __future__ import annotations

import errno
import os
import selectors
import socket
import time
from functools import partial
from typing import Any

from gunicorn import util
from gunicorn.app.base import BaseApplication
from gunicorn.http.errors import NoMoreData
from gunicorn.workers.gthread import TConn, ThreadWorker

from qa_service.api.clients import client_key
from qa_service.api.connection_limits import ClientConnections, ConnectionLimits, events, json_response, turn_away
from qa_service.settings import Settings

MAX_HEAD_BYTES = 64 * 1024  # beyond this without a blank line the thread's parser refuses the headers (431/400)
LINGER_READS = 16  # at most 1 MB of what a closing client already sent is read before the socket is closed


def worker_settings(settings: Settings, workers: int) -> Settings:
    """Each worker's share of the cores for torch when QA_TORCH_THREADS is left to the library: by default
    every worker would start one thread per core, and N workers' threads fighting over the same cores slow
    every one of them down (docs/performance.md)."""
    if settings.torch_threads > 0:
        return settings
    return settings.with_overrides(torch_threads=max(1, len(os.sched_getaffinity(0)) // workers))


class DeadlineReader:
    """The socket as the request parser sees it: recv() with the deadline of the request being read."""

    def __init__(self, sock: socket.socket, limits: ConnectionLimits) -> None:
        self._sock = sock
        self._limits = limits
        self.started = time.monotonic()
        self.received = 0
        self.in_app = False  # the application is reading (a body); else gunicorn is (headers)
        self.timed_out = False

    def start(self) -> None:
        self.started, self.received, self.timed_out = time.monotonic(), 0, False

    def _deadline(self) -> float:
        rate = self._limits.body_min_rate
        allowed = self._limits.header_timeout + (self.received / rate if rate > 0 else float("inf"))
        return self.started + allowed

    def recv(self, size: int) -> bytes:
        remaining = self._deadline() - time.monotonic()
        if remaining <= 0:
            raise self._too_slow()
        prior = self._sock.gettimeout()
        self._sock.settimeout(remaining if prior is None else min(prior, remaining))
        try:
            data = self._sock.recv(size)
        except socket.timeout:
            raise self._too_slow() from None
        finally:
            self._sock.settimeout(prior)
        self.received += len(data)
        return data

    def _too_slow(self) -> Exception:
        self.timed_out = True
        events.note("slow requests refused", "a gunicorn worker")
        if self.in_app:  # the app answers 408 (JSON) and the connection is closed after it
            from werkzeug.exceptions import RequestTimeout

            return RequestTimeout("the request body arrives too slowly (QA_BODY_MIN_RATE)")
        return NoMoreData(b"")  # gunicorn closes the connection without a word

    def __getattr__(self, name: str) -> Any:  # gettimeout, settimeout, fileno ... of the real socket
        return getattr(self._sock, name)


class GuardedConn(TConn):
    def __init__(self, cfg, sock, client, server, release=None) -> None:
        super().__init__(cfg, sock, client, server)
        self.head: bytearray | None = None  # header bytes read in the event loop
        self.head_started: float | None = None
        self.idle_deadline = 0.0
        self.reader: DeadlineReader | None = None
        self._release = release

    def close(self, graceful: bool = False) -> None:
        """Gunicorn's graceful close lingers up to 2 s reading what the client still sends, in the worker's event
        loop: 16 connections that sent `Connection: close` and then neither read nor closed delayed everyone's
        /healthz by 5.8 s. Here the lingering reads only what has already arrived, without waiting."""
        release, self._release = self._release, None
        if release is not None:
            release()
        if graceful:
            try:
                self.sock.shutdown(socket.SHUT_WR)  # FIN after the response
                self.sock.setblocking(False)
                for _ in range(LINGER_READS):  # unread request bytes would make close() send a reset instead
                    if not self.sock.recv(65536):
                        break
            except OSError:
                pass
        util.close(self.sock)


class GuardedThreadWorker(ThreadWorker):
    """gthread with headers read in the event loop under a deadline and connections capped per client."""

    limits: ConnectionLimits  # set on the subclass QAGunicorn makes
    idle_timeout: float

    def init_process(self) -> None:
        self.collecting: set[GuardedConn] = set()
        self.client_connections = ClientConnections(self.limits.max_per_client)
        super().init_process()  # runs the worker loop

    def accept(self, listener) -> None:
        try:
            sock, addr = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        address = addr[0] if isinstance(addr, tuple) else ""
        client = client_key(address)
        release = None
        if address and address not in self.limits.trusted_proxies:
            if not self.client_connections.admit(client):
                turn_away(sock, client, self.limits.max_per_client)
                return
            release = partial(self.client_connections.release, client)
        self.nr_conns += 1
        self._collect(GuardedConn(self.cfg, sock, addr, listener.getsockname(), release))

    def _collect(self, conn: GuardedConn) -> None:
        """Wait in the event loop, without a thread, for the next request's complete headers."""
        conn.sock.setblocking(False)
        conn.head, conn.head_started = bytearray(), None
        conn.idle_deadline = time.monotonic() + self.idle_timeout
        self.collecting.add(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_head_readable, conn))

    def _stop_collecting(self, conn: GuardedConn) -> None:
        self.collecting.discard(conn)
        try:
            self.poller.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass

    def _drop(self, conn: GuardedConn, response: bytes | None = None) -> None:
        self._stop_collecting(conn)
        if response is not None:
            try:
                conn.sock.send(response)  # non-blocking, best effort
            except OSError:
                pass
        self.nr_conns -= 1
        conn.close()

    def _on_head_readable(self, conn: GuardedConn, _sock) -> None:
        try:
            data = conn.sock.recv(8192)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._drop(conn)
            return
        if not data:
            self._drop(conn)
            return
        if conn.head_started is None:
            conn.head_started = time.monotonic()
        searched_from = max(0, len(conn.head) - 3)
        conn.head += data
        complete = conn.head.find(b"\r\n\r\n", searched_from) >= 0 or conn.head.find(b"\n\n", searched_from) >= 0
        if complete or len(conn.head) > MAX_HEAD_BYTES:
            self._stop_collecting(conn)
            head, conn.head = bytes(conn.head), None
            conn.sock.setblocking(True)
            conn.init()  # the parser (once per connection); reads start with what was collected
            conn.parser.unreader.unread(head)
            if conn.reader is None:
                conn.reader = DeadlineReader(conn.sock, self.limits)
                conn.parser.unreader.sock = conn.reader
            conn.data_ready = True
            self.enqueue_req(conn)

    def enqueue_req(self, conn) -> None:
        """To a thread; the thread's reads of this request are timed from now."""
        reader = getattr(conn, "reader", None)
        if reader is not None:
            reader.start()
        super().enqueue_req(conn)

    def on_client_socket_readable(self, conn, client) -> None:
        """A kept-alive connection has a new request: collect its headers in the loop, as for a new one."""
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._collect(conn)

    def murder_keepalived(self, force: bool = False) -> None:
        super().murder_keepalived(force)
        now = time.monotonic()
        for conn in list(self.collecting):
            if force or (conn.head_started is None and now > conn.idle_deadline):
                self._drop(conn)
            elif conn.head_started is not None and now - conn.head_started > self.limits.header_timeout:
                events.note("slow requests answered 408 and closed", str(conn.client[0]) if conn.client else "?")
                self._drop(conn, json_response("408 Request Timeout", "request_timeout",
                                               f"the request headers were not complete within "
                                               f"{self.limits.header_timeout:g} s (QA_HEADER_TIMEOUT)"))

    def handle_request(self, req, conn):
        reader = getattr(conn, "reader", None)
        if reader is not None:
            reader.in_app = True
        try:
            return super().handle_request(req, conn)
        finally:
            if reader is not None:
                reader.in_app = False

    def _keepalive_after(self, conn, keepalive):
        reader = getattr(conn, "reader", None)
        if reader is not None and reader.timed_out:
            return False  # the rest of a too-slow body is never read: close
        return super()._keepalive_after(conn, keepalive)


class QAGunicorn(BaseApplication):
    def __init__(self, settings: Settings, workers: int, threads: int) -> None:
        self._settings = worker_settings(settings, workers)
        worker_class = type("QAThreadWorker", (GuardedThreadWorker,), {
            "limits": ConnectionLimits.from_settings(settings), "idle_timeout": settings.idle_timeout})
        self._options: dict[str, Any] = {
            "bind": f"{settings.host}:{settings.port}", "workers": workers, "threads": threads,
            "worker_class": worker_class, "preload_app": False, "timeout": 120, "graceful_timeout": 30,
            "accesslog": None,
            "worker_connections": settings.connection_limit,  # open connections per worker
            "keepalive": max(1, int(settings.idle_timeout)),  # seconds an idle kept-alive connection stays
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self):
        """In each worker, after the fork: its own composition root, warmed up (model and index loaded)."""
        from qa_service.api.app import create_app
        from qa_service.composition import ServiceRoot

        return create_app(ServiceRoot(self._settings, serving=True).warm_up())
