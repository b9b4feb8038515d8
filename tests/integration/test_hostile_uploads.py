"""Issue 16 against a real `qa serve` (waitress) on loopback: hostile uploads are refused with JSON 4xx naming the
file and the cap or limit, the server's memory stays flat, its parsing children are replaced, and it answers on."""
from __future__ import annotations

import psutil
import pytest
import requests

from embeddings.index_store import current_version_dir
from tests.documents.hostile_files import docx_bomb, nested_html, random_gbk_pairs
from tests.integration.misbehaving_clients import qa_serve
from tests.qa_service.intake_testlib import CORPUS_ANSWER, CORPUS_QUESTION, copy_index

pytestmark = pytest.mark.integration


def _rss(pid: int) -> int:
    return psutil.Process(pid).memory_info().rss


def _upload(base: str, name: str, raw: bytes) -> requests.Response:
    """As a local program writes to a keyless server: with X-Requested-With (qa_service/api/access.py)."""
    return requests.post(base + "/v1/documents", files={"file": (name, raw)}, timeout=300,
                         headers={"X-Requested-With": "test"})


def test_hostile_uploads_over_http_are_refused_and_the_server_answers_on(built_index, tmp_path, monkeypatch):
    settings = copy_index(built_index, tmp_path / "idx")
    version = current_version_dir(settings.index_dir).name
    monkeypatch.setenv("QA_PARSE_MEMORY_MB", "400")  # so a .docx under the caps still meets the memory limit
    with qa_serve(settings.index_dir, QA_EMBEDDING_CACHE=settings.embedding_cache) as (base, proc):
        ok = _upload(base, "热身.txt", "热身上传的文件：推进科技成果转化，加快建设科技强国。".encode())
        assert ok.status_code == 201, ok.text
        assert requests.delete(f"{base}/v1/documents/{ok.json()['id']}", timeout=120).status_code == 204
        rss = _rss(proc.pid)
        children = {c.pid for c in psutil.Process(proc.pid).children()}
        assert children  # the warm parsing child
        for name, raw, status, code in (
                ("炸弹.docx", docx_bomb(100 << 20), 422, "document_too_large"),
                ("热.docx", docx_bomb(3_800_000 * 6), 422, "parse_memory"),
                ("嵌套.html", nested_html(1_200), 422, "document_too_deep"),
                ("乱码.txt", random_gbk_pairs(200_000), 422, "not_text"),
                ("中国电科双创示范基地建设方案.txt", "冒名的文件。".encode(), 409, "name_taken")):
            resp = _upload(base, name, raw)
            assert resp.status_code == status, resp.text
            assert resp.json()["error"]["code"] == code and name in resp.json()["error"]["message"]
            assert CORPUS_ANSWER in requests.post(base + "/v1/ask", json={"question": CORPUS_QUESTION},
                                                  timeout=60).json()["answer"]
        assert _rss(proc.pid) - rss < 100 << 20  # issue 16: 3.0 GB after the first bomb, 5.0 GB after the second
        now = {c.pid for c in psutil.Process(proc.pid).children()}
        assert now and children - now  # the child that hit the memory limit is gone, another serves
        assert proc.poll() is None and requests.get(base + "/readyz", timeout=10).status_code == 200
    assert current_version_dir(settings.index_dir).name != version  # the warm-up and its deletion only
