"""Issue 8's done criterion against real `qa serve` processes: a two-page Chinese PDF uploaded over HTTP is
answered with a citation of page 2, listed, survives a restart, is deleted and gone from results, and the
rest of the corpus answers as before. Also: a SIGKILL during an upload keeps the previous version, and with
two gunicorn workers an upload is visible to every worker at once.

What a restart reads is checked over HTTP once (the upload survives a restart); after that, where a test only
needs "the index on disk, loaded anew, answers so", it loads it in this process into the real Flask app
(`restarted`): a `qa serve` start is several seconds of imports and model load."""
from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest
import requests

from embeddings.index_store import current_version_dir, load_index, read_manifest
from qa_service.service import QAService
from tests.conftest import CORPUS
from tests.integration.misbehaving_clients import qa_serve
from tests.qa_service.apps import app_for
from tests.qa_service.intake_testlib import (ANSWER_ON_PAGE_TWO, CORPUS_ANSWER, CORPUS_QUESTION, PDF_NAME,
                                            QUESTION_ON_PAGE_TWO, copy_index, two_page_pdf)

pytestmark = pytest.mark.integration


def _ask(base: str, question: str) -> dict:
    """The answer without its answer_id (every answer has its own, so two of the same question differ only there)."""
    resp = requests.post(base + "/v1/ask", json={"question": question}, timeout=60)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    body.pop("answer_id", None)
    return body


def _search_docs(base: str, query: str) -> set[str]:
    resp = requests.post(base + "/v1/search", json={"query": query, "top_k": 10}, timeout=60)
    return {r["doc"] for r in resp.json()["results"]}


def _upload(base: str, name: str, raw: bytes, timeout: float = 300) -> requests.Response:
    # X-Requested-With, as the question page sends it: a keyless server takes writes only with it (access.py)
    return requests.post(base + "/v1/documents", files={"file": (name, raw, "application/pdf")}, timeout=timeout,
                         headers={"X-Requested-With": "test"})


@pytest.fixture()
def own_index(built_index, tmp_path):
    return copy_index(built_index, tmp_path / "idx")


def restarted(settings, encoder):
    """The index as it is on disk, loaded anew as a restarted server loads it, in the real Flask app (a test
    client: the app `qa serve` serves, without the process)."""
    return app_for(QAService.from_settings(settings, encoder), encoder=encoder).test_client()


def test_two_page_pdf_over_http_cites_page_two_survives_restart_and_is_deleted(own_index, encoder):
    settings = own_index
    with qa_serve(settings.index_dir, QA_EMBEDDING_CACHE=settings.embedding_cache) as (base, _):
        before = _ask(base, CORPUS_QUESTION)
        assert CORPUS_ANSWER in before["answer"]
        resp = _upload(base, PDF_NAME, two_page_pdf())
        assert resp.status_code == 201, resp.text
        doc = resp.json()
        answer = _ask(base, QUESTION_ON_PAGE_TWO)  # the very next request: no reload, no restart
        assert answer["answerable"] and ANSWER_ON_PAGE_TWO in answer["answer"]
        assert answer["citations"][0]["doc"] == PDF_NAME and answer["citations"][0]["page"] == 2
        listing = requests.get(base + "/v1/documents", timeout=30).json()
        assert [(d["name"], d["pages"]) for d in listing["documents"] if d["id"] == doc["id"]] == [(PDF_NAME, 2)]

    with qa_serve(settings.index_dir, QA_EMBEDDING_CACHE=settings.embedding_cache) as (base, _):  # a restart keeps it
        assert doc["id"] in [d["id"] for d in requests.get(base + "/v1/documents", timeout=30).json()["documents"]]
        assert _ask(base, QUESTION_ON_PAGE_TWO)["citations"][0]["page"] == 2
        assert requests.delete(f"{base}/v1/documents/{doc['id']}", timeout=120).status_code == 204
        assert PDF_NAME not in _search_docs(base, QUESTION_ON_PAGE_TWO)
        assert doc["id"] not in [d["id"] for d in requests.get(base + "/v1/documents", timeout=30).json()["documents"]]
        assert _ask(base, CORPUS_QUESTION) == before  # the rest of the corpus answers exactly as before

    client = restarted(settings, encoder)  # and so does the deletion
    resp = client.post("/v1/search", json={"query": QUESTION_ON_PAGE_TWO, "top_k": 10})
    assert resp.status_code == 200 and resp.get_json()["results"]
    assert PDF_NAME not in {r["doc"] for r in resp.get_json()["results"]}
    assert doc["id"] not in [d["id"] for d in client.get("/v1/documents").get_json()["documents"]]


def test_bad_uploads_over_http_name_the_file(server, built_index):
    """On the session's server (conftest.py) over the shared test index: uploads that are refused write nothing,
    which is what this asserts."""
    version = current_version_dir(built_index.index_dir).name
    base = server
    for name, raw, status, code in (("坏.pdf", b"%PDF-1.7\n\x00\x01garbage", 422, "corrupt_document"),
                                    ("空.txt", b"", 422, "empty_document"),
                                    ("表.xls", b"\xd0\xcf\x11\xe0", 415, "unsupported_file_type")):
        resp = _upload(base, name, raw)
        assert resp.status_code == status and resp.json()["error"]["code"] == code
        assert name in resp.json()["error"]["message"]
    assert CORPUS_ANSWER in _ask(base, CORPUS_QUESTION)["answer"]
    assert current_version_dir(built_index.index_dir).name == version


def test_sigkill_during_an_upload_keeps_the_previous_version(own_index, encoder, tmp_path):
    settings = own_index
    version = current_version_dir(settings.index_dir).name
    manifest = read_manifest(settings.index_dir)
    big = (CORPUS / "首批双创示范基地经验总结汇编.txt").read_text(encoding="utf-8")[:50_000].encode()  # ~200 passages
    server_log = tmp_path / "serve.log"
    fresh_cache = str(tmp_path / "fresh.sqlite")  # so the server really embeds while it is killed
    # The upload embeds before it writes (a lexical upload embeds after: its kill is tests/qa_service/ingestion/
    # test_background_embedding.py's).
    with qa_serve(settings.index_dir, log_file=server_log, QA_EMBEDDING_CACHE=fresh_cache,
                  QA_LEXICAL_UPLOADS="false") as (base, proc):
        outcome: list[object] = []
        sender = threading.Thread(target=lambda: outcome.append(_try_upload(base, "大文件.txt", big)))
        sender.start()
        deadline = time.time() + 240
        while "new passages" not in server_log.read_text(errors="replace") and time.time() < deadline:
            time.sleep(0.2)
        assert "new passages" in server_log.read_text(errors="replace"), "the upload never started embedding"
        time.sleep(1.0)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        sender.join(timeout=60)
    assert outcome and not isinstance(outcome[0], int)  # the client saw the connection drop, not a success
    assert current_version_dir(settings.index_dir).name == version and read_manifest(settings.index_dir) == manifest
    assert len(load_index(settings.index_dir).chunks) == manifest.chunk_count
    client = restarted(settings, encoder)
    names = [d["name"] for d in client.get("/v1/documents").get_json()["documents"]]
    assert "大文件.txt" not in names and len(names) == len(manifest.documents)
    answer = client.post("/v1/ask", json={"question": CORPUS_QUESTION})
    assert answer.status_code == 200 and CORPUS_ANSWER in answer.get_json()["answer"]


def _try_upload(base: str, name: str, raw: bytes) -> object:
    try:
        return _upload(base, name, raw).status_code
    except requests.RequestException as exc:
        return exc


def test_every_gunicorn_worker_sees_an_upload_and_a_deletion_at_once(two_workers):
    base, _ = two_workers  # the session's `qa serve --workers 2 --threads 2` (conftest.py) on its own index copy
    resp = _upload(base, PDF_NAME, two_page_pdf())
    assert resp.status_code == 201, resp.text
    for _ in range(8):  # new connections, spread over both workers
        assert PDF_NAME in _search_docs(base, QUESTION_ON_PAGE_TWO)
    assert requests.delete(f"{base}/v1/documents/{resp.json()['id']}", timeout=120).status_code == 204
    for _ in range(8):
        assert PDF_NAME not in _search_docs(base, QUESTION_ON_PAGE_TWO)
