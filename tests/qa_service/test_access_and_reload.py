"""Optional API keys, and reloading a new index version while requests are being served."""
import json
import shutil
import threading
import urllib.request

import openai
import pytest

from embeddings.index_store import CURRENT_FILE, current_version_dir
from qa_service.api.app import create_app
from qa_service.ingestion import IngestionService
from qa_service.service import QAService
from tests.qa_service.servers import serve

ASK = {"question": "海淀区有多少所高等院校？"}


@pytest.fixture(scope="module")
def keyed_app(service):
    return create_app(service, service.settings.with_overrides(api_keys="key-one, key-two"))


def test_keys_are_required_except_for_health_checks(keyed_app):
    client = keyed_app.test_client()
    assert client.get("/healthz").status_code == 200 and client.get("/readyz").status_code == 200
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "key-one"}, {"X-API-Key": "key-on"}):
        resp = client.post("/v1/ask", json=ASK, headers=headers)
        assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "unauthorized"
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.post("/v1/ask", json=ASK, headers={"Authorization": "Bearer key-two"}).status_code == 200
    assert client.post("/v1/ask", json=ASK, headers={"X-API-Key": "key-one"}).status_code == 200
    assert client.get("/v1/models").status_code == 401


def test_openai_sdk_uses_the_key(keyed_app):
    with serve(keyed_app) as base:
        good = openai.OpenAI(base_url=base + "/v1", api_key="key-one", max_retries=0)
        assert "33" in good.chat.completions.create(model="qa-service", messages=[
            {"role": "user", "content": ASK["question"]}]).choices[0].message.content
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(base_url=base + "/v1", api_key="nope", max_retries=0).models.list()


def test_admin_reload_without_keys_is_loopback_only(app):
    resp = app.test_client().post("/admin/reload", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden"


@pytest.fixture()
def own_index(built_index, encoder, tmp_path):
    settings = built_index.with_overrides(index_dir=tmp_path / "idx")
    shutil.copytree(built_index.index_dir, settings.index_dir)
    return settings, QAService.from_settings(settings, encoder)


def test_reload_swaps_atomically_under_load(own_index, encoder, small_corpus, tmp_path):
    settings, service = own_index
    before = service.info()["index_version"]
    one_doc = tmp_path / "one"
    one_doc.mkdir()
    shutil.copy(small_corpus / "北京市海淀区双创经验总结.txt", one_doc)
    IngestionService(settings, encoder).run([one_doc], show_progress=False)  # a new version beside the served one

    statuses: list[int] = []
    stop = threading.Event()
    # Automatic reloading off: this is about POST /admin/reload (the watcher would otherwise load the new version
    # before the first request, see test_a_version_written_before_the_app_is_loaded_by_the_first_request).
    with serve(create_app(service, service.settings.with_overrides(auto_reload=False))) as base:
        def hammer():
            while not stop.is_set():
                req = urllib.request.Request(base + "/v1/search", data=json.dumps({"query": "海淀区高等院校"}).encode(),
                                             headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(req, timeout=30) as resp:
                    statuses.append(resp.status)
        threads = [threading.Thread(target=hammer) for _ in range(4)]
        for t in threads:
            t.start()
        req = urllib.request.Request(base + "/admin/reload", data=b"{}", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            body = json.loads(resp.read())
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert body["previous"] == before and body["index_version"] != before
    assert service.info()["manifest"]["documents"][0]["name"] == "北京市海淀区双创经验总结.txt"
    assert len(statuses) > 0 and set(statuses) == {200}


def test_failed_reload_keeps_serving_the_old_index(own_index):
    settings, service = own_index
    before = service.info()["index_version"]
    (settings.index_dir / CURRENT_FILE).write_text("v-does-not-exist\n")
    client = create_app(service).test_client()
    resp = client.post("/admin/reload")
    assert resp.status_code == 409 and before in resp.get_json()["error"]["message"]
    assert service.info()["index_version"] == before
    assert client.post("/v1/ask", json=ASK).get_json()["answerable"] is True
    assert current_version_dir(settings.index_dir).name == "v-does-not-exist"


def test_qa_reload_command(own_index):
    import subprocess
    import sys

    _, service = own_index
    with serve(create_app(service)) as base:
        ok = subprocess.run([sys.executable, "-m", "qa_service.cli", "reload", "--url", base],
                            capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and "reloaded" in ok.stderr
    unreachable = subprocess.run([sys.executable, "-m", "qa_service.cli", "reload", "--url", "http://127.0.0.1:9"],
                                 capture_output=True, text=True, timeout=120)
    assert unreachable.returncode == 2 and "Traceback" not in unreachable.stderr


def test_a_version_written_before_the_app_is_loaded_by_the_first_request(own_index, small_corpus, encoder, tmp_path):
    """A gunicorn worker that loaded its index, then saw another worker write a new version before its own
    watcher existed, must not keep serving the old one."""
    settings, service = own_index
    before = service.info()["index_version"]
    one_doc = tmp_path / "one"
    one_doc.mkdir()
    shutil.copy(small_corpus / "北京市海淀区双创经验总结.txt", one_doc)
    IngestionService(settings, encoder).run([one_doc], show_progress=False)
    client = create_app(service).test_client()
    assert client.post("/v1/search", json={"query": "海淀区高等院校"}).status_code == 200
    assert service.info()["index_version"] not in (before, None)
    assert [d["name"] for d in service.info()["manifest"]["documents"]] == ["北京市海淀区双创经验总结.txt"]
