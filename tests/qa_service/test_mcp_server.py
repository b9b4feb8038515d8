"""`qa mcp` through the official MCP SDK's own client: over stdio (the client starts `qa mcp --index` itself) and
over streamable HTTP (a real uvicorn server on 127.0.0.1 over the session's loaded index), with the HTTP API's
keys and limits."""
import asyncio
import http.client
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from qa_service.api.contract.responses import Answer
from qa_service.composition import ServiceRoot
from qa_service.mcp_server.http import server_config
from tests.conftest import free_port
from tests.qa_service.servers import serve_uvicorn

QUESTION = "海淀区有多少所高等院校？"
KEY = "mcp-reader-key-0123456789"
TOOLS = {"ask", "search", "list_documents"}


def _http_server(service, **overrides):
    """What `qa mcp --transport streamable-http` serves (its uvicorn configuration), over the session's index."""
    settings = service.settings.with_overrides(api_keys=f"{KEY}:read", host="127.0.0.1", mcp_port=free_port(),
                                               **overrides)
    return serve_uvicorn(server_config(ServiceRoot(settings, qa=service)))


@pytest.fixture(scope="module")
def mcp_url(service):
    with _http_server(service) as base:
        yield base + "/mcp"


def _calls(url: str, key: str | None, *calls: tuple[str, dict]) -> list:
    """Connect with the SDK's client (sending `key` as a bearer key), list the tools, make the calls."""
    async def run():
        headers = {"Authorization": f"Bearer {key}"} if key else None
        async with create_mcp_http_client(headers=headers) as http:
            async with Client(streamable_http_client(url, http_client=http)) as client:
                tools = await client.list_tools()
                return [tools] + [await client.call_tool(name, args) for name, args in calls]

    return asyncio.run(run())


def _post(url: str, headers: dict[str, str]) -> tuple[int, dict, Message]:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}}).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json",
                                                          "Accept": "application/json, text/event-stream", **headers})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, {}, resp.headers
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), exc.headers


def test_http_tools_answer_with_citations(mcp_url, service):
    tools, ask, search, documents = _calls(mcp_url, KEY, ("ask", {"question": QUESTION}),
                                           ("search", {"query": "中国电科双创示范基地启动阶段", "top_k": 2}),
                                           ("list_documents", {}))
    assert {t.name for t in tools.tools} == TOOLS and all(t.annotations.read_only_hint for t in tools.tools)
    schema = next(t for t in tools.tools if t.name == "ask").input_schema["properties"]
    assert schema["question"]["maxLength"] == 2000 and schema["top_k"]["maximum"] == 50  # the limits, published
    # ask: the text a model reads ends with the sources; the structured form is /v1/ask's body.
    assert not ask.is_error
    assert ask.structured_content == Answer.of(QUESTION, service.ask(QUESTION, 5)).dump()
    cited = ask.structured_content["citations"][0]
    assert ask.content[0].text == (ask.structured_content["answer"] + "\n\n来源：\n- [1] " + cited["doc"]
                                   + "，一、基本情况 > （一）海淀区是全国智力资源最富集的区域之一"
                                   + f"，第 {cited['line_start']}–{cited['line_end']} 行"
                                   + f"：“{' '.join(cited['quote'].split())}”")  # a short answer: its sentence
    # search: passages with document, section and lines, in /v1/search's form.
    results = search.structured_content["results"]
    assert len(results) == 2 and all(r["doc"] == "中国电科双创示范基地建设方案.txt" and r["section"] for r in results)
    assert search.content[0].text.startswith(f"[1] {results[0]['doc']}，{results[0]['section']}，第 ")
    names = {d["name"] for d in documents.structured_content["documents"]}
    assert names == {"中国电科双创示范基地建设方案.txt", "北京市海淀区双创经验总结.txt"}
    assert documents.structured_content["index_version"] == service.info()["index_version"]


def test_http_refuses_a_missing_or_wrong_key(mcp_url):
    for headers in ({}, {"Authorization": "Bearer wrong-key"}, {"X-API-Key": KEY[:-1]}):
        status, body, response_headers = _post(mcp_url, headers)
        assert status == 401 and body["error"]["code"] == "unauthorized", (headers, status, body)
        assert response_headers["WWW-Authenticate"].startswith("Bearer")
    assert _post(mcp_url, {"X-API-Key": KEY})[0] == 200  # the HTTP API's other header works too
    status, body, _ = _post(mcp_url, {"Authorization": f"Bearer {KEY}", "X-API-Key": "another-key"})
    assert status == 401 and body["error"]["code"] == "conflicting_keys"  # two keys: neither is chosen
    with pytest.raises(BaseException) as refused:  # the SDK's client gives up on the 401 (in an exception group)
        _calls(mcp_url, "wrong-key")
    assert "MCPError" in repr(refused.value)
    with urllib.request.urlopen(mcp_url.replace("/mcp", "/healthz"), timeout=10) as resp:  # open, for probes
        assert json.loads(resp.read()) == {"status": "ok"}


def test_wrong_keys_are_throttled_per_address(service):
    with _http_server(service, auth_failures_per_minute=2) as base:
        assert [_post(base + "/mcp", {"Authorization": "Bearer nope"})[0] for _ in range(2)] == [401, 401]
        status, body, headers = _post(base + "/mcp", {"Authorization": f"Bearer {KEY}"})
        assert status == 429 and body["error"]["code"] == "auth_throttled" and int(headers["Retry-After"]) >= 1


def test_limits_of_the_http_api_apply(mcp_url):
    _, too_long, blank, top_k, wrong_type = _calls(
        mcp_url, KEY, ("ask", {"question": "字" * 2001}), ("search", {"query": "  "}),
        ("ask", {"question": QUESTION, "top_k": 51}), ("search", {"query": 5}))
    assert too_long.is_error and "too_long: 'question' is longer than 2000 characters" in too_long.content[0].text
    assert blank.is_error and "empty_field: 'query' must not be empty" in blank.content[0].text
    assert top_k.is_error and "out_of_range: 'top_k' must be between 1 and 50" in top_k.content[0].text
    assert wrong_type.is_error and "query" in wrong_type.content[0].text
    # A body over QA_MAX_BODY_BYTES (1 MB) is refused from its headers, before it is sent, as the HTTP API does.
    url = urllib.parse.urlsplit(mcp_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    connection.putrequest("POST", url.path)
    for name, value in (("Authorization", f"Bearer {KEY}"), ("Content-Type", "application/json"),
                        ("Accept", "application/json, text/event-stream"), ("Content-Length", "1000001")):
        connection.putheader(name, value)
    connection.endheaders()
    assert connection.getresponse().status == 413
    connection.close()


def test_stdio_client_starts_qa_mcp(built_index):
    """What Claude Desktop does: start `qa mcp --index DIR` and talk over its standard input and output."""
    params = StdioServerParameters(command=sys.executable, args=["-m", "qa_service.cli", "mcp", "--index",
                                                                 str(built_index.index_dir)], env=dict(os.environ))

    async def run():
        async with Client(params) as client:
            tools = await client.list_tools()
            return (tools, await client.call_tool("ask", {"question": QUESTION}),
                    await client.call_tool("list_documents", {}),
                    await client.call_tool("ask", {"question": "字" * 2001}))

    tools, ask, documents, too_long = asyncio.run(run())
    assert {t.name for t in tools.tools} == TOOLS
    assert not ask.is_error and "33" in ask.content[0].text
    assert "\n\n来源：\n- [1] 北京市海淀区双创经验总结.txt，一、基本情况" in ask.content[0].text
    assert len(documents.structured_content["documents"]) == 2
    assert too_long.is_error and "too_long" in too_long.content[0].text


def test_a_service_without_an_index_says_so(service, encoder, tmp_path):
    from qa_service.mcp_server.tools import create_mcp_server

    root = ServiceRoot(service.settings.with_overrides(index_dir=tmp_path / "none"), encoder=encoder).warm_up()

    async def run():
        async with Client(create_mcp_server(root)) as client:  # the SDK's in-process connection
            return await client.call_tool("ask", {"question": QUESTION}), await client.call_tool("list_documents", {})

    ask, documents = asyncio.run(run())
    assert ask.is_error and "not_ready: the index is not loaded" in ask.content[0].text
    assert not documents.is_error and documents.structured_content == {"documents": [], "index_version": None}


def test_tool_calls_beyond_qa_max_in_flight_are_refused_at_once():
    from mcp.server.mcpserver.exceptions import ToolError

    from qa_service.mcp_server.tools import _InFlight

    bound = _InFlight(1)
    with pytest.raises(ToolError, match="^overloaded: "):
        bound.run(lambda: bound.run(lambda: "a second call while the first holds the only slot"))
    assert bound.run(lambda: "free again") == "free again"  # the slot was given back after the refusal
    unbounded = _InFlight(0)
    assert unbounded.run(lambda: unbounded.run(lambda: "nested")) == "nested"


def test_search_and_ask_tools_take_the_api_filters(mcp_url):
    haidian = "北京市海淀区双创经验总结.txt"
    tools, search, ask, nothing, bad = _calls(
        mcp_url, KEY, ("search", {"query": "中国电科双创示范基地的建设目标", "top_k": 4, "filters": {"documents": [haidian]}}),
        ("ask", {"question": QUESTION, "filters": {"documents": ["中国电科双创示范基地建设方案"]}}),
        ("ask", {"question": QUESTION, "filters": {"date_from": "2099-01-01"}}),
        ("search", {"query": "海淀区", "filters": {"format": ["pdf"]}}))
    schema = next(t for t in tools.tools if t.name == "search").input_schema
    assert "filters" in schema["properties"]
    assert [r["doc"] for r in search.structured_content["results"]] == [haidian] * 4
    assert all(c["doc"] != haidian for c in ask.structured_content["citations"])
    assert nothing.structured_content["notice"] == "no documents match the filters"
    assert bad.is_error
