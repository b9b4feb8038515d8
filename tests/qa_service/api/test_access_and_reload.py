"""Optional API keys, and reloading a new index version while requests are being served."""
import io
import json
import re
import shutil
import threading
import urllib.request

import openai
import pytest

from embeddings.index_store import CURRENT_FILE, current_version_dir
from qa_service.api.keys import KeyRing, Role, parse_key_entries
from qa_service.ingestion import IngestionService
from qa_service.service import QAService
from qa_service.settings import SettingsError
from tests.qa_service.apps import app_for
from tests.qa_service.servers import serve

ASK = {"question": "海淀区有多少所高等院校？"}


@pytest.fixture(scope="module")
def keyed_app(service):
    return app_for(service, service.settings.with_overrides(api_keys="key-one, key-two:read"))


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
    resp = app.test_client().post("/admin/reload", environ_base={"REMOTE_ADDR": "10.1.2.3"},
                                  headers={"X-Requested-With": "test"})
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden"
    assert "QA_API_KEYS" in resp.get_json()["error"]["message"]


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
    # Five concurrent requests from one address: the per-client bound (4 by default) is lifted for this test.
    with serve(app_for(service, service.settings.with_overrides(auto_reload=False,
                                                                  max_requests_per_client=0))) as base:
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
    client = app_for(service).test_client()
    resp = client.post("/admin/reload", headers={"X-Requested-With": "test"})
    assert resp.status_code == 409 and before in resp.get_json()["error"]["message"]
    assert str(settings.index_dir) not in resp.get_data(as_text=True)  # the reason, without the server's paths
    assert service.info()["index_version"] == before
    assert client.post("/v1/ask", json=ASK).get_json()["answerable"] is True
    assert current_version_dir(settings.index_dir).name == "v-does-not-exist"


def test_qa_reload_command(own_index):
    import subprocess
    import sys

    _, service = own_index
    with serve(app_for(service)) as base:
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
    client = app_for(service).test_client()
    assert client.post("/v1/search", json={"query": "海淀区高等院校"}).status_code == 200
    assert service.info()["index_version"] not in (before, None)
    assert [d["name"] for d in service.info()["manifest"]["documents"]] == ["北京市海淀区双创经验总结.txt"]


# --- roles ----------------------------------------------------------------------------------------------------

READER, WRITER, ADMIN = "reader-key-0123456789", "writer-key-0123456789", "admin-key-0123456789"


def _bearer(key):
    return {"Authorization": f"Bearer {key}"}


def _upload(client, name="a.xlsx", headers=None, **kwargs):
    """An upload that passes access control and is then refused for its type (415): cheap proof of the decision."""
    return client.post("/v1/documents", data={"file": (io.BytesIO(b"PK\x03\x04"), name)},
                       content_type="multipart/form-data", headers=headers or {}, **kwargs)


@pytest.fixture(scope="module")
def roles_app(service):
    return app_for(service, service.settings.with_overrides(api_keys=f"{READER}, {WRITER}:write, {ADMIN}:admin"))


def test_a_bare_key_reads_and_each_role_allows_what_it_names(roles_app):
    client = roles_app.test_client()
    for key in (READER, WRITER, ADMIN):  # every role reads
        assert client.post("/v1/ask", json=ASK, headers=_bearer(key)).status_code == 200
        assert client.get("/v1/documents", headers=_bearer(key)).status_code == 200
    refused = _upload(client, headers=_bearer(READER))
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "insufficient_role"
    assert "write role" in refused.get_json()["error"]["message"]
    assert client.delete("/v1/documents/0123456789abcdef", headers=_bearer(READER)).status_code == 403
    for key in (WRITER, ADMIN):
        assert _upload(client, headers=_bearer(key)).status_code == 415  # past access control
        assert client.delete("/v1/documents/0123456789abcdef", headers=_bearer(key)).status_code == 404
    for key in (READER, WRITER):
        resp = client.post("/admin/reload", headers=_bearer(key))
        assert resp.status_code == 403 and "admin role" in resp.get_json()["error"]["message"]


def test_uploads_says_whether_this_key_may_write(roles_app):
    client = roles_app.test_client()
    assert client.get("/v1/info", headers=_bearer(READER)).get_json()["uploads"] is False
    assert client.get("/v1/documents", headers=_bearer(READER)).get_json()["uploads"] is False
    remote = {"REMOTE_ADDR": "10.1.2.3"}
    assert client.get("/v1/info", headers=_bearer(WRITER), environ_base=remote).get_json()["uploads"] is True
    assert client.get("/v1/documents", headers=_bearer(ADMIN), environ_base=remote).get_json()["uploads"] is True


def test_keys_file_holds_only_digests(service, tmp_path):
    from qa_service.api.keys import new_key_line

    write_key, write_line = new_key_line(Role.WRITE, "ci-uploader")
    read_key, read_line = new_key_line(Role.READ, "dashboard")
    path = tmp_path / "keys"
    path.write_text(f"# role name sha256\n{write_line}\n\n{read_line}  # a comment\n", encoding="utf-8")
    assert write_key not in path.read_text() and read_key not in path.read_text()
    client = app_for(service, service.settings.with_overrides(api_keys_file=str(path))).test_client()
    assert client.post("/v1/ask", json=ASK, headers=_bearer(read_key)).status_code == 200
    assert _upload(client, headers=_bearer(read_key)).status_code == 403
    assert _upload(client, headers=_bearer(write_key)).status_code == 415
    assert client.post("/v1/ask", json=ASK, headers=_bearer(write_line.split()[-1])).status_code == 401


@pytest.mark.parametrize("keys,line,fragment", [
    ("abc-0123456789abcdef:owner", None, "unknown role 'owner'"),
    (":admin", None, "no key"),
    ("", "write ci", "expected 'role name sha256 [kb1,kb2]'"),
    ("", "read ci " + "0" * 64 + " hr,../x", "not a knowledge base name"),
    ("abc-0123456789abcdef:read:hr|a b", None, "not a knowledge base name"),
    ("", "root ci " + "0" * 64, "unknown role 'root'"),
    ("", "read ci 1234", "64 hex digits"),
    ("", "read c/i " + "0" * 64, "a name is"),
    ("", f"read a {'1' * 64}\nwrite a {'2' * 64}", "unique"),
])
def test_bad_key_configuration_is_refused_with_a_clear_message(service, tmp_path, keys, line, fragment):
    path = tmp_path / "keys"
    if line is not None:
        path.write_text(line + "\n", encoding="utf-8")
    settings = service.settings.with_overrides(api_keys=keys, api_keys_file=str(path) if line is not None else "")
    with pytest.raises(SettingsError, match=re.escape(fragment)):
        KeyRing.from_settings(settings)


def test_key_ring_finds_the_key_by_digest():
    ring = KeyRing(parse_key_entries("one-0123456789abcdef:admin, two-0123456789abcdef"))
    assert ring.verify("one-0123456789abcdef").role == Role.ADMIN
    assert ring.verify("two-0123456789abcdef").role == Role.READ
    assert ring.verify("two-0123456789abcde") is None and ring.verify("") is None
    assert all(len(k.digest) == 32 for k in ring.keys) and {k.name for k in ring.keys} == {"key-1", "key-2"}


# --- without keys: reads open, writes only from this server's own page on loopback ---------------------------

SAME_ORIGIN = {"X-Requested-With": "test"}


def test_cross_site_form_post_is_refused(app):
    """Measured before: a multipart POST with Origin and Host of another site got 201 from a keyless server."""
    client = app.test_client()
    resp = _upload(client, headers={"Origin": "https://evil.example", **SAME_ORIGIN})
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "cross_origin"
    resp = _upload(client, headers={"Origin": "null", **SAME_ORIGIN})  # sandboxed frames and some redirects
    assert resp.status_code == 403
    resp = _upload(client)  # a form POST carries no X-Requested-With: nothing proves it is not cross-site
    assert resp.status_code == 403 and "X-Requested-With" in resp.get_json()["error"]["message"]


def test_dns_rebinding_host_is_refused(app):
    """A page of evil.example whose name was rebound to 127.0.0.1: same-origin for the browser, not for us."""
    client = app.test_client()
    for host in ("evil.example:8000", "evil.example", "127.0.0.1.nip.io:8000", "localhost.evil.example"):
        resp = _upload(client, headers={"Host": host, "Origin": f"http://{host}", **SAME_ORIGIN})
        assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "cross_origin", host
        assert client.get("/v1/info", headers={"Host": host}).get_json()["uploads"] is False
    resp = client.delete("/v1/documents/0123456789abcdef", headers={"Host": "evil.example:8000"})
    assert resp.status_code == 403


@pytest.mark.parametrize("host,origin", [("localhost:8000", "http://localhost:8000"),
                                         ("127.0.0.1:8000", "http://127.0.0.1:8000"),
                                         ("[::1]:8000", "http://[::1]:8000"), ("127.0.0.1:8000", None)])
def test_the_page_and_local_tools_may_write(app, host, origin):
    headers = {"Host": host, **SAME_ORIGIN, **({"Origin": origin} if origin else {})}
    assert _upload(app.test_client(), headers=headers).status_code == 415  # past access control
    # a DELETE or a JSON POST is never sent cross-site without a preflight: no extra header needed
    assert app.test_client().delete("/v1/documents/0123456789abcdef", headers={"Host": host}).status_code == 404


def test_other_origins_on_this_machine_are_refused(app):
    """Another local web app (say a dev server on :3000) is another origin even on loopback."""
    resp = _upload(app.test_client(), headers={"Host": "127.0.0.1:8000", "Origin": "http://127.0.0.1:3000",
                                               **SAME_ORIGIN})
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "cross_origin"


def test_reads_stay_open_without_keys(app):
    client = app.test_client()
    headers = {"Host": "evil.example", "Origin": "https://evil.example"}
    assert client.post("/v1/ask", json=ASK, headers=headers).status_code == 200
    assert client.get("/v1/documents", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200


def test_listening_beyond_loopback_writes_need_keys(service):
    client = app_for(service, service.settings.with_overrides(host="0.0.0.0")).test_client()
    resp = _upload(client, headers=SAME_ORIGIN)  # even from loopback, with every proof of same origin
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden"
    assert "QA_API_KEYS" in resp.get_json()["error"]["message"]
    assert client.post("/admin/reload", headers=SAME_ORIGIN).status_code == 403
    assert client.get("/v1/info").get_json()["uploads"] is False
    assert client.post("/v1/ask", json=ASK).status_code == 200  # reads stay open


def test_behind_a_trusted_proxy_the_forwarded_client_is_not_loopback(service):
    settings = service.settings.with_overrides(trusted_proxies="127.0.0.1")
    client = app_for(service, settings).test_client()
    resp = _upload(client, headers={"X-Forwarded-For": "203.0.113.9", **SAME_ORIGIN})
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden"
    assert _upload(client, headers=SAME_ORIGIN).status_code == 415  # the proxy host itself, no forwarding


def test_listening_address_decides_loopback():
    from qa_service.settings import Settings

    assert all(Settings(host=h).listens_on_loopback for h in ("127.0.0.1", "::1", "localhost", "127.0.0.2", "[::1]"))
    assert not any(Settings(host=h).listens_on_loopback for h in ("0.0.0.0", "::", "192.168.1.5", "example.com"))


def test_qa_api_key_prints_a_key_and_its_line(capsys, tmp_path):
    from qa_service.api.keys import read_key_file
    from qa_service.cli import main

    assert main(["api-key", "--role", "admin", "--name", "ops"]) == 0
    out = capsys.readouterr().out.splitlines()
    key, line = out[0].rsplit(" ", 1)[1], out[1].split(": ", 1)[1]
    assert line.split()[:2] == ["admin", "ops"] and len(key) >= 40 and key not in line
    (tmp_path / "keys").write_text(line + "\n", encoding="utf-8")
    assert KeyRing(read_key_file(tmp_path / "keys")).verify(key).role == Role.ADMIN
