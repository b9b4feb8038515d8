"""The LLM answerer against a scripted OpenAI-compatible server over real HTTP."""
import pytest

from qa_service.citation_footnotes import without_footnotes
from qa_service.service import QAService
from tests.qa_service.apps import app_for
from tests.qa_service.servers import ScriptedLLM, serve

QUESTION = "海淀区有多少所高等院校？"


@pytest.fixture(scope="module")
def llm():
    scripted = ScriptedLLM()
    with serve(scripted.app) as base:
        scripted.base = base
        yield scripted


def _service(built_index, encoder, llm, **overrides):
    options = {"llm_base_url": llm.base + "/v1", "llm_model": "scripted", "llm_max_retries": 0, **overrides}
    settings = built_index.with_overrides(**options)
    return QAService.from_settings(settings, encoder)


def test_answer_keeps_valid_markers_and_drops_invented_ones(built_index, encoder, llm):
    service = _service(built_index, encoder, llm)
    llm.script(("reply", "海淀区有北大、清华等高等院校 33 所[1]，另见[7]。"))
    answer = service.ask(QUESTION, 5)
    assert answer.generator == "llm" and answer.answerable
    assert answer.answer == "海淀区有北大、清华等高等院校 33 所[1]，另见。"
    assert [c.ref for c in answer.citations] == [1]
    prompt = llm.requests[0]["messages"][-1]["content"]
    assert "[1] 《北京市海淀区双创经验总结.txt》" in prompt and QUESTION in prompt
    assert answer.citations[0].passage.chunk.text in prompt


def test_reply_citing_nothing_falls_back_to_the_extractive_answer(built_index, encoder, llm):
    service = _service(built_index, encoder, llm)
    llm.script(("reply", "海淀区大约有三十多所高校。"))
    answer = service.ask(QUESTION, 5)
    assert answer.generator == "extractive" and "33" in answer.answer and "cited no passage" in answer.notice


def test_llm_saying_not_in_passages_abstains(built_index, encoder, llm):
    service = _service(built_index, encoder, llm)
    llm.script(("reply", "资料中没有相关信息。"))
    answer = service.ask(QUESTION, 5)
    assert not answer.answerable and answer.citations == []


def test_question_the_documents_do_not_cover_costs_no_llm_call(built_index, encoder, llm):
    service = _service(built_index, encoder, llm)
    llm.script(("reply", "不该被调用[1]"))
    assert not service.ask("红烧肉怎么做才好吃？", 5).answerable
    assert llm.requests == []


def test_server_error_is_retried_then_falls_back(built_index, encoder, llm):
    service = _service(built_index, encoder, llm, llm_max_retries=1)
    llm.script(("status", 500), ("status", 500))
    answer = service.ask(QUESTION, 5)
    assert len(llm.requests) == 2  # one retry
    assert answer.generator == "extractive" and "33" in answer.answer and "failed" in answer.notice


def test_retry_recovers_from_one_failure(built_index, encoder, llm):
    service = _service(built_index, encoder, llm, llm_max_retries=1)
    llm.script(("status", 503), ("reply", "共有 33 所[1]。"))
    answer = service.ask(QUESTION, 5)
    assert answer.generator == "llm" and answer.answer == "共有 33 所[1]。"


def test_timeout_falls_back_or_gives_504(built_index, encoder, llm):
    service = _service(built_index, encoder, llm, llm_timeout=0.5)
    llm.script(("sleep", 2.0, "太慢了[1]"))
    answer = service.ask(QUESTION, 5)
    assert answer.generator == "extractive" and "in time" in answer.notice
    strict = _service(built_index, encoder, llm, llm_timeout=0.5, llm_fallback=False)
    llm.script(("sleep", 2.0, "太慢了[1]"))
    resp = app_for(strict).test_client().post("/v1/ask", json={"question": QUESTION})
    assert resp.status_code == 504 and resp.get_json()["error"]["code"] == "llm_timeout"
    llm.script(("status", 500))
    resp = app_for(strict).test_client().post("/v1/ask", json={"question": QUESTION})
    assert resp.status_code == 502 and resp.get_json()["error"]["code"] == "llm_error"


def test_multi_turn_conversation_end_to_end_with_the_openai_sdk(built_index, encoder, llm):
    import openai

    service = _service(built_index, encoder, llm)
    conversation = [
        {"role": "user", "content": "海淀区有多少所高等院校？"},
        {"role": "assistant", "content": "海淀区有北大、清华等高等院校 33 所[1]。\n\n来源：\n- [1] 海淀区.txt，第 1–9 行"},
        {"role": "user", "content": "那科研院所呢？"},
    ]
    with serve(app_for(service)) as base:
        client = openai.OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0)
        for stream in (False, True):
            llm.script(("reply", "海淀区有多少家科研院所？"), ("reply", "海淀区有以中科院为代表的科研院所 138 家[1]。"))
            if stream:
                chunks = list(client.chat.completions.create(model="qa-service", messages=conversation, stream=True))
                text = "".join(c.choices[0].delta.content or "" for c in chunks)
                extra = chunks[-1].model_extra
            else:
                reply = client.chat.completions.create(model="qa-service", messages=conversation)
                text, extra = reply.choices[0].message.content, reply.model_extra
            rewrite_request, answer_request = llm.requests
            assert "海淀区有多少所高等院校" in rewrite_request["messages"][-1]["content"]  # the history was sent
            assert "来源" not in rewrite_request["messages"][-1]["content"]  # without the earlier answer's sources
            assert "海淀区有多少家科研院所" in answer_request["messages"][-1]["content"]  # the rewrite was answered
            assert extra["question"] == "海淀区有多少家科研院所？" and extra["generator"] == "llm"
            assert without_footnotes(text) == "海淀区有以中科院为代表的科研院所 138 家[1]。"
            assert "\n\n来源：\n- [1] 北京市海淀区双创经验总结.txt，" in text
            assert "科研院所 138 家" in extra["citations"][0]["text"]


def test_failed_rewrite_uses_the_follow_up_as_it_is(built_index, encoder, llm):
    from qa_service.conversation.question_rewriter import Turn

    service = _service(built_index, encoder, llm)
    llm.script(("status", 500))
    assert service.standalone_question([Turn("user", "海淀区有多少所高等院校？")], "那科研院所呢？") == "那科研院所呢？"


def test_rewrite_is_capped_and_a_cut_one_not_used(built_index, encoder, llm):
    from qa_service.conversation.question_rewriter import REWRITE_MAX_TOKENS, Turn

    service = _service(built_index, encoder, llm)
    llm.script(("length", "海淀区有多少家科研院所以及"))
    assert service.standalone_question([Turn("user", "海淀区有多少所高等院校？")], "那科研院所呢？") == "那科研院所呢？"
    assert llm.requests[0]["max_tokens"] == REWRITE_MAX_TOKENS


def test_without_an_llm_the_question_is_not_rewritten(service):
    from qa_service.conversation.question_rewriter import Turn

    assert service.standalone_question([Turn("user", "海淀区有多少所高等院校？")], "那科研院所呢？") == "那科研院所呢？"


def _stream_chat(service, question=QUESTION):
    import openai

    with serve(app_for(service)) as base:
        client = openai.OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0)
        chunks = list(client.chat.completions.create(model="qa-service", stream=True,
                                                     messages=[{"role": "user", "content": question}]))
    return without_footnotes("".join(c.choices[0].delta.content or "" for c in chunks)), chunks[-1].model_extra


def test_streamed_llm_tokens_are_checked_for_markers_on_the_fly(built_index, encoder, llm):
    service = _service(built_index, encoder, llm)
    # Chunks of three characters split "[7]" and "[1]" across events; the invented one must never be sent.
    llm.script(("reply", "海淀区有高等院校33所[1]，另见[7]。"))
    text, extra = _stream_chat(service)
    assert llm.requests[0]["stream"] is True
    assert text == "海淀区有高等院校33所[1]，另见。"
    assert extra["generator"] == "llm" and [c["ref"] for c in extra["citations"]] == [1]


def test_stream_broken_off_by_the_llm_ends_with_a_notice(built_index, encoder, llm):
    service = _service(built_index, encoder, llm)
    llm.script(("break", "海淀区有高等院校33所[1]，还有"))
    text, extra = _stream_chat(service)
    assert text.startswith("海淀区有高等院校33所[1]")  # sent before the break: it cannot be recalled
    # ... but the final chunk does not pass the half sentence off as a finished answer
    assert "broke off" in extra["notice"] and extra["generator"] == "extractive"


def test_stream_failing_before_any_token_falls_back_or_is_a_json_error(built_index, encoder, llm):
    service = _service(built_index, encoder, llm)
    llm.script(("status", 500))
    text, extra = _stream_chat(service)
    assert "33" in text and extra["generator"] == "extractive" and "failed" in extra["notice"]
    strict = _service(built_index, encoder, llm, llm_fallback=False)
    llm.script(("status", 500))
    resp = app_for(strict).test_client().post("/v1/ask", json={"question": QUESTION, "stream": True})
    assert resp.status_code == 502 and resp.get_json()["error"]["code"] == "llm_error"


# --- claims checked against the passages they cite -------------------------------------------------------

INVENTED = "每位市民每月可领取一万元人工智能补贴[1]。"
SUPPORTED = "海淀区有北大、清华等高等院校 33 所[1]。"


def test_invented_amount_citing_a_real_passage_is_not_a_clean_answer(built_index, encoder, llm):
    service = _service(built_index, encoder, llm)
    llm.script(("reply", INVENTED))
    answer = service.ask(QUESTION, 5)
    # Nothing supported is left: the extractive answer, and the response says which claim was dropped.
    assert answer.generator == "extractive" and "33" in answer.answer and "一万元" not in answer.answer
    assert "一万元" in answer.notice and "extractive answer returned" in answer.notice
    assert [(c.claim, c.kind, c.refs) for c in answer.unsupported_claims] == [("一万元", "number", (1,))]
    assert answer.unsupported_claims[0].sentence == INVENTED


def test_supported_answer_passes_untouched(built_index, encoder, llm):
    service = _service(built_index, encoder, llm)
    for reply in (SUPPORTED, "海淀区有三十三所高等院校[1]，科研院所 138 家[1]。"):  # numerals compared by value
        llm.script(("reply", reply))
        answer = service.ask(QUESTION, 5)
        assert (answer.generator, answer.answer, answer.notice, answer.unsupported_claims) == ("llm", reply, None, ())


def test_unsupported_sentence_is_removed_and_the_rest_kept(built_index, encoder, llm):
    service = _service(built_index, encoder, llm)
    llm.script(("reply", SUPPORTED + "其中苏州工业园区另有 12 所[1]。"))
    answer = service.ask(QUESTION, 5)
    assert answer.generator == "llm" and answer.answerable and answer.answer == SUPPORTED
    assert {(c.claim, c.kind) for c in answer.unsupported_claims} == {("苏州工业园区", "entity"), ("12 所", "number")}
    assert "苏州工业园区" in answer.notice and "removed" in answer.notice


def test_remainder_without_the_asked_number_falls_back(built_index, encoder, llm):
    service = _service(built_index, encoder, llm)
    llm.script(("reply", "海淀区教育资源丰富[1]。高等院校共 45 所[1]。"))  # 多少 needs a number: none is left
    answer = service.ask(QUESTION, 5)
    assert answer.generator == "extractive" and "33" in answer.answer
    # 教育资源丰富 is not what the cited passage says (content), 45 所 not what any passage says (number)
    assert [(c.claim, c.kind) for c in answer.unsupported_claims] == [("海淀区教育资源丰富。", "content"),
                                                                      ("45 所", "number")]


def test_claim_verdict_reaches_http_and_openai_clients(built_index, encoder, llm):
    import openai

    service = _service(built_index, encoder, llm)
    app = app_for(service)
    llm.script(("reply", INVENTED))
    body = app.test_client().post("/v1/ask", json={"question": QUESTION}).get_json()
    assert body["unsupported_claims"][0]["claim"] == "一万元" and "一万元" in body["notice"]
    with serve(app) as base:
        client = openai.OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0)
        llm.script(("reply", INVENTED))
        reply = client.chat.completions.create(model="qa-service", messages=[{"role": "user", "content": QUESTION}])
        assert "一万元" not in reply.choices[0].message.content
        assert reply.model_extra["unsupported_claims"][0]["claim"] == "一万元" and reply.model_extra["notice"]
        llm.script(("reply", SUPPORTED))
        reply = client.chat.completions.create(model="qa-service", messages=[{"role": "user", "content": QUESTION}])
        assert without_footnotes(reply.choices[0].message.content) == SUPPORTED
        assert "unsupported_claims" not in reply.model_extra and "notice" not in reply.model_extra


def test_streamed_unsupported_claim_is_reported_in_the_final_event(built_index, encoder, llm):
    import json

    service = _service(built_index, encoder, llm)
    llm.script(("reply", SUPPORTED + INVENTED))
    text, extra = _stream_chat(service)
    assert text == SUPPORTED + INVENTED  # already sent: cannot be recalled
    assert extra["answerable"] and extra["generator"] == "llm"
    assert [c["claim"] for c in extra["unsupported_claims"]] == ["一万元"] and "streamed" in extra["notice"]
    llm.script(("reply", INVENTED))
    resp = app_for(service).test_client().post("/v1/ask", json={"question": QUESTION, "stream": True})
    events = [json.loads(line[6:]) for line in resp.get_data(as_text=True).splitlines()
              if line.startswith("data: {")]
    done = events[-1]
    assert done["type"] == "answer.done" and "一万元" in "".join(e.get("text", "") for e in events[:-1])
    assert done["generator"] == "extractive" and "一万元" not in done["answer"] and "33" in done["answer"]
    assert done["unsupported_claims"][0]["claim"] == "一万元" and "一万元" in done["notice"]
    llm.script(("reply", SUPPORTED))
    text, extra = _stream_chat(service)
    assert text == SUPPORTED and "notice" not in extra and "unsupported_claims" not in extra


# --- one deadline for the whole ask, retries included ---------------------------------------------------

def test_llm_retries_end_within_the_request_deadline(built_index, encoder, llm):
    import time

    # 1 s per attempt and 5 retries would take 6 attempts and 15.5 s of back-off: over 20 s.
    service = _service(built_index, encoder, llm, llm_timeout=1.0, llm_max_retries=5, ask_deadline_seconds=2.5)
    llm.script(*[("sleep", 3.0, "太慢了[1]")] * 6)
    started = time.monotonic()
    answer = service.ask(QUESTION, 5)
    elapsed = time.monotonic() - started
    assert answer.generator == "extractive" and "in time" in answer.notice
    assert len(llm.requests) <= 2  # an attempt, a back-off, the attempt that fits: no third
    assert elapsed < 10.0  # the deadline is 2.5 s; the SDK's own retries took over 20 s here


def test_no_llm_attempt_starts_without_time_for_it(built_index, encoder, llm):
    from qa_service.types import Deadline

    service = _service(built_index, encoder, llm)
    llm.script(("reply", SUPPORTED))
    answer = service.ask(QUESTION, 5, Deadline.after(0.0))
    assert llm.requests == [] and answer.generator == "extractive" and "in time" in answer.notice


def test_streaming_llm_stops_at_the_deadline(built_index, encoder, llm):
    from qa_service.types import Deadline

    service = _service(built_index, encoder, llm, llm_timeout=30.0)
    llm.script(("hold", "海淀区有高等院校 33 所[1]", "，还有更多。"))  # stalls after the first part
    try:
        pieces = list(service.ask_stream(QUESTION, 5, Deadline.after(2.0)))
    finally:
        llm.gate.set()
    answer = pieces[-1]
    assert "".join(p for p in pieces[:-1]).startswith("海淀区有高等院校 33 所[1]")
    assert "deadline" in answer.notice and answer.finish_reason == "length"  # cut by a limit, not broken
    assert answer.generator == "extractive" and "更多" not in answer.answer


# --- chat history sent to the rewrite is bounded -------------------------------------------------------

def test_long_chat_history_is_cut_before_the_rewrite(built_index, encoder, llm):
    import openai

    service = _service(built_index, encoder, llm)
    big = ("Haidian has many universities. 海淀区高等院校很多。" * 2000)[:50_000]  # 6 x 50,000 characters
    conversation = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"第{i}轮" + big} for i in range(6)]
    conversation.append({"role": "user", "content": "那科研院所呢？"})
    with serve(app_for(service)) as base:
        client = openai.OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0)
        llm.script(("reply", "海淀区有多少家科研院所？"), ("reply", "海淀区有以中科院为代表的科研院所 138 家[1]。"))
        reply = client.chat.completions.create(model="qa-service", messages=conversation)
    assert reply.model_extra["question"] == "海淀区有多少家科研院所？"
    prompt = llm.requests[0]["messages"][-1]["content"]
    assert len(prompt) < 4000 + 200  # QA_CHAT_HISTORY_CHARS, plus the frame and the question
    assert "第5轮" in prompt and "第0轮" not in prompt and prompt.endswith("那科研院所呢？")  # the newest kept


def test_rewrite_longer_than_a_question_is_not_used(built_index, encoder, llm):
    from qa_service.conversation.question_rewriter import Turn

    service = _service(built_index, encoder, llm, max_question_chars=50)
    llm.script(("reply", "海淀区" * 40))
    assert service.standalone_question([Turn("user", "海淀区有多少所高等院校？")], "那科研院所呢？") == "那科研院所呢？"


def test_the_question_is_cut_once_although_gate_claims_and_citations_read_it(built_index, encoder, llm, monkeypatch):
    from collections import Counter

    from embeddings.lexical.chinese_tokenizer import ChineseTokenizer

    cuts: Counter = Counter()
    real = ChineseTokenizer.__call__
    monkeypatch.setattr(ChineseTokenizer, "__call__", lambda self, text: cuts.update([text]) or real(self, text))
    service = _service(built_index, encoder, llm)
    for stream in (False, True):
        llm.script(("reply", SUPPORTED + INVENTED))  # the claim check runs, and the citations are quoted
        if stream:
            answer = list(service.ask_stream(QUESTION, 5))[-1]
        else:
            answer = service.ask(QUESTION, 5)
        assert answer.generator == "llm" and answer.unsupported_claims and answer.citations[0].quote
    assert cuts[QUESTION] == 2  # once per ask


# --- one final answer whichever way it is asked (issue 23) ---------------------------------------------

WAYS = ("ask", "ask-stream", "chat", "chat-stream")


def _asked(app, way, question=QUESTION):
    """The final result of one way of asking: answer text, answerable, citation refs, generator,
    finish_reason, notice, revision and unsupported claims (the chat ones read from the JSON a client receives)."""
    import json

    client = app.test_client()
    if way.startswith("ask"):
        resp = client.post("/v1/ask", json={"question": question, "stream": way == "ask-stream"})
        if way == "ask":
            body = resp.get_json()
        else:
            body = [json.loads(line[6:]) for line in resp.get_data(as_text=True).splitlines()
                    if line.startswith("data: {")][-1]
            assert body["type"] == "answer.done"
        answer, finish = body["answer"], body.get("finish_reason", "stop")
    else:
        resp = client.post("/v1/chat/completions", json={"model": "qa-service", "stream": way == "chat-stream",
                                                          "messages": [{"role": "user", "content": question}]})
        if way == "chat":
            body = resp.get_json()
            choice = body["choices"][0]
            answer, finish = without_footnotes(choice["message"]["content"]), choice["finish_reason"]
        else:
            chunks = [json.loads(line[6:]) for line in resp.get_data(as_text=True).splitlines()
                      if line.startswith("data: {")]
            body = chunks[-1]
            answer, finish = None, body["choices"][0]["finish_reason"]  # the streamed text is checked apart
    assert resp.status_code == 200
    return {"answer": answer, "answerable": body["answerable"], "refs": [c["ref"] for c in body["citations"]],
            "generator": body["generator"], "finish_reason": finish, "notice": body.get("notice"),
            "revision": body.get("revision"), "unsupported": [c["claim"] for c in body.get("unsupported_claims") or []]}


def _every_way(service, llm, *step, question=QUESTION, after=None):
    """The final results of the four ways, each given the same scripted step; they must agree."""
    app = app_for(service)
    results = {}
    for way in WAYS:
        llm.script(step)
        try:
            results[way] = _asked(app, way, question)
        finally:
            llm.gate.set()
        results[way]["requests"] = list(llm.requests)
    plain = results["ask"]
    for way, result in results.items():
        same = {k: v for k, v in result.items() if k not in ("notice", "requests", "answer")}
        assert same == {k: v for k, v in plain.items() if k not in ("notice", "requests", "answer")}, way
        assert (result["notice"] is None) == (plain["notice"] is None), way
        if result["answer"] is not None:
            assert result["answer"] == plain["answer"], way
    return results


def test_max_tokens_is_sent_from_the_setting(built_index, encoder, llm):
    for overrides, expected in (({}, 512), ({"llm_max_tokens": 64}, 64)):
        service = _service(built_index, encoder, llm, **overrides)
        llm.script(("reply", SUPPORTED))
        service.ask(QUESTION, 5)
        assert llm.requests[0]["max_tokens"] == expected


def test_runaway_generation_is_capped_and_not_accepted_as_an_answer(built_index, encoder, llm):
    service = _service(built_index, encoder, llm, llm_max_tokens=64)
    results = _every_way(service, llm, "runaway", "海淀区有高等院校33所[1]，还有")
    for result in results.values():
        [request] = result["requests"]  # no retry of a cut answer
        assert request["max_tokens"] == 64
        assert result["generator"] == "extractive" and result["finish_reason"] == "length"
        assert "cut at 64 tokens" in result["notice"] and "extractive answer returned" in result["notice"]
    assert "33" in results["ask"]["answer"] and "还有" not in results["ask"]["answer"]


def test_reply_cut_at_length_is_replaced_in_every_form(built_index, encoder, llm):
    service = _service(built_index, encoder, llm)
    results = _every_way(service, llm, "length", "海淀区有北大、清华等高等院校 33 所[1]，以及")
    assert {r["finish_reason"] for r in results.values()} == {"length"}
    assert {r["generator"] for r in results.values()} == {"extractive"}


def test_llm_killed_mid_reply_is_not_a_finished_answer(built_index, encoder, llm):
    service = _service(built_index, encoder, llm)
    results = _every_way(service, llm, "break", "海淀区有高等院校33所[1]，还有")
    for result in results.values():
        assert result["generator"] == "extractive" and result["finish_reason"] == "error" and result["notice"]
    assert "broke off" in results["chat-stream"]["notice"]


def test_slow_first_token_times_out_the_same_way_in_every_form(built_index, encoder, llm):
    service = _service(built_index, encoder, llm, llm_timeout=0.5)
    results = _every_way(service, llm, "hold", "", SUPPORTED)  # nothing until the test lets it go
    for result in results.values():
        assert result["generator"] == "extractive" and result["finish_reason"] == "error"
        assert "in time" in result["notice"]  # a timeout, not "endpoint failed"
        assert len(result["requests"]) == 1


@pytest.mark.parametrize("written, normalised, refs", [
    ("[1, 2]", "[1][2]", [1, 2]), ("[1，2]", "[1][2]", [1, 2]), ("[1][2]", "[1][2]", [1, 2]),
    ("[^1]", "[1]", [1]), ("【1】", "[1]", [1]), ("[1, 9]", "[1]", [1]),
])
def test_marker_forms_models_write_are_read_as_citations(built_index, encoder, llm, written, normalised, refs):
    service = _service(built_index, encoder, llm)
    results = _every_way(service, llm, "reply", f"海淀区有北大、清华等高等院校 33 所{written}。")
    assert results["ask"]["answer"] == f"海淀区有北大、清华等高等院校 33 所{normalised}。"
    assert results["ask"]["refs"] == refs and results["ask"]["generator"] == "llm"
    llm.script(("reply", f"海淀区有北大、清华等高等院校 33 所{written}。"))
    text, _ = _stream_chat(service)
    assert text == results["ask"]["answer"]  # the streamed text is normalised on the fly too


def test_answer_made_only_of_markers_is_not_accepted(built_index, encoder, llm):
    service = _service(built_index, encoder, llm)
    results = _every_way(service, llm, "reply", "[1] [2]。")
    assert results["ask"]["generator"] == "extractive" and "33" in results["ask"]["answer"]
    assert "only citation markers" in results["ask"]["notice"]


def test_uncited_reply_gives_the_extractive_answer_streamed_too(built_index, encoder, llm):
    service = _service(built_index, encoder, llm)
    results = _every_way(service, llm, "reply", "海淀区大约有三十多所高校。")
    streamed = results["chat-stream"]
    assert streamed["generator"] == "extractive" and "cited no passage" in streamed["notice"]


@pytest.mark.parametrize("question, opening", [
    ("中关村创业大街累计吸引了多少名创业导师？", "文档提到了"),  # the detail is not stated
    ("海淀区为什么关停了 50 家商品交易市场？", "文档中的说法与问题不同"),  # the premise is contradicted
])
def test_the_reader_decides_before_the_llm_is_asked(built_index, encoder, llm, question, opening):
    service = _service(built_index, encoder, llm)
    results = _every_way(service, llm, "reply", "创业导师共有 500 名[1]。", question=question)
    for result in results.values():
        assert result["requests"] == [] and not result["answerable"] and result["generator"] == "extractive"
    assert results["ask"]["answer"].startswith(opening)


def test_usage_is_passed_through_from_the_llm(built_index, encoder, llm):
    import openai

    service = _service(built_index, encoder, llm)
    with serve(app_for(service)) as base:
        client = openai.OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0)
        messages = [{"role": "user", "content": QUESTION}]
        llm.script(("reply", SUPPORTED))
        reply = client.chat.completions.create(model="qa-service", messages=messages)
        prompt = sum(len(m["content"]) for m in llm.requests[0]["messages"])
        assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (prompt, len(SUPPORTED))
        assert reply.choices[0].finish_reason == "stop"
        llm.script(("reply", SUPPORTED))
        chunks = list(client.chat.completions.create(model="qa-service", messages=messages, stream=True,
                                                     stream_options={"include_usage": True}))
        assert llm.requests[0]["stream_options"] == {"include_usage": True}  # asked of the LLM too
        assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == len(SUPPORTED)
        assert chunks[-2].choices[0].finish_reason == "stop"
        llm.script(("reply", SUPPORTED))
        chunks = list(client.chat.completions.create(model="qa-service", messages=messages, stream=True))
        assert chunks[-1].choices and chunks[-1].usage is None  # not asked for: no usage chunk
    # an extractive answer spent no LLM tokens
    llm.script(("reply", "不该被调用[1]"))
    body = app_for(service).test_client().post("/v1/chat/completions", json={
        "messages": [{"role": "user", "content": "红烧肉怎么做才好吃？"}]}).get_json()
    assert body["usage"]["total_tokens"] == 0 and llm.requests == []
