"""Clients that misbehave, for the connection tests: slow headers from a second loopback address, and a real
`qa serve` started for one test module."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from tests.conftest import free_port

ATTACKER = "127.0.0.2"
HEADER_TIMEOUT = 3  # seconds, instead of the default 15, to keep the test short
PER_CLIENT = 16  # the default QA_MAX_CONNECTIONS_PER_CLIENT
QUESTION = {"question": "海淀区有多少所高等院校？"}


def can_bind(address: str) -> bool:
    try:
        with socket.socket() as s:
            s.bind((address, 0))
        return True
    except OSError:
        return False


needs_second_loopback = pytest.mark.skipif(not can_bind(ATTACKER), reason=f"cannot bind {ATTACKER} here")


@contextmanager
def qa_serve(index_dir, *args: str, ready_in_a_row: int = 1, log_file: Path | None = None,
             ready_within: float = 240.0, **env: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """A real `qa serve ARGS` on a free loopback port, over `index_dir` with the QA_* settings `env`. Ready once
    /readyz answered 200 on `ready_in_a_row` fresh connections running (with gunicorn workers, until each has
    answered), within `ready_within` seconds. Its stderr goes to `log_file` (a file, so a talkative server never blocks on a full pipe), else to a
    temporary file; the failure messages carry its tail."""
    port = free_port()
    log = open(log_file, "w+b") if log_file else tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, "-m", "qa_service.cli", "serve", "--port", str(port), *args],
                            env={**os.environ, "QA_INDEX_DIR": str(index_dir), **env},
                            stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"

    def tail() -> str:
        log.flush()
        log.seek(0)
        return log.read().decode(errors="replace")[-2000:]

    try:
        deadline, in_a_row = time.time() + ready_within, 0
        while in_a_row < ready_in_a_row and time.time() < deadline:
            if proc.poll() is not None:
                pytest.fail("qa serve exited: " + tail())
            try:
                with urllib.request.urlopen(base + "/readyz", timeout=5) as resp:
                    in_a_row = in_a_row + 1 if resp.status == 200 else 0
            except OSError:
                in_a_row = 0
                time.sleep(0.05)
        if in_a_row < ready_in_a_row:
            pytest.fail("qa serve did not become ready: " + tail())
        yield base, proc
    finally:
        if proc.poll() is None:  # a test may have killed it
            proc.terminate()
            proc.wait(timeout=60)
        log.close()


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def ask(base: str) -> tuple[int, dict]:
    """The status and the answer, without its answer_id (every answer has its own: it says nothing)."""
    req = urllib.request.Request(base + "/v1/ask", data=json.dumps(QUESTION).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            body = json.loads(resp.read())
            body.pop("answer_id", None)
            return resp.status, body
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def slowloris(base: str, sockets: int, seconds: float) -> tuple[dict[str, int], list[tuple[int, int]]]:
    """Open `sockets` connections from ATTACKER that send a request's headers one byte a second, while the normal
    client asks every second. Returns how the attacker's connections ended and the normal client's statuses."""
    port = int(base.rsplit(":", 1)[1])
    conns = []
    for _ in range(sockets):
        s = socket.socket()
        s.bind((ATTACKER, 0))
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        conns.append(s)
    received = {id(s): b"" for s in conns}
    probes: list[tuple[int, int]] = []
    end = time.time() + seconds
    while time.time() < end:
        for s in conns:
            try:
                s.send(b"X")
            except OSError:
                pass
        probes.append((get(base + "/healthz"), ask(base)[0]))
        time.sleep(1.0)
    for s in conns:  # what each connection was told before it was closed
        s.settimeout(0.5)
        try:
            while chunk := s.recv(4096):
                received[id(s)] += chunk
        except OSError:
            pass
        s.close()
    outcome = {"429": 0, "408": 0, "open": 0}
    for data in received.values():
        if data.startswith(b"HTTP/1.1 429") and b"too_many_connections" in data:
            outcome["429"] += 1
        elif data.startswith(b"HTTP/1.1 408") and b"request_timeout" in data:
            outcome["408"] += 1
        else:
            outcome["open"] += 1
    return outcome, probes


@contextmanager
def lingering(base: str, sockets: int) -> Iterator[None]:
    """Connections from ATTACKER that send a complete request asking to close, then never read and never close."""
    port = int(base.rsplit(":", 1)[1])
    conns = []
    try:
        for _ in range(sockets):
            s = socket.socket()
            s.bind((ATTACKER, 0))
            s.connect(("127.0.0.1", port))
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            conns.append(s)
        time.sleep(0.3)  # all answered, each now closing
        yield
    finally:
        for s in conns:
            s.close()
