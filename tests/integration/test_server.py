"""A real `qa serve` process on a free loopback port, asked a real question over HTTP."""
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest


pytestmark = pytest.mark.integration


def _post(url, payload):
    req = urllib.request.Request(url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_real_server_answers_with_citation(server):
    status, body = _post(server + "/v1/ask", {"question": "海淀区有多少所高等院校？"})
    assert status == 200 and body["answerable"] and "33" in body["answer"]
    assert any("高等院校 33 所" in c["text"] for c in body["citations"])


def test_real_server_search_and_errors(server):
    status, body = _post(server + "/v1/search", {"query": "中国电科双创示范基地启动阶段", "top_k": 2})
    assert status == 200 and len(body["results"]) == 2
    status, body = _post(server + "/v1/ask", {"question": "", "top_k": 5})
    assert status == 422 and body["error"]["code"] == "empty_field"


def test_openai_sdk_against_qa_serve(server):
    import openai

    client = openai.OpenAI(base_url=server + "/v1", api_key="unused", max_retries=0)
    assert [m.id for m in client.models.list()] == ["qa-service"]
    messages = [{"role": "user", "content": "海淀区有多少所高等院校？"}]
    reply = client.chat.completions.create(model="qa-service", messages=messages)
    assert "33" in reply.choices[0].message.content
    chunks = list(client.chat.completions.create(model="qa-service", messages=messages, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == reply.choices[0].message.content
    assert "高等院校 33 所" in chunks[-1].model_extra["citations"][0]["text"]


def test_serve_with_two_gunicorn_workers(built_index):
    import os
    import subprocess
    import sys
    import time
    import urllib.request

    from tests.conftest import free_port

    port = free_port()
    env = {**os.environ, "QA_INDEX_DIR": str(built_index.index_dir)}
    proc = subprocess.Popen([sys.executable, "-m", "qa_service.cli", "serve", "--port", str(port), "--workers", "2",
                             "--threads", "2"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline, ready_in_a_row = time.time() + 180, 0
        while ready_in_a_row < 8 and time.time() < deadline:  # both workers must have loaded
            try:
                with urllib.request.urlopen(base + "/readyz", timeout=2) as resp:
                    ready_in_a_row = ready_in_a_row + 1 if resp.status == 200 else 0
            except OSError:
                ready_in_a_row = 0
                time.sleep(0.5)
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert ready_in_a_row >= 8, "workers did not become ready"
        answers = {_post(base + "/v1/ask", {"question": "海淀区有多少所高等院校？"})[1]["answer"] for _ in range(6)}
        assert len(answers) == 1 and "33" in answers.pop()  # every worker gives the same answer
    finally:
        proc.terminate()
        proc.wait(timeout=60)
