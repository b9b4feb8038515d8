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


