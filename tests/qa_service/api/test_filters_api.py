"""`filters` over HTTP: /v1/search, /v1/ask (plain and streamed) and /v1/chat/completions (the official openai
SDK on a real loopback server), refused with 422 invalid_filter when it is not a filter."""
from __future__ import annotations

import json

import openai
import pytest

from tests.qa_service.apps import app_for
from tests.qa_service.filter_corpus import BULLETIN, CETC, HAIDIAN
from tests.qa_service.servers import serve

QUESTION = "中国电科双创示范基地的建设目标是什么？"


@pytest.fixture(scope="module")
def filter_app(filter_settings, encoder):
    from qa_service.service import QAService

    return app_for(QAService.from_settings(filter_settings, encoder), encoder=encoder)


@pytest.fixture()
def http(filter_app):
    return filter_app.test_client()


def test_search_returns_top_k_of_the_filtered_documents(http):
    unfiltered = http.post("/v1/search", json={"query": QUESTION, "top_k": 5}).get_json()["results"]
    assert sum(r["doc"] == HAIDIAN for r in unfiltered) < 5
    body = http.post("/v1/search", json={"query": QUESTION, "top_k": 5,
                                         "filters": {"documents": [HAIDIAN]}}).get_json()
    assert len(body["results"]) == 5 and {r["doc"] for r in body["results"]} == {HAIDIAN}
    body = http.post("/v1/search", json={"query": QUESTION, "top_k": 5, "filters": {
        "formats": ["txt"], "date_to": "2100-01-01", "title_prefix": "中国"}}).get_json()
    assert len(body["results"]) == 5 and {r["doc"] for r in body["results"]} == {CETC}
    plain = http.post("/v1/search", json={"query": QUESTION, "top_k": 5, "filters": None}).get_json()
    assert plain["results"] == unfiltered == http.post("/v1/search", json={
        "query": QUESTION, "top_k": 5, "filters": {}}).get_json()["results"]


def test_ask_cites_only_the_filtered_document_and_says_when_nothing_matches(http):
    body = http.post("/v1/ask", json={"question": "海淀区有多少所高等院校？", "filters": {"documents": [HAIDIAN]}}).get_json()
    assert body["answerable"] and {c["doc"] for c in body["citations"]} == {HAIDIAN}
    body = http.post("/v1/ask", json={"question": QUESTION, "filters": {"documents": ["nothing"]}})
    assert body.status_code == 200
    assert body.get_json()["answerable"] is False and body.get_json()["citations"] == []
    assert body.get_json()["notice"] == "no documents match the filters"
    streamed = http.post("/v1/ask", json={"question": QUESTION, "stream": True,
                                          "filters": {"formats": ["pdf"]}}).get_data(as_text=True)
    assert "no documents match the filters" in streamed


def test_the_documents_listing_shows_the_date_a_filter_compares(http):
    documents = {d["name"]: d for d in http.get("/v1/documents").get_json()["documents"]}
    assert documents[BULLETIN]["date"] == "2021-10-04" and documents[HAIDIAN]["date"] is None


@pytest.mark.parametrize("filters, says", [
    ({"document": ["x"]}, "'filters.document' is not a filter"),
    ({"documents": []}, "'filters.documents'"),
    ({"documents": ["x"] * 101}, "at most 100"),
    ({"documents": "x"}, "'filters.documents'"),
    ({"formats": ["exe"]}, "'filters.formats' must be one of"),
    ({"date_from": "2021-02-30"}, "'filters.date_from' must be a date written YYYY-MM-DD"),
    ({"date_to": "12/03/2021"}, "'filters.date_to'"),
    ({"section_prefix": "x" * 257}, "'filters.section_prefix'"),
    ([HAIDIAN], "'filters' must be an object"),
    ("pdf", "'filters' must be an object"),
])
@pytest.mark.parametrize("path, body", [("/v1/search", {"query": QUESTION}), ("/v1/ask", {"question": QUESTION}),
                                        ("/v1/chat/completions", {"messages": [{"role": "user", "content": QUESTION}]})])
def test_what_is_not_a_filter_is_refused_with_422(http, path, body, filters, says):
    resp = http.post(path, data=json.dumps({**body, "filters": filters}), content_type="application/json")
    assert resp.status_code == 422, resp.get_data(as_text=True)
    error = resp.get_json()["error"]
    assert error["code"] == "invalid_filter" and says in error["message"]


def test_openapi_publishes_the_filters_object(http):
    doc = http.get("/openapi.json").get_json()
    for path in ("/v1/search", "/v1/ask", "/v1/chat/completions"):
        schema = doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        filters = schema["properties"]["filters"]
        assert filters["additionalProperties"] is False and filters["nullable"] is True
        assert filters["properties"]["documents"]["maxItems"] == 100
        assert filters["properties"]["date_from"]["format"] == "date"


def test_the_openai_sdk_passes_filters_in_extra_body(filter_app):
    with serve(filter_app) as base:
        client = openai.OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0)
        messages = [{"role": "user", "content": "海淀区有多少所高等院校？"}]
        reply = client.chat.completions.create(model="qa-service", messages=messages,
                                               extra_body={"filters": {"documents": [HAIDIAN]}})
        cited = reply.model_extra["citations"]
        assert cited and {c["doc"] for c in cited} == {HAIDIAN}
        chunks = list(client.chat.completions.create(model="qa-service", messages=messages, stream=True,
                                                     extra_body={"filters": {"documents": [CETC]}}))
        assert {c["doc"] for c in chunks[-1].model_extra.get("citations", [])} <= {CETC}
        nothing = client.chat.completions.create(model="qa-service", messages=messages,
                                                 extra_body={"filters": {"date_from": "2099-01-01"}})
        assert nothing.model_extra["citations"] == [] and "没有文档符合" in nothing.choices[0].message.content
