"""Issue 20's "Done when", end to end on a real `qa serve` with keys, once with FAISS and once with Milvus Lite:
two knowledge bases made by the admin, a key of `first` that finds nothing of `second` (404 everywhere, left out
of the lists), the official openai SDK answering from `second` with citations, a filter by document holding every
citation to it, and a rating that comes back as an evaluation question `qa eval` scores against the server."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
import openai
import pytest

from tests.conftest import free_port, needs_milvus
from tests.qa_service.intake_testlib import ANSWER_ON_PAGE_TWO, PAGE_ONE, PAGE_TWO, QUESTION_ON_PAGE_TWO, copy_index

pytestmark = pytest.mark.integration

ADMIN = "e2e-admin-5b0c9e1f7a3d"
FIRST = "e2e-first-writer-8c2d4f6a1b"  # write: a delete it may not do is refused by scope, not by role
SECOND = "e2e-second-reader-3e7a9b5c0d"
KEYS = f"{ADMIN}:admin,{FIRST}:write:first,{SECOND}:read:second"

QINGDAO = "qingdao-labs.txt"  # second's distinctive fact: 47 laboratories (page two of the intake tests' PDF)
ZHOUSHAN = "zhoushan-ranches.txt"  # second's other document, on a neighbouring subject
ZHOUSHAN_TEXT = (
    "舟山海洋经济示范区建设情况\n"
    "一、总体情况\n"
    "舟山市围绕海洋经济发展，建设海洋经济示范区，推进港口物流、海洋渔业和海洋旅游协同发展，"
    "完善海洋科技服务体系，集聚海洋产业创新资源。\n"
    "二、建设成效\n"
    "截至二〇二三年底，舟山海洋经济示范区共建成海洋牧场18处，培育海洋科技企业90家，"
    "建成海洋科技公共服务平台6个。\n"
)
ZHOUSHAN_QUESTION = "舟山海洋经济示范区共建成多少处海洋牧场？"
FIRST_TEXT = (
    "苏州工业园区开放创新情况\n"
    "苏州工业园区坚持开放创新，持续优化营商环境。截至二〇二三年底，园区累计引进外资项目520个，"
    "建成国家级孵化器21家，集聚各类研发机构500余家。\n"
)
FIRST_QUESTION = "苏州工业园区累计引进多少个外资项目？"
READY_SECONDS = 240
HYBRID_SECONDS = 180


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qa_service.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300)


def _cli_here(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    """`qa ARGS` called in this process with the same environment (its exit status, and what it logged as its
    stderr): the Milvus case's `qa feedback export` and `qa eval`, which do not depend on the backend and were
    seconds of imports each as processes (the FAISS case runs them as processes)."""
    from qa_service.cli import main

    def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
        for name, value in env.items():
            if os.environ.get(name) != value:
                monkeypatch.setenv(name, value)
        caplog.clear()
        status = main(list(args))
        return subprocess.CompletedProcess(args, status, "", caplog.text)

    return run


@contextmanager
def _served(env: dict[str, str], log: Path) -> Iterator[str]:
    """`qa serve` (one waitress process: Milvus Lite is one process's) until /readyz says ready; its log in a file,
    so a talkative server never blocks on a full pipe."""
    port = free_port()
    with log.open("wb") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "qa_service.cli", "serve", "--port", str(port)], env=env,
                                stdout=subprocess.DEVNULL, stderr=sink)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_SECONDS
        while True:
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            try:
                if httpx.get(base + "/readyz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "qa serve did not become ready: " + log.read_text()[-3000:]
            time.sleep(0.05)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def _upload(base: str, kb: str, name: str, text: str) -> str:
    resp = httpx.post(f"{base}/v1/kbs/{kb}/documents", headers=_auth(ADMIN), timeout=120,
                      files={"file": (name, text.encode("utf-8"), "text/plain")})
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


def _wait_hybrid(base: str, kb: str, key: str, log: Path) -> None:
    """Uploads are answerable by BM25 at once and get their vectors in the background: wait for them, so the
    vector backend under test takes part in every answer below."""
    deadline = time.monotonic() + HYBRID_SECONDS
    while (info := httpx.get(f"{base}/v1/kbs/{kb}/info", headers=_auth(key), timeout=30).json())["retrieval"] \
            != "hybrid":
        assert time.monotonic() < deadline, (info, log.read_text(errors="replace")[-3000:])
        time.sleep(0.1)


@pytest.mark.parametrize("backend", ["faiss", pytest.param("milvus", marks=needs_milvus)])
def test_two_knowledge_bases_keys_sdk_filters_and_feedback_over_http(backend, built_index, small_corpus, tmp_path,
                                                                     monkeypatch, caplog):
    settings = copy_index(built_index, tmp_path / "idx")
    feedback_db = tmp_path / "feedback.sqlite"
    env = {**os.environ, "QA_INDEX_DIR": str(settings.index_dir), "QA_FEEDBACK_DB": str(feedback_db),
           "QA_API_KEYS": KEYS, "QA_VECTOR_STORE": backend, "QA_MILVUS_URI": str(tmp_path / "lite.db"),
           "QA_EMBEDDING_CACHE": str(tmp_path / "embeddings.sqlite"), "QA_MAX_REQUESTS_PER_CLIENT": "0"}
    if backend == "milvus":  # default's vectors into the collection, as `qa ingest` does for a FAISS-built index
        ingest = _cli("ingest", str(small_corpus), env=env)
        assert ingest.returncode == 0, ingest.stderr[-3000:]
    log = tmp_path / "serve.log"
    with _served(env, log) as base:
        # 1. the admin makes the two knowledge bases and fills them
        for name in ("first", "second"):
            assert httpx.post(base + "/v1/kbs", json={"name": name}, headers=_auth(ADMIN)).status_code == 201
        _upload(base, "first", "first-note.txt", FIRST_TEXT)
        qingdao = _upload(base, "second", QINGDAO, PAGE_ONE + "\n" + PAGE_TWO)
        zhoushan = _upload(base, "second", ZHOUSHAN, ZHOUSHAN_TEXT)
        _wait_hybrid(base, "first", FIRST, log)
        _wait_hybrid(base, "second", SECOND, log)
        if backend == "milvus":  # each knowledge base's vectors are in its own collection of the one Lite file
            collections = {json.loads((tmp_path / "kbs" / name / "index" / "milvus-sync.json").read_text())
                           ["identity"]["collection"] for name in ("first", "second")}
            ids = {json.loads((tmp_path / "kbs" / name / "kb.json").read_text())["id"] for name in ("first", "second")}
            assert collections == {f"qa_chunks_{kb_id}" for kb_id in ids} and len(collections) == 2

        # 2. first's key finds nothing of second: every request is the 404 of a knowledge base never made
        first = _auth(FIRST)
        refused = [("GET", "/v1/kbs/second", {}), ("GET", "/v1/kbs/second/documents", {}),
                   ("GET", "/v1/kbs/second/info", {}),
                   ("POST", "/v1/kbs/second/search", {"json": {"query": QUESTION_ON_PAGE_TWO}}),
                   ("POST", "/v1/kbs/second/ask", {"json": {"question": QUESTION_ON_PAGE_TWO}}),
                   ("POST", "/v1/kbs/second/chat/completions",
                    {"json": {"messages": [{"role": "user", "content": QUESTION_ON_PAGE_TWO}]}}),
                   ("DELETE", f"/v1/kbs/second/documents/{qingdao}", {}),
                   ("DELETE", f"/v1/kbs/first/documents/{qingdao}", {}),
                   ("DELETE", f"/v1/documents/{qingdao}", {})]
        for method, path, kwargs in refused:
            resp = httpx.request(method, base + path, headers=first, timeout=60, **kwargs)
            assert resp.status_code == 404, (method, path, resp.text)
            assert "second" not in resp.text and ANSWER_ON_PAGE_TWO not in resp.text, (method, path)
        assert [k["name"] for k in httpx.get(base + "/v1/kbs", headers=first).json()["data"]] == ["first"]
        assert [m["id"] for m in httpx.get(base + "/v1/models", headers=first).json()["data"]] == ["first"]
        as_first = openai.OpenAI(base_url=base + "/v1", api_key=FIRST, max_retries=0)
        with pytest.raises(openai.NotFoundError):
            as_first.chat.completions.create(model="second",
                                             messages=[{"role": "user", "content": QUESTION_ON_PAGE_TWO}])
        own = httpx.post(base + "/v1/kbs/first/ask", json={"question": FIRST_QUESTION}, headers=first, timeout=60)
        assert own.status_code == 200 and "520" in own.json()["answer"]  # the key itself works
        listed = httpx.get(base + "/v1/kbs/second/documents", headers=_auth(SECOND)).json()["documents"]
        assert sorted(d["name"] for d in listed) == [QINGDAO, ZHOUSHAN]  # nothing was deleted

        # 3. the openai SDK with second's key: second is its model, and it answers from it with citations
        as_second = openai.OpenAI(base_url=base + "/v1", api_key=SECOND, max_retries=0)
        assert [m.id for m in as_second.models.list()] == ["second"]
        reply = as_second.chat.completions.create(model="second",
                                                  messages=[{"role": "user", "content": QUESTION_ON_PAGE_TWO}])
        assert ANSWER_ON_PAGE_TWO in reply.choices[0].message.content
        citations = reply.model_extra["citations"]
        assert citations and citations[0]["doc"] == QINGDAO and ANSWER_ON_PAGE_TWO in citations[0]["text"]
        assert QINGDAO in reply.choices[0].message.content  # the footnotes name the source for plain clients

        # 4. a filter by document: every result and citation is of that document, the other's fact is not said
        second = _auth(SECOND)
        only_zhoushan = {"documents": [ZHOUSHAN]}
        unfiltered = httpx.post(base + "/v1/kbs/second/search", headers=second, timeout=60,
                                json={"query": QUESTION_ON_PAGE_TWO, "top_k": 5}).json()["results"]
        assert unfiltered[0]["doc"] == QINGDAO
        results = httpx.post(base + "/v1/kbs/second/search", headers=second, timeout=60, json={
            "query": QUESTION_ON_PAGE_TWO, "top_k": 5, "filters": only_zhoushan}).json()["results"]
        assert results and {r["doc"] for r in results} == {ZHOUSHAN}
        asked = httpx.post(base + "/v1/kbs/second/ask", headers=second, timeout=60,
                           json={"question": ZHOUSHAN_QUESTION, "filters": only_zhoushan}).json()
        assert asked["answerable"] and "18" in asked["answer"]
        assert asked["citations"] and {c["doc"] for c in asked["citations"]} == {ZHOUSHAN}
        elsewhere = httpx.post(base + "/v1/kbs/second/ask", headers=second, timeout=60,
                               json={"question": QUESTION_ON_PAGE_TWO, "filters": only_zhoushan}).json()
        assert {c["doc"] for c in elsewhere["citations"]} <= {ZHOUSHAN}
        assert ANSWER_ON_PAGE_TWO not in elsewhere["answer"]
        assert zhoushan in {d["id"] for d in listed}

        # 5. the SDK's answer rated up comes back as a question of an evaluation set that `qa eval` scores
        rated = httpx.post(base + "/v1/kbs/second/feedback", headers=second,
                           json={"answer_id": reply.id, "rating": "up", "comment": "对"})
        assert rated.status_code == 201, rated.text
        questions = tmp_path / "from-feedback.jsonl"
        cli = _cli if backend == "faiss" else _cli_here(monkeypatch, caplog)
        export = cli("feedback", "export", "--kb", "second", "--out", str(questions), env=env)
        assert export.returncode == 0, export.stderr[-3000:]
        rows = [json.loads(line) for line in questions.read_text(encoding="utf-8").splitlines()]
        assert len(rows) == 1 and rows[0]["question"] == QUESTION_ON_PAGE_TWO and rows[0]["answerable"] is True
        assert ANSWER_ON_PAGE_TWO in rows[0]["answer"] and rows[0]["doc"] == QINGDAO
        report_path = tmp_path / "report.json"
        scored = cli("eval", str(questions), "--url", base, "--kb", "second", "--api-key", SECOND,
                      "--out", str(report_path), "--no-progress", env=env)
        assert scored.returncode == 0, scored.stderr[-3000:]
        report = json.loads(report_path.read_text(encoding="utf-8"))
        assert report["counts"]["questions"] == 1 and report["counts"]["errors"] == 0, report["counts"]
        assert report["metrics"]["answer_contains"] == 1.0 and report["metrics"]["citation_hit"] == 1.0
        served = report["config"]["service"]  # second's /info, through the key
        assert served["retrieval"] == "hybrid" and {d["name"] for d in served["manifest"]["documents"]} == {
            QINGDAO, ZHOUSHAN}
