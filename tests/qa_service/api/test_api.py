"""The HTTP API through Flask's test client, including every client mistake."""
import json

import pytest

from qa_service.service import QAService
from tests.conftest import needs_milvus
from tests.qa_service.apps import app_for


def _error(resp, status, code=None):
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert "Traceback" not in resp.get_data(as_text=True)
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def test_health_and_ready(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    resp = client.get("/readyz")
    assert resp.status_code == 200 and resp.get_json()["status"] == "ready"


def test_search_returns_ranked_passages(client):
    resp = client.post("/v1/search", json={"query": "海淀区有多少所高等院校？", "top_k": 3})
    assert resp.status_code == 200
    results = resp.get_json()["results"]
    assert len(results) == 3
    for r in results:
        assert {"id", "doc", "title", "section", "text", "score"} <= set(r)
    assert any("高等院校 33 所" in r["text"] for r in results)


def test_ask_answers_with_citation(client):
    resp = client.post("/v1/ask", json={"question": "海淀区有多少所高等院校？"})
    body = resp.get_json()
    assert resp.status_code == 200 and body["answerable"] is True
    assert "33" in body["answer"]
    refs = {c["ref"] for c in body["citations"]}
    assert all(f"[{r}]" in body["answer"] for r in refs)
    assert any("高等院校 33 所" in c["text"] for c in body["citations"])
    assert resp.headers["Content-Type"].startswith("application/json")
    assert "海淀" in resp.get_data(as_text=True)  # not \\u-escaped


def test_ask_abstains_on_off_topic(client):
    body = client.post("/v1/ask", json={"question": "2022年卡塔尔世界杯的冠军是哪个国家？"}).get_json()
    assert body["answerable"] is False and body["citations"] == []


@pytest.mark.parametrize("path,field", [("/v1/search", "query"), ("/v1/ask", "question")])
@pytest.mark.parametrize("payload,status,code", [
    ({}, 422, "missing_field"),
    ({"FIELD": ""}, 422, "empty_field"),
    ({"FIELD": "   \n"}, 422, "empty_field"),
    ({"FIELD": 42}, 422, "invalid_type"),
    ({"FIELD": ["海淀区"]}, 422, "invalid_type"),
    ({"FIELD": None}, 422, "invalid_type"),
    ({"FIELD": "海淀区", "top_k": "5"}, 422, "invalid_type"),
    ({"FIELD": "海淀区", "top_k": 2.5}, 422, "invalid_type"),
    ({"FIELD": "海淀区", "top_k": True}, 422, "invalid_type"),
    ({"FIELD": "海淀区", "top_k": 0}, 422, "out_of_range"),
    ({"FIELD": "海淀区", "top_k": 51}, 422, "out_of_range"),
    ({"FIELD": "海淀区", "top_k": -3}, 422, "out_of_range"),
    ({"FIELD": "海" * 2001}, 422, "too_long"),
])
def test_invalid_bodies_get_json_errors(client, path, field, payload, status, code):
    body = {(field if k == "FIELD" else k): v for k, v in payload.items()}
    _error(client.post(path, json=body), status, code)


@pytest.mark.parametrize("path", ["/v1/search", "/v1/ask"])
def test_malformed_requests(client, path):
    _error(client.post(path, data="{not json", content_type="application/json"), 400, "invalid_json")
    _error(client.post(path, data="", content_type="application/json"), 400, "invalid_json")
    _error(client.post(path, data=b"\xff\xfe\x00bad", content_type="application/json"), 400, "invalid_encoding")
    _error(client.post(path, data="[1, 2]", content_type="application/json"), 422, "invalid_body")
    _error(client.post(path, data='"a string"', content_type="application/json"), 422, "invalid_body")
    _error(client.post(path, data="question=x", content_type="application/x-www-form-urlencoded"), 415)
    _error(client.get(path), 405, "method_not_allowed")


def test_oversize_body_is_refused(client, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    big = json.dumps({"question": "海" * (limit + 10)})
    _error(client.post("/v1/ask", data=big, content_type="application/json"), 413, "payload_too_large")


def test_unknown_path_is_json_404(client):
    _error(client.get("/nope"), 404, "not_found")


def test_not_ready_service_answers_503(base_settings, tmp_path):
    service = QAService.from_settings(base_settings.with_overrides(index_dir=tmp_path / "empty"), strict=False)
    client = app_for(service).test_client()
    assert client.get("/healthz").status_code == 200
    err = client.get("/readyz")
    assert err.status_code == 503 and "qa ingest" in err.get_json()["error"]["message"]
    assert str(tmp_path) not in err.get_data(as_text=True)  # no server path reaches a client
    _error(client.post("/v1/ask", json={"question": "海淀区有多少所高等院校？"}), 503, "not_ready")


def test_request_id_is_echoed(client):
    resp = client.get("/healthz", headers={"X-Request-ID": "abc123"})
    assert resp.headers["X-Request-ID"] == "abc123"


def test_ask_streams_server_sent_events(client):
    resp = client.post("/v1/ask", json={"question": "海淀区有多少所高等院校？", "stream": True})
    assert resp.status_code == 200 and resp.mimetype == "text/event-stream"
    events = [line[len("data: "):] for line in resp.get_data(as_text=True).split("\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    parsed = [json.loads(e) for e in events[:-1]]
    done = parsed[-1]
    assert done["type"] == "answer.done" and "33" in done["answer"] and done["citations"]
    assert "".join(e["text"] for e in parsed[:-1]) == done["answer"]
    _error(client.post("/v1/ask", json={"question": "海淀区", "stream": "yes"}), 422, "invalid_type")


def test_twenty_megabyte_body_is_refused_before_it_is_read(client):
    body = b'{"question": "' + b"x" * (20 * 1024 * 1024) + b'"}'
    _error(client.post("/v1/ask", data=body, content_type="application/json"), 413, "payload_too_large")


LONE_SURROGATE_BODIES = [
    ("/v1/search", '{"query": "海淀区\\ud800"}'),
    ("/v1/ask", '{"question": "\\udfff海淀区有多少所高等院校？"}'),
    ("/v1/ask", '{"question": "海淀区", "note\\udc00": 1}'),  # in a key the service ignores
    ("/v1/chat/completions", '{"messages": [{"role": "user", "content": "海淀区\\ud83d"}]}'),
    ("/v1/chat/completions", '{"messages": [{"role": "user", "content": [{"type": "text", "text": "\\ud800"}]}]}'),
    ("/v1/chat/completions", '{"messages": [{"role": "assistant", "content": "\\udbff"}, '
                             '{"role": "user", "content": "海淀区有多少所高等院校？"}]}'),  # an earlier turn
]


@pytest.mark.parametrize("path,body", LONE_SURROGATE_BODIES)
def test_lone_surrogates_anywhere_in_a_body_are_422(client, path, body):
    """A lone \\ud800 escape decodes to a str that cannot be encoded: it was a 500 (TypeError) in /v1/search."""
    _error(client.post(path, data=body, content_type="application/json"), 422, "invalid_text")


def test_surrogate_pairs_are_text(client):
    resp = client.post("/v1/search", data='{"query": "海淀区\\ud83d\\ude00"}', content_type="application/json")
    assert resp.status_code == 200 and resp.get_json()["query"] == "海淀区\U0001F600"


@pytest.mark.parametrize("path", ["/v1/search", "/v1/ask", "/v1/chat/completions"])
@pytest.mark.parametrize("depth", [33, 100_000])
def test_deeply_nested_json_is_refused_without_recursing(client, path, depth):
    """100,000 nested arrays raised RecursionError in json.loads (a 500); the depth is counted before parsing."""
    body = '{"question": "海淀区", "query": "海淀区", "x": ' + "[" * depth + "]" * depth + "}"
    message = _error(client.post(path, data=body, content_type="application/json"), 400, "too_deep")["message"]
    assert str(depth + 1) in message and "32" in message  # the outer object is a level too
    unclosed = "[" * 200_000  # not even JSON: still a 4xx, not a crash
    _error(client.post(path, data=unclosed, content_type="application/json"), 400)


def test_nesting_within_the_limit_and_brackets_in_strings_are_fine(client):
    deep_in_text = json.dumps({"query": "[" * 1000 + "海淀区"})  # brackets inside a string are text
    assert client.post("/v1/search", data=deep_in_text, content_type="application/json").status_code == 200
    nested = '{"query": "海淀区", "extra": ' + "[" * 30 + "]" * 30 + "}"
    assert client.post("/v1/search", data=nested, content_type="application/json").status_code == 200


def test_info_holds_no_server_path(client, app, built_index):
    resp = client.get("/v1/info")
    info = resp.get_json()
    assert resp.status_code == 200 and "index_dir" not in info
    assert info["manifest"]["documents"] and info["manifest"]["chunk_count"] > 0
    text = resp.get_data(as_text=True)
    for path in (built_index.index_dir, built_index.index_dir.parent, built_index.corpus_dir):
        assert str(path) not in text
    assert "/tmp" not in text and "source" not in {k for d in info["manifest"]["documents"] for k in d}


@needs_milvus
def test_readyz_is_false_while_the_vector_store_of_this_process_cannot_answer(milvus_index, encoder, monkeypatch):
    """A worker that loaded its index but cannot reach its vector store must not be sent traffic."""
    import qa_service.service as service_module

    service = QAService.from_settings(milvus_index, encoder)
    client = app_for(service).test_client()
    assert client.get("/readyz").status_code == 200
    monkeypatch.setattr(service_module, "READINESS_PROBE_SECONDS", 0.0)  # ask the store at every probe here
    store_class = type(service._components.vectors)

    def unreachable(self):
        raise ConnectionError("milvus went away")

    monkeypatch.setattr(store_class, "__len__", unreachable)
    resp = client.get("/readyz")
    assert resp.status_code == 503 and resp.get_json()["status"] == "not_ready"
    assert "vector store" in resp.get_json()["error"]["message"]
    assert milvus_index.milvus_uri not in resp.get_data(as_text=True)  # no server path
    monkeypatch.undo()
    monkeypatch.setattr(service_module, "READINESS_PROBE_SECONDS", 0.0)
    assert client.get("/readyz").status_code == 200
