"""One real `qa serve` process (waitress) on a free loopback port, shared by the integration tests."""
import os
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import free_port


@pytest.fixture(scope="session")
def server(built_index):
    port = free_port()
    # The load test's 32 clients all come from 127.0.0.1: the per-client bounds would count them as one client.
    env = {**os.environ, "QA_INDEX_DIR": str(built_index.index_dir), "QA_MAX_REQUESTS_PER_CLIENT": "0",
           "QA_MAX_CONNECTIONS_PER_CLIENT": "0"}
    proc = subprocess.Popen([sys.executable, "-m", "qa_service.cli", "serve", "--host", "127.0.0.1",
                             "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as resp:
                if resp.status == 200:
                    break
        except OSError:
            time.sleep(0.05)
        if proc.poll() is not None:
            pytest.fail("server exited: " + proc.stderr.read().decode()[-2000:])
    else:
        proc.kill()
        pytest.fail("server did not become ready")
    yield base
    proc.terminate()
    proc.wait(timeout=30)




@pytest.fixture(scope="session")
def two_workers(built_index, tmp_path_factory):
    """One real `qa serve --workers 2 --threads 2` (gunicorn) on a copy of the test index, shared by the tests of
    what two worker processes must agree on (tests/integration/test_server.py, test_knowledge_bases_served.py,
    test_document_intake.py): each start is three processes, two of them loading the model. Each test leaves it
    as it found it (what it uploads or creates it deletes); slow-header deadlines are 3 s (HEADER_TIMEOUT) for
    test_server.py's slow clients. Its log goes to a file, so a talkative server never blocks on a full pipe."""
    from tests.integration.misbehaving_clients import HEADER_TIMEOUT
    from tests.qa_service.intake_testlib import copy_index

    root = tmp_path_factory.mktemp("two-workers")
    settings = copy_index(built_index, root / "idx")
    port = free_port()
    env = {**os.environ, "QA_INDEX_DIR": str(settings.index_dir), "QA_EMBEDDING_CACHE": built_index.embedding_cache,
           "QA_HEADER_TIMEOUT": str(HEADER_TIMEOUT)}
    log = root / "serve.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "qa_service.cli", "serve", "--host", "127.0.0.1", "--port",
                                 str(port), "--workers", "2", "--threads", "2"], env=env,
                                stdout=subprocess.DEVNULL, stderr=sink)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline, in_a_row = time.time() + 240, 0
        while in_a_row < 8 and time.time() < deadline:  # 8 fresh connections in a row: both workers are up
            if proc.poll() is not None:
                pytest.fail("two-worker server exited: " + log.read_text(errors="replace")[-2000:])
            try:
                with urllib.request.urlopen(base + "/readyz", timeout=5) as resp:
                    in_a_row = in_a_row + 1 if resp.status == 200 else 0
            except OSError:
                in_a_row = 0
                time.sleep(0.05)
        if in_a_row < 8:
            pytest.fail("two-worker server did not become ready: " + log.read_text(errors="replace")[-2000:])
        yield base, settings
    finally:
        proc.terminate()
        proc.wait(timeout=60)
