"""LLM answers cited by what they state (issue 23), against the scripted OpenAI-compatible server over real HTTP,
asked the four ways (/v1/ask and chat completions, plain and streamed), which must end in the same result."""
import json

import pytest

from qa_service.answerers.content_attribution import _cited
from tests.qa_service.apps import app_for
from tests.qa_service.servers import ScriptedLLM, serve
from tests.qa_service.test_llm_answerer import QUESTION, _every_way, _service, _stream_chat

STATED = "海淀区有北大、清华等高等院校 33 所"  # what passage 1 of QUESTION states
INVENTED = "每位市民每月可领取一万元人工智能补贴"  # what no passage states


@pytest.fixture(scope="module")
def llm():
    scripted = ScriptedLLM()
    with serve(scripted.app) as base:
        scripted.base = base
        yield scripted


def _ask_stream(service, question=QUESTION):
    """/v1/ask streamed: the text the deltas sent, and the answer.done event."""
    resp = app_for(service).test_client().post("/v1/ask", json={"question": question, "stream": True})
    events = [json.loads(line[6:]) for line in resp.get_data(as_text=True).splitlines() if line.startswith("data: {")]
    return "".join(e.get("text", "") for e in events[:-1]), events[-1]


def test_uncited_answer_is_cited_by_content_and_kept(built_index, encoder, llm):
    service = _service(built_index, encoder, llm)
    results = _every_way(service, llm, "reply", STATED + "。")
    for result in results.values():
        assert (result["generator"], result["answerable"], result["refs"]) == ("llm", True, [1])
        assert result["revision"] == "cited" and "cited by what they state" in result["notice"]
    assert results["ask"]["answer"] == STATED + "[1]。"
    llm.script(("reply", STATED + "。"))
    assert "33 所" in service.ask(QUESTION, 5).citations[0].quote  # the passage's sentence the answer restates
    llm.script(("reply", STATED + "。"))
    sent, done = _ask_stream(service)
    assert sent == STATED + "。" and done["answer"] == STATED + "[1]。"  # the final event carries the citation
    llm.script(("reply", STATED + "。"))
    text, extra = _stream_chat(service)
    assert text == STATED + "。" and extra["revision"] == "cited" and [c["ref"] for c in extra["citations"]] == [1]


def test_sentence_no_passage_states_is_dropped(built_index, encoder, llm):
    service = _service(built_index, encoder, llm)
    results = _every_way(service, llm, "reply", f"{STATED}。{INVENTED}。这个问题很复杂，需要综合考虑。")
    for result in results.values():
        assert (result["generator"], result["refs"], result["revision"]) == ("llm", [1], "trimmed")
        assert result["unsupported"] == ["一万元", "这个问题很复杂，需要综合考虑。"]
    assert results["ask"]["answer"] == STATED + "[1]。"
    assert "一万元" in results["ask"]["notice"] and "removed" in results["ask"]["notice"]
    llm.script(("reply", f"{STATED}。{INVENTED}。"))
    sent, done = _ask_stream(service)
    assert INVENTED in sent and INVENTED not in done["answer"]  # sent, then taken out of the final answer
    assert done["revision"] == "trimmed" and "streamed" in done["notice"]


@pytest.mark.parametrize("wrong", ["[2]", "[2][3]", "【3】"])
def test_marker_to_a_passage_that_does_not_state_it_is_corrected(built_index, encoder, llm, wrong):
    service = _service(built_index, encoder, llm)
    results = _every_way(service, llm, "reply", f"{STATED}{wrong}。")
    for result in results.values():
        assert (result["generator"], result["refs"], result["revision"]) == ("llm", [1], "cited")
        assert "corrected" in result["notice"] and result["unsupported"] == []
    assert results["ask"]["answer"] == STATED + "[1]。"


def test_right_markers_are_kept_as_written(built_index, encoder, llm):
    service = _service(built_index, encoder, llm)
    results = _every_way(service, llm, "reply", STATED + "[1]，科研院所 138 家[1]。")
    for result in results.values():
        assert (result["generator"], result["revision"], result["notice"]) == ("llm", None, None)
    assert results["ask"]["answer"] == STATED + "[1]，科研院所 138 家[1]。"


def test_uncited_answer_nothing_supports_is_replaced_in_every_way(built_index, encoder, llm):
    service = _service(built_index, encoder, llm)
    results = _every_way(service, llm, "reply", INVENTED + "。")
    for result in results.values():
        assert (result["generator"], result["revision"], result["unsupported"]) == ("extractive", "replaced",
                                                                                   ["一万元"])
        assert "cited no passage" in result["notice"] and "extractive answer returned" in result["notice"]
    assert "33" in results["ask"]["answer"]


def test_not_stated_detail_is_answered_as_without_an_llm_and_costs_no_call(built_index, encoder, llm, service):
    question = "中关村创业大街累计吸引了多少名创业导师？"  # the reader: 文档提到了…，但没有说明…
    with_llm = _service(built_index, encoder, llm)
    results = _every_way(with_llm, llm, "reply", "创业导师共有 500 名[1]。", question=question)
    plain = service.ask(question, 5)  # the same service without an LLM
    assert plain.answer.startswith("文档提到了") and not plain.answerable
    for result in results.values():
        assert result["requests"] == []
        assert (result["answerable"], result["generator"], result["revision"]) == (False, "extractive", None)
    assert results["ask"]["answer"] == plain.answer
    assert results["ask"]["refs"] == [c.ref for c in plain.citations]


@pytest.mark.parametrize("sentence, refs, cited", [
    ("海淀区有33所高校。", (1,), "海淀区有33所高校[1]。"),
    ("两者都提到了。\n", (1, 2), "两者都提到了[1][2]。\n"),
    ("没有标点", (2,), "没有标点[2]"),
])
def test_markers_go_before_the_closing_punctuation(sentence, refs, cited):
    assert _cited(sentence, refs) == cited


def test_a_lead_in_line_stays_without_a_citation(built_index, encoder, llm):
    service = _service(built_index, encoder, llm)
    reply = f"根据资料：\n{STATED}。\n{INVENTED}。"
    results = _every_way(service, llm, "reply", reply)
    assert results["ask"]["answer"] == f"根据资料：\n{STATED}[1]。"
    assert results["ask"]["revision"] == "trimmed" and results["ask"]["unsupported"] == ["一万元"]


def test_ask_reports_the_llm_usage_plain_and_streamed(built_index, encoder, llm):
    service = _service(built_index, encoder, llm)
    reply = STATED + "[1]。"
    llm.script(("reply", reply))
    body = app_for(service).test_client().post("/v1/ask", json={"question": QUESTION}).get_json()
    assert body["usage"]["completion_tokens"] == len(reply) and body["usage"]["prompt_tokens"] > 0
    llm.script(("reply", reply))
    _, done = _ask_stream(service)
    assert done["usage"] == body["usage"]
    llm.script(("reply", "不该被调用[1]"))
    body = app_for(service).test_client().post("/v1/ask", json={"question": "红烧肉怎么做才好吃？"}).get_json()
    assert "usage" not in body and llm.requests == []  # no LLM call, no usage


def test_cited_by_content_over_a_real_server_with_the_openai_sdk(built_index, encoder, llm):
    import openai
    import urllib.request

    service = _service(built_index, encoder, llm)
    with serve(app_for(service)) as base:
        llm.script(("reply", STATED + "。"))
        request = urllib.request.Request(base + "/v1/ask", json.dumps({"question": QUESTION}).encode(),
                                         {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as resp:
            body = json.loads(resp.read())
        assert (body["answer"], body["generator"], body["revision"]) == (STATED + "[1]。", "llm", "cited")
        client = openai.OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0)
        messages = [{"role": "user", "content": QUESTION}]
        for stream in (False, True):
            llm.script(("reply", f"{STATED}。{INVENTED}。"))
            if stream:
                chunks = list(client.chat.completions.create(model="qa-service", messages=messages, stream=True))
                extra = chunks[-1].model_extra
            else:
                reply = client.chat.completions.create(model="qa-service", messages=messages)
                extra = reply.model_extra
                assert reply.choices[0].message.content.startswith(STATED + "[1]。")
            assert (extra["generator"], extra["revision"]) == ("llm", "trimmed")
            assert [c["ref"] for c in extra["citations"]] == [1] and extra["unsupported_claims"][0]["claim"] == "一万元"
