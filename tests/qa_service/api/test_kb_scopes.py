"""Keys scoped to knowledge bases, over the real app: a knowledge base a key does not reach does not exist for it.

Every route of a knowledge base is tried with a key of another one, and with the ids of another one's documents
and answers: the answers are the 404s of a knowledge base that was never made (the same bodies), lists leave it
out, and only a key without a scope creates, renames or deletes knowledge bases. Two different keys in one
request are refused whichever is valid.
"""
from __future__ import annotations

import io

import openai
import pytest

from qa_service.api.app import create_app
from qa_service.composition import ServiceRoot
from qa_service.service import QAService
from tests.qa_service.intake_testlib import CORPUS_QUESTION, PAGE_ONE, PAGE_TWO, QUESTION_ON_PAGE_TWO, copy_index
from tests.qa_service.servers import serve

ADMIN = "admin-key-0123456789abcdef"
HR_WRITER = "hr-writer-0123456789abcdef"
HR_ADMIN = "hr-admin-0123456789abcdef"
DEFAULT_WRITER = "default-writer-0123456789"
KEYS = f"{ADMIN}:admin,{HR_WRITER}:write:hr,{HR_ADMIN}:admin:hr,{DEFAULT_WRITER}:write:default"


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def setup(built_index, encoder, tmp_path_factory):
    settings = copy_index(built_index, tmp_path_factory.mktemp("scopes") / "idx", background_embedding=False,
                          api_keys=KEYS)
    root = ServiceRoot(settings, serving=True, encoder=encoder, qa=QAService.from_settings(settings, encoder))
    app = create_app(root)
    client = app.test_client()
    assert client.post("/v1/kbs", json={"name": "hr"}, headers=_auth(ADMIN)).status_code == 201
    upload = client.post("/v1/kbs/hr/documents", content_type="multipart/form-data", headers=_auth(HR_WRITER),
                         data={"file": (io.BytesIO((PAGE_ONE + "\n" + PAGE_TWO).encode()), "hr-note.txt")})
    assert upload.status_code == 201, upload.get_data(as_text=True)
    hr_doc = upload.get_json()["id"]
    default_doc = client.get("/v1/documents", headers=_auth(ADMIN)).get_json()["documents"][0]["id"]
    hr_answer = client.post("/v1/kbs/hr/ask", json={"question": QUESTION_ON_PAGE_TWO},
                            headers=_auth(HR_WRITER)).get_json()["answer_id"]
    yield app, client, hr_doc, default_doc, hr_answer
    root.close()


def _routes(kb: str, doc_id: str, answer_id: str) -> list[tuple[str, str, dict]]:
    base = f"/v1/kbs/{kb}"
    return [("GET", base, {}), ("GET", f"{base}/info", {}), ("GET", f"{base}/documents", {}),
            ("POST", f"{base}/search", {"json": {"query": QUESTION_ON_PAGE_TWO}}),
            ("POST", f"{base}/ask", {"json": {"question": QUESTION_ON_PAGE_TWO}}),
            ("POST", f"{base}/chat/completions", {"json": {"messages": [{"role": "user", "content": "你好"}]}}),
            ("GET", f"{base}/models", {}), ("DELETE", f"{base}/documents/{doc_id}", {}),
            ("POST", f"{base}/feedback", {"json": {"answer_id": answer_id, "rating": "up"}}),
            ("GET", f"{base}/feedback", {}), ("PATCH", base, {"json": {"name": "hr2"}}), ("DELETE", base, {})]


def test_a_knowledge_base_out_of_scope_answers_as_one_never_made(setup):
    _, client, hr_doc, _, hr_answer = setup
    statuses = set()
    for (method, path, kwargs), (_, absent, absent_kwargs) in zip(_routes("hr", hr_doc, hr_answer),
                                                                   _routes("nowhere", hr_doc, hr_answer)):
        resp = client.open(path, method=method, headers=_auth(DEFAULT_WRITER), **kwargs)
        never = client.open(absent, method=method, headers=_auth(DEFAULT_WRITER), **absent_kwargs)
        assert (resp.status_code, resp.get_json()) == (never.status_code, never.get_json()), (method, path)
        assert "hr" not in resp.get_data(as_text=True)
        statuses.add(resp.status_code)
    assert statuses == {404, 403}  # 403: what the key's role does not allow anywhere (admin routes), told alike
    assert [k["name"] for k in client.get("/v1/kbs", headers=_auth(DEFAULT_WRITER)).get_json()["data"]] == ["default"]
    assert [m["id"] for m in client.get("/v1/models", headers=_auth(DEFAULT_WRITER)).get_json()["data"]] == \
        ["qa-service"]
    assert client.get("/v1/kbs/hr", headers=_auth(HR_WRITER)).status_code == 200  # its own is there


def test_default_routes_need_a_key_that_reaches_default(setup):
    _, client, _, default_doc, _ = setup
    hr = _auth(HR_WRITER)
    for method, path, kwargs in (("POST", "/v1/ask", {"json": {"question": CORPUS_QUESTION}}),
                                 ("POST", "/v1/search", {"json": {"query": CORPUS_QUESTION}}),
                                 ("GET", "/v1/info", {}), ("GET", "/v1/documents", {}),
                                 ("DELETE", f"/v1/documents/{default_doc}", {}), ("GET", "/v1/kbs/default", {})):
        resp = client.open(path, method=method, headers=hr, **kwargs)
        assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found", (method, path)
    assert client.post("/admin/reload", headers=_auth(HR_ADMIN)).status_code == 404
    assert [k["name"] for k in client.get("/v1/kbs", headers=hr).get_json()["data"]] == ["hr"]
    assert [m["id"] for m in client.get("/v1/models", headers=hr).get_json()["data"]] == ["hr"]
    assert client.get("/v1/documents", headers=_auth(DEFAULT_WRITER)).status_code == 200


def test_ids_are_checked_against_their_knowledge_base(setup):
    _, client, hr_doc, default_doc, hr_answer = setup
    # a key that reaches both cannot act on one knowledge base's ids through the other's routes
    assert client.delete(f"/v1/documents/{hr_doc}", headers=_auth(ADMIN)).status_code == 404
    assert client.delete(f"/v1/kbs/hr/documents/{default_doc}", headers=_auth(ADMIN)).status_code == 404
    rated = client.post("/v1/feedback", json={"answer_id": hr_answer, "rating": "down"}, headers=_auth(ADMIN))
    assert rated.status_code == 404
    assert client.post("/v1/kbs/hr/feedback", json={"answer_id": hr_answer, "rating": "up"},
                       headers=_auth(HR_WRITER)).status_code == 201
    names = [d["name"] for d in client.get("/v1/kbs/hr/documents", headers=_auth(HR_WRITER)).get_json()["documents"]]
    assert names == ["hr-note.txt"]


def test_only_a_key_of_every_knowledge_base_changes_the_list(setup):
    _, client, _, _, _ = setup
    for method, path, body in (("POST", "/v1/kbs", {"name": "mine"}), ("PATCH", "/v1/kbs/hr", {"name": "hr2"}),
                               ("DELETE", "/v1/kbs/hr", None)):
        resp = client.open(path, method=method, json=body, headers=_auth(HR_ADMIN))
        assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "insufficient_scope", (method, path)
    assert client.post("/v1/kbs", json={"name": "mine"}, headers=_auth(HR_WRITER)).status_code == 403  # role
    assert [k["name"] for k in client.get("/v1/kbs", headers=_auth(ADMIN)).get_json()["data"]] == ["default", "hr"]


def test_two_keys_in_one_request_are_refused_on_every_route(setup):
    _, client, hr_doc, _, hr_answer = setup
    for method, path, kwargs in _routes("hr", hr_doc, hr_answer)[:6]:
        for headers in ({"Authorization": f"Bearer {DEFAULT_WRITER}", "X-API-Key": ADMIN},
                        {"Authorization": f"Bearer {ADMIN}", "X-API-Key": DEFAULT_WRITER}):
            resp = client.open(path, method=method, headers=headers, **kwargs)
            assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "conflicting_keys", (path, headers)


def test_the_sdk_sees_only_the_models_its_key_reaches(setup):
    app, *_ = setup
    with serve(app) as base:
        hr = openai.OpenAI(base_url=base + "/v1", api_key=HR_WRITER, max_retries=0)
        assert [m.id for m in hr.models.list()] == ["hr"]
        reply = hr.chat.completions.create(model="hr", messages=[{"role": "user", "content": QUESTION_ON_PAGE_TWO}])
        assert reply.choices[0].message.content
        with pytest.raises(openai.NotFoundError):
            hr.chat.completions.create(model="qa-service", messages=[{"role": "user", "content": CORPUS_QUESTION}])
        other = openai.OpenAI(base_url=base + "/v1", api_key=DEFAULT_WRITER, max_retries=0)
        with pytest.raises(openai.NotFoundError):
            other.chat.completions.create(model="hr", messages=[{"role": "user", "content": QUESTION_ON_PAGE_TWO}])
