"""Knowledge bases over HTTP, on the real app, model and FAISS: two made next to `default`, a document uploaded to
one, and each answering from its own documents only; the OpenAI SDK picking one as its model; names refused;
`default` kept; unknown knowledge bases 404 on every route; and answers still right with one loaded at a time."""
from __future__ import annotations

import io
import json

import openai
import pytest

from qa_service.api.app import create_app
from qa_service.composition import ServiceRoot
from qa_service.service import QAService
from tests.qa_service.intake_testlib import (ANSWER_ON_PAGE_TWO, CORPUS_ANSWER, CORPUS_QUESTION, PAGE_ONE, PAGE_TWO,
                                             QUESTION_ON_PAGE_TWO, copy_index)
from tests.qa_service.servers import serve

NOTE = "青岛海洋科技创新中心.txt"
SAME_ORIGIN = {"X-Requested-With": "test"}  # a write without keys must carry it (access.py)


def _root(built_index, encoder, destination, **overrides) -> ServiceRoot:
    """A serving root over a private copy of the test index; the other knowledge bases go beside it (kbs/)."""
    settings = copy_index(built_index, destination, background_embedding=False, **overrides)
    return ServiceRoot(settings, serving=True, encoder=encoder, qa=QAService.from_settings(settings, encoder))


def _upload(client, kb: str, name: str, text: str):
    return client.post(f"/v1/kbs/{kb}/documents", content_type="multipart/form-data", headers=SAME_ORIGIN,
                       data={"file": (io.BytesIO(text.encode()), name)})


@pytest.fixture(scope="module")
def root(built_index, encoder, tmp_path_factory):
    root = _root(built_index, encoder, tmp_path_factory.mktemp("kbs") / "idx")
    yield root
    root.close()


@pytest.fixture(scope="module")
def client(root):
    client = create_app(root).test_client()
    assert client.post("/v1/kbs", json={"name": "ocean", "settings": {"chunk_tokens": 200,
                                                                      "chunk_overlap_tokens": 40}},
                       headers=SAME_ORIGIN).status_code == 201
    assert client.post("/v1/kbs", json={"name": "empty"}, headers=SAME_ORIGIN).status_code == 201
    resp = _upload(client, "ocean", NOTE, PAGE_ONE + "\n" + PAGE_TWO)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    return client


def _docs(citations) -> set[str]:
    return {c["doc"] for c in citations}


def test_each_knowledge_base_answers_from_its_own_documents(client):
    listed = client.get("/v1/kbs").get_json()["data"]
    assert [k["name"] for k in listed] == ["default", "empty", "ocean"]
    assert listed[2]["settings"] == {"chunk_tokens": 200, "chunk_overlap_tokens": 40} and listed[0]["default"]

    ocean = client.post("/v1/kbs/ocean/ask", json={"question": QUESTION_ON_PAGE_TWO}).get_json()
    assert ANSWER_ON_PAGE_TWO in ocean["answer"] and _docs(ocean["citations"]) == {NOTE}
    searched = client.post("/v1/kbs/ocean/search", json={"query": CORPUS_QUESTION}).get_json()["results"]
    assert _docs(searched) <= {NOTE}  # the corpus of `default` is not there

    default = client.post("/v1/ask", json={"question": QUESTION_ON_PAGE_TWO}).get_json()
    assert NOTE not in _docs(default["citations"]) and ANSWER_ON_PAGE_TWO not in default["answer"]
    by_path, plain = (client.post(url, json={"question": CORPUS_QUESTION}).get_json() for url in
                      ("/v1/kbs/default/ask", "/v1/ask"))
    assert by_path.pop("answer_id") != plain.pop("answer_id") and by_path == plain  # each answer has its own id
    assert CORPUS_ANSWER in client.post("/v1/ask", json={"question": CORPUS_QUESTION}).get_json()["answer"]

    ocean_docs = client.get("/v1/kbs/ocean/documents").get_json()["documents"]
    assert [d["name"] for d in ocean_docs] == [NOTE]
    assert NOTE not in {d["name"] for d in client.get("/v1/documents").get_json()["documents"]}
    info = client.get("/v1/kbs/ocean/info").get_json()
    assert info["manifest"]["chunking"]["chunk_tokens"] == 200  # its own settings, not the service's
    # a document id of one knowledge base is not found through another
    deleted = client.delete(f"/v1/documents/{ocean_docs[0]['id']}", headers=SAME_ORIGIN)
    assert deleted.status_code == 404 and deleted.get_json()["error"]["code"] == "document_not_found"
    # an empty knowledge base says it has nothing to answer from
    empty = client.post("/v1/kbs/empty/ask", json={"question": QUESTION_ON_PAGE_TWO})
    assert empty.status_code == 503 and "no documents yet: upload one" in empty.get_json()["error"]["message"]


@pytest.mark.parametrize("name", ["nope", "Ocean", "a" * 65, "x.y", "%2e%2e"])
def test_an_unknown_knowledge_base_is_404_on_every_route(client, name):
    routes = [r for r in client.application.url_map.iter_rules() if "<kb>" in r.rule or "<kb_name>" in r.rule]
    assert len(routes) >= 10
    for rule in routes:
        path = rule.rule.replace("<kb>", name).replace("<kb_name>", name).replace("<doc_id>", "0" * 16)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            resp = client.open(path, method=method, json={"name": "x", "question": "x", "query": "x",
                                                          "messages": [{"role": "user", "content": "x"}]},
                               headers=SAME_ORIGIN)
            assert resp.status_code == 404, (method, path)
            assert resp.get_json()["error"]["code"] == "not_found", (method, path)
            assert name not in resp.get_data(as_text=True)


@pytest.mark.parametrize("name", ["", "Upper", "a b", "../x", "x/y", ".hidden", "-x", "a" * 65, "中文", 5, None])
def test_invalid_names_are_refused(client, name):
    resp = client.post("/v1/kbs", json={"name": name}, headers=SAME_ORIGIN)
    assert resp.status_code == 422, resp.get_data(as_text=True)


def test_names_taken_settings_refused_and_default_kept(client):
    for name in ("default", "qa-service", "ocean"):
        assert client.post("/v1/kbs", json={"name": name}, headers=SAME_ORIGIN).get_json()["error"]["code"] == \
            "kb_exists"
    bad = client.post("/v1/kbs", json={"name": "bad", "settings": {"chunk_overlap_tokens": 400}}, headers=SAME_ORIGIN)
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "invalid_kb_settings"
    for method, body in (("PATCH", {"name": "other"}), ("DELETE", None)):
        resp = client.open("/v1/kbs/default", method=method, json=body, headers=SAME_ORIGIN)
        assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "default_kb_fixed"
    assert client.post("/v1/kbs/default/ask", json={"question": CORPUS_QUESTION}).status_code == 200


def test_rename_then_delete(client, root):
    assert client.post("/v1/kbs", json={"name": "draft"}, headers=SAME_ORIGIN).status_code == 201
    assert _upload(client, "draft", "草稿.txt", PAGE_TWO).status_code == 201
    assert client.patch("/v1/kbs/draft", json={"name": "ocean"}, headers=SAME_ORIGIN).status_code == 409
    renamed = client.patch("/v1/kbs/draft", json={"name": "final"}, headers=SAME_ORIGIN)
    assert renamed.status_code == 200 and renamed.get_json()["name"] == "final"
    assert client.get("/v1/kbs/draft/info").status_code == 404
    answer = client.post("/v1/kbs/final/ask", json={"question": QUESTION_ON_PAGE_TWO}).get_json()
    assert ANSWER_ON_PAGE_TWO in answer["answer"]  # its documents moved with it
    assert client.delete("/v1/kbs/final", headers=SAME_ORIGIN).status_code == 204
    assert client.get("/v1/kbs/final").status_code == 404
    assert client.post("/v1/kbs/final/ask", json={"question": QUESTION_ON_PAGE_TWO}).status_code == 404
    root_dir = root.settings.knowledge_base_root
    assert sorted(p.name for p in root_dir.iterdir() if not p.name.startswith(".")) == ["empty", "ocean"]
    assert not [p for p in root_dir.iterdir() if p.name.startswith(".deleted")]


def test_the_openai_sdk_picks_a_knowledge_base_as_its_model(client):
    with serve(client.application) as base:
        sdk = openai.OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0)
        assert [m.id for m in sdk.models.list()] == ["qa-service", "empty", "ocean"]
        reply = sdk.chat.completions.create(model="ocean", messages=[{"role": "user", "content": QUESTION_ON_PAGE_TWO}])
        assert ANSWER_ON_PAGE_TWO in reply.choices[0].message.content and reply.model == "ocean"
        assert _docs(reply.model_extra["citations"]) == {NOTE}
        default = sdk.chat.completions.create(model="qa-service", messages=[{"role": "user",
                                                                             "content": QUESTION_ON_PAGE_TWO}])
        assert NOTE not in _docs(default.model_extra["citations"])
        with pytest.raises(openai.NotFoundError) as refused:
            sdk.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
        assert refused.value.body["code"] == "model_not_found" and refused.value.body["param"] == "model"
        scoped = openai.OpenAI(base_url=base + "/v1/kbs/ocean", api_key="unused", max_retries=0)
        assert [m.id for m in scoped.models.list()] == ["ocean"]
        reply = scoped.chat.completions.create(model="anything", messages=[{"role": "user",
                                                                            "content": QUESTION_ON_PAGE_TWO}])
        assert _docs(reply.model_extra["citations"]) == {NOTE}
        from eval.backends.http_backend import HttpBackend  # `qa eval --url BASE --kb ocean`

        assert ANSWER_ON_PAGE_TWO in HttpBackend(base, kb="ocean").ask(QUESTION_ON_PAGE_TWO, 5)["answer"]


def test_one_loaded_at_a_time_still_answers_both(built_index, encoder, tmp_path):
    root = _root(built_index, encoder, tmp_path / "idx", kb_max_loaded=1)
    client = create_app(root).test_client()
    for name, text in (("sea", PAGE_ONE + "\n" + PAGE_TWO), ("town", CORPUS_QUESTION.replace("？", "") + "：三十三所。")):
        assert client.post("/v1/kbs", json={"name": name}, headers=SAME_ORIGIN).status_code == 201
        assert _upload(client, name, f"{name}.txt", text).status_code == 201
    for _ in range(2):
        sea = client.post("/v1/kbs/sea/ask", json={"question": QUESTION_ON_PAGE_TWO}).get_json()
        assert ANSWER_ON_PAGE_TWO in sea["answer"] and _docs(sea["citations"]) == {"sea.txt"}
        assert root.kbs.loaded() == ["sea"]
        town = client.post("/v1/kbs/town/search", json={"query": CORPUS_QUESTION}).get_json()["results"]
        assert _docs(town) == {"town.txt"}
        assert root.kbs.loaded() == ["town"]  # sea was unloaded
    root.close()


def test_keys_need_the_admin_role_to_change_knowledge_bases(root, encoder):
    app = create_app(ServiceRoot(root.settings.with_overrides(api_keys="r1:read,a1:admin"), serving=True,
                                 encoder=encoder, qa=root.qa))
    client = app.test_client()
    assert client.get("/v1/kbs/nope/info").status_code == 401  # no key: nothing is told about knowledge bases
    reader = {"Authorization": "Bearer r1"}
    assert client.post("/v1/kbs", json={"name": "keyed"}, headers=reader).status_code == 403
    assert client.get("/v1/kbs", headers=reader).status_code == 200
    assert client.post("/v1/kbs/ocean/documents", headers=reader).status_code == 403  # write role under a kb too
    admin = {"Authorization": "Bearer a1"}
    assert client.post("/v1/kbs", json={"name": "keyed"}, headers=admin).status_code == 201
    assert client.delete("/v1/kbs/keyed", headers=reader).status_code == 403
    assert client.delete("/v1/kbs/keyed", headers=admin).status_code == 204


def test_the_cli_manages_knowledge_bases(root, capsys, tmp_path):
    from qa_service.cli import main

    index = ["--index", str(tmp_path / "idx")]
    assert main(["kb", "create", "notes", "--chunk-tokens", "100", "--chunk-overlap", "20", *index]) == 0
    assert main(["kb", "create", "../x", *index]) == 2
    assert main(["kb", "rename", "notes", "memos", *index]) == 0
    assert main(["kb", "delete", "default", *index]) == 2
    capsys.readouterr()
    assert main(["kb", "list", "--json", *index]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(k["name"], k["settings"]) for k in listed] == [
        ("default", {}), ("memos", {"chunk_tokens": 100, "chunk_overlap_tokens": 20})]
    assert main(["docs", "list", "--kb", "memos", *index]) == 0
    assert main(["docs", "list", "--kb", "notes", *index]) == 2
    assert main(["kb", "delete", "memos", *index]) == 0
    assert not (tmp_path / "kbs" / "memos").exists()


def test_uploads_to_a_knowledge_base_get_the_upload_body_limit(root):
    from qa_service.api.connection_limits import ConnectionLimits

    limits = ConnectionLimits.from_settings(root.settings)
    assert limits.body_limit("/v1/kbs/ocean/documents") == limits.body_limit("/v1/documents") > \
        limits.body_limit("/v1/kbs/ocean/ask") == limits.body_limit("/v1/ask")


def test_a_change_waiting_while_its_knowledge_base_goes_is_not_written(client, root):
    from qa_service.document_service import KnowledgeBaseConflict

    assert client.post("/v1/kbs", json={"name": "gone"}, headers=SAME_ORIGIN).status_code == 201
    services = root.kbs.get("gone")  # held as a request holds it while its upload is prepared
    root.kbs.store.delete("gone")  # meanwhile another process deletes it
    with pytest.raises(KnowledgeBaseConflict) as refused:
        services.documents.add("迟到.txt", PAGE_TWO.encode())
    assert refused.value.code == "kb_gone"
    assert "gone" not in root.kbs.names()  # no version written, nothing registered
    assert client.post("/v1/kbs", json={"name": "gone"}, headers=SAME_ORIGIN).status_code == 201
    with pytest.raises(KnowledgeBaseConflict):  # nor into another made since under the same name
        services.documents.add("迟到.txt", PAGE_TWO.encode())
    assert client.get("/v1/kbs/gone/documents").get_json()["documents"] == []
