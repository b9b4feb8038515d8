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

import pytest

from tests.conftest import free_port
from tests.integration.misbehaving_clients import (HEADER_TIMEOUT, PER_CLIENT, ask, get, needs_second_loopback,
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
