"""What one client can hold of a real `qa serve` (waitress) on loopback: slow connections, huge bodies.

Attacks come from 127.0.0.2 and the well-behaved client from 127.0.0.1 (all of 127.0.0.0/8 is loopback on Linux),
so that the per-client limits can tell them apart as they would two hosts. Everything is bounded: 100 sockets
for about 12 s, a body refused after at most a few megabytes.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from tests.conftest import free_port
from tests.integration.misbehaving_clients import (ATTACKER, HEADER_TIMEOUT, PER_CLIENT, ask, get, needs_second_loopback,
                                                   qa_serve, slowloris)

pytestmark = pytest.mark.integration

@pytest.fixture(scope="module")
def guarded(built_index):
    with qa_serve(built_index.index_dir, QA_HEADER_TIMEOUT=str(HEADER_TIMEOUT)) as (base, proc):
        yield base, proc


@needs_second_loopback
def test_slowloris_from_one_client_leaves_the_service_answering(guarded):
    """Measured before: 100 half-open connections from one client, a header byte every 10 s, kept /healthz
    from answering for a full minute. Now the client gets 16 connections, each closed after the header deadline."""
    base, _ = guarded
    outcome, probes = slowloris(base, sockets=100, seconds=4 * HEADER_TIMEOUT)
    assert probes and all(p == (200, 200) for p in probes), probes
    assert outcome["429"] >= 100 - PER_CLIENT  # refused at accept, with a JSON reason
    assert outcome["open"] == 0, outcome  # every admitted one was answered 408 and closed
    assert 0 < outcome["408"] <= PER_CLIENT
    assert ask(base) == ask(base)  # and the service still answers, the same


def test_a_300_megabyte_upload_is_refused_before_it_is_read(guarded):
    """Measured before: waitress spooled a 300 MB POST to disk (its limit is 1 GB) before the app answered 413."""
    base, proc = guarded
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(b"POST /v1/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Requested-With: test\r\n"
                  b"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 300000000\r\n"
                  b"Expect: 100-continue\r\n\r\n")
        head = s.recv(4096)  # the answer comes before any of the body was sent, and no "100 Continue"
        assert head.startswith(b"HTTP/1.1 413"), head[:200]
        body = json.loads(head.split(b"\r\n\r\n", 1)[1] or s.recv(4096))
        assert body["error"]["code"] == "file_too_large" and "QA_MAX_UPLOAD_BYTES" in body["error"]["message"]
        sent, chunk = 0, b"\0" * (1 << 20)
        with pytest.raises(OSError):  # the server closed the connection: the body is not read
            while sent < 300_000_000:
                sent += s.send(chunk)
        assert sent < 32 * (1 << 20)
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:  # a JSON endpoint's own, smaller limit
        s.sendall(b"POST /v1/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 5000000\r\n\r\n")
        head = s.recv(4096)
        assert head.startswith(b"HTTP/1.1 413") and b"payload_too_large" in head + s.recv(4096)
    assert get(base + "/healthz") == 200 and proc.poll() is None


def test_milvus_lite_with_several_workers_is_refused_at_start(built_index, tmp_path):
    """Measured before: `qa serve --workers 2` on a Milvus Lite file answered half of its requests 503."""
    env = {**os.environ, "QA_INDEX_DIR": str(built_index.index_dir), "QA_VECTOR_STORE": "milvus",
           "QA_MILVUS_URI": str(tmp_path / "lite.db")}
    done = subprocess.run([sys.executable, "-m", "qa_service.cli", "serve", "--port", str(free_port()),
                           "--workers", "2"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "Milvus Lite" in done.stderr and "--workers 1" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "lite.db").exists()  # refused before anything was opened


@needs_second_loopback
def test_a_connection_turned_away_gets_its_429_even_when_its_request_comes_late(guarded):
    """Measured before: with the per-client limits on, 1 of 2,000 load-test requests got no response at all. A
    connection beyond the cap was answered 429 and closed at once; a request arriving after that close drew a
    reset from the kernel, so a client still sending its request failed on the send and never read the 429. Now
    the server shuts its side and reads what still comes, so the late client sends all and reads the 429 whole."""
    base, _ = guarded
    port = int(base.rsplit(":", 1)[1])
    held = []
    try:
        for _ in range(PER_CLIENT):  # the client's whole allowance, idle
            s = socket.socket()
            s.bind((ATTACKER, 0))
            s.connect(("127.0.0.1", port))
            held.append(s)
        late = []
        for _ in range(5):
            s = socket.socket()
            s.bind((ATTACKER, 0))
            s.connect(("127.0.0.1", port))
            late.append(s)
        time.sleep(1.0)  # the server has answered 429 on each of them by now
        for s in late:
            s.sendall(b"POST /v1/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 1000000\r\n\r\n")
            for _ in range(100):  # as a client does that writes its whole body before reading
                s.sendall(b" " * 10_000)  # before: BrokenPipeError or ConnectionResetError
        for s in late:
            s.settimeout(10)
            received = b""
            while chunk := s.recv(4096):  # a reset here raises ConnectionResetError: the 429 lost
                received += chunk
            assert received.startswith(b"HTTP/1.1 429") and b"too_many_connections" in received, received[:200]
            s.close()
    finally:
        for s in held:
            s.close()
    assert get(base + "/healthz") == 200
