"""The official openai SDK, unchanged, against the service on a real loopback server."""
import openai
import pytest

from qa_service.citation_footnotes import footnotes
from tests.qa_service.apps import app_for
from tests.qa_service.servers import serve

QUESTION = "海淀区有多少所高等院校？"


@pytest.fixture(scope="module")
def client(app):
    with serve(app) as base:
        yield openai.OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0)


def test_models_lists_the_service(client):
    assert [m.id for m in client.models.list()] == ["qa-service"]


def test_chat_completion_answers_with_markers_and_citations(client):
    reply = client.chat.completions.create(model="qa-service", messages=[
        {"role": "system", "content": "你是助手"}, {"role": "user", "content": QUESTION}])
    assert reply.object == "chat.completion"
    text = reply.choices[0].message.content
    assert "33" in text and "[1]" in text and reply.choices[0].finish_reason == "stop"
    citations = reply.model_extra["citations"]
    assert citations[0]["ref"] == 1 and "高等院校 33 所" in citations[0]["text"]


def test_streaming_gives_the_same_answer_and_citations_last(client):
    plain = client.chat.completions.create(model="qa-service", messages=[{"role": "user", "content": QUESTION}])
    chunks = list(client.chat.completions.create(model="qa-service", stream=True,
                                                 messages=[{"role": "user", "content": QUESTION}]))
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == plain.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["citations"][0]["text"] == plain.model_extra["citations"][0]["text"]
    assert all("citations" not in (c.model_extra or {}) for c in chunks[:-1])
    # The sources come as one content delta of their own, once the verified citations are known.
    assert chunks[-2].choices[0].delta.content.startswith("\n\n来源：\n- [1] ")


def test_the_message_text_carries_the_sources(client, service):
    """What a client that shows only the text shows: the answer, then each cited document, section and place."""
    reply = client.chat.completions.create(model="qa-service", messages=[{"role": "user", "content": QUESTION}])
    text, cited = reply.choices[0].message.content, reply.model_extra["citations"][0]
    answer = service.ask(QUESTION, 5)
    assert text == answer.answer + footnotes(answer.citations, answer.answer)
    assert text.startswith(answer.answer + "\n\n来源：\n- [1] " + cited["doc"] + "，一、基本情况")
    # the short answer (33 所) is followed, in the source line, by the sentence that states it
    assert text.endswith(f"第 {cited['line_start']}–{cited['line_end']} 行：“{' '.join(cited['quote'].split())}”")
    unanswerable = client.chat.completions.create(model="qa-service", messages=[{"role": "user", "content": "红烧肉怎么做才好吃？"}])
    assert "来源" not in unanswerable.choices[0].message.content  # nothing cited, nothing listed


def test_footnotes_can_be_turned_off_for_clients_that_read_citations(service):
    answer = service.ask(QUESTION, 5).answer
    with serve(app_for(service, chat_citation_footnotes=False)) as base:
        client = openai.OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0)
        messages = [{"role": "user", "content": QUESTION}]
        reply = client.chat.completions.create(model="qa-service", messages=messages)
        chunks = list(client.chat.completions.create(model="qa-service", messages=messages, stream=True))
    assert reply.choices[0].message.content == answer and reply.model_extra["citations"][0]["ref"] == 1
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == answer


def test_langchain_chat_openai_shows_the_sources(client):
    """LangChain's ChatOpenAI keeps only the message text: the sources reach its user through the footnotes."""
    chat_openai = pytest.importorskip("langchain_openai").ChatOpenAI
    llm = chat_openai(base_url=str(client.base_url), api_key="unused", model="qa-service", max_retries=0)
    said = llm.invoke(QUESTION).content
    streamed = "".join(piece.content for piece in llm.stream(QUESTION))
    for text in (said, streamed):
        assert "33" in text and "[1]" in text and "来源：\n- [1] 北京市海淀区双创经验总结.txt，" in text
    assert streamed == said


def test_unanswerable_says_so(client):
    reply = client.chat.completions.create(model="qa-service", messages=[{"role": "user", "content": "红烧肉怎么做才好吃？"}])
    assert reply.model_extra["answerable"] is False and reply.model_extra["citations"] == []


def test_content_parts_are_accepted(client):
    reply = client.chat.completions.create(model="qa-service", messages=[
        {"role": "user", "content": [{"type": "text", "text": QUESTION}]}])
    assert "33" in reply.choices[0].message.content


@pytest.mark.parametrize("messages", [[], [{"role": "assistant", "content": "hi"}], [{"role": "user", "content": " "}],
                                      [{"role": "user", "content": 5}]])
def test_bad_conversations_are_422_json(client, messages):
    with pytest.raises(openai.UnprocessableEntityError) as err:
        client.chat.completions.create(model="qa-service", messages=messages)
    assert set(err.value.body) == {"code", "message"} or "error" in err.value.response.json()


def test_ask_deadline_and_history_settings_are_read_and_checked():
    from qa_service.settings import Settings, SettingsError

    s = Settings.from_env({"QA_ASK_DEADLINE_SECONDS": "12.5", "QA_CHAT_HISTORY_TURNS": "2",
                           "QA_CHAT_HISTORY_CHARS": "1000"})
    assert (s.ask_deadline_seconds, s.chat_history_turns, s.chat_history_chars) == (12.5, 2, 1000)
    with pytest.raises(SettingsError, match="QA_ASK_DEADLINE_SECONDS"):
        Settings.from_env({"QA_ASK_DEADLINE_SECONDS": "0"})


def test_history_keeps_the_newest_turns_within_the_limits():
    from qa_service.conversation.question_rewriter import HistoryLimits, Turn, bounded_history

    history = [Turn("user" if i % 2 == 0 else "assistant", f"{i}:" + "字" * 3000) for i in range(10)]
    kept = bounded_history(history, HistoryLimits(turns=6, chars=4000))
    assert [t.text.split(":")[0] for t in kept] == ["8", "9"]  # newest whole, the one before cut
    assert sum(len(t.text) for t in kept) <= 4000 and kept[0].text.endswith("…")
    short = [Turn("user", "海淀区有多少所高等院校？"), Turn("assistant", "33 所[1]")] * 5
    assert bounded_history(short, HistoryLimits(turns=6, chars=4000)) == short[-6:]
    assert bounded_history(short, HistoryLimits(turns=0, chars=4000)) == []
