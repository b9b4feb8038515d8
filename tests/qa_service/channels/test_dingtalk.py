"""/channels/dingtalk: pushes signed as DingTalk's documentation specifies (HMAC-SHA256 of "timestamp\\nsecret"
with the AppSecret, base64, in the `timestamp` and `sign` headers), answers checked at the sessionWebhook of the
local stand-in."""
from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid

from tests.qa_service.channels.conftest import DINGTALK_SECRET, QUESTION


def _headers(secret: str = DINGTALK_SECRET, at_ms: int | None = None) -> dict[str, str]:
    timestamp = str(at_ms if at_ms is not None else int(time.time() * 1000))
    mac = hmac.new(secret.encode(), (timestamp + "\n" + secret).encode(), digestmod=hashlib.sha256)
    return {"timestamp": timestamp, "sign": base64.b64encode(mac.digest()).decode()}


def _push(webhook_base: str, content: str, group: bool = False, msg_id: str | None = None,
          at_robot: bool = True) -> dict:
    """A text message as DingTalk pushes it to a robot's HTTP receiving URL."""
    now = int(time.time() * 1000)
    return {
        "conversationId": "cid" + ("group" if group else "single"), "chatbotCorpId": "ding123",
        "chatbotUserId": "$:LWCP_v1:$robot", "msgId": msg_id or "msg" + uuid.uuid4().hex,
        "senderNick": "张三", "isAdmin": False, "senderStaffId": "staff001", "senderId": "$:LWCP_v1:$sender",
        "sessionWebhookExpiredTime": now + 3_600_000, "createAt": now, "senderCorpId": "ding123",
        "conversationType": "2" if group else "1", "conversationTitle": "政策问答群" if group else "",
        "isInAtList": at_robot, "sessionWebhook": f"{webhook_base}/robot/sendBySession?session=s{uuid.uuid4().hex}",
        "text": {"content": (" " if group else "") + content}, "robotCode": "dingrobot", "msgtype": "text",
    }


def _post(client, body: dict, headers: dict[str, str] | None = None):
    return client.post("/channels/dingtalk", json=body, headers=_headers() if headers is None else headers)


def test_a_signed_question_is_answered_on_its_session_webhook_with_sources(channel_client, platforms,
                                                                             platforms_server):
    resp = _post(channel_client, _push(platforms_server[1], QUESTION))
    assert resp.status_code == 200
    [sent] = platforms.wait_for("dingtalk")
    assert sent.body["msgtype"] == "markdown" and "at" not in sent.body
    text = sent.body["markdown"]["text"]
    assert "[1]" in text and "**来源**" in text and "第" in text.split("**来源**")[1]  # the source's place


def test_in_a_group_the_answer_mentions_the_asker(channel_client, platforms, platforms_server):
    assert _post(channel_client, _push(platforms_server[1], QUESTION, group=True)).status_code == 200
    [sent] = platforms.wait_for("dingtalk")
    assert sent.body["at"] == {"atUserIds": ["staff001"], "isAtAll": False}
    assert sent.body["markdown"]["text"].startswith("@staff001 ")


def test_a_group_message_not_at_the_robot_is_not_answered(channel_client, platforms, platforms_server):
    assert _post(channel_client, _push(platforms_server[1], QUESTION, group=True, at_robot=False)).status_code == 200
    assert channel_client.application.extensions["qa_channels"].sender.wait_idle(60)
    assert platforms.messages("dingtalk") == []


def test_bad_or_stale_signatures_are_401_and_nothing_is_posted(channel_client, platforms, platforms_server):
    body = _push(platforms_server[1], QUESTION)
    stale = int((time.time() - 2 * 3600) * 1000)
    for headers in (_headers("another-secret"), _headers(at_ms=stale), {"timestamp": "1", "sign": ""}, {}):
        resp = _post(channel_client, body, headers)
        assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "bad_signature"
    assert channel_client.application.extensions["qa_channels"].sender.wait_idle(60)
    assert platforms.messages("dingtalk") == []


def test_a_replayed_message_is_answered_once(channel_client, platforms, platforms_server):
    body, headers = _push(platforms_server[1], QUESTION), _headers()
    for _ in range(3):
        assert _post(channel_client, body, headers).status_code == 200
    assert channel_client.application.extensions["qa_channels"].sender.wait_idle(60)
    assert len(platforms.messages("dingtalk")) == 1


def test_a_webhook_outside_the_dingtalk_api_is_refused(channel_client, platforms):
    body = _push("http://127.0.0.1:9", QUESTION)  # signed, but naming another host to post to
    resp = _post(channel_client, body)
    assert resp.status_code == 422
    assert platforms.messages("dingtalk") == []


def test_a_slow_answer_is_acknowledged_at_once_and_posted_once(gated, platforms, platforms_server):
    app, slow = gated
    client = app.test_client()
    body, headers = _push(platforms_server[1], QUESTION), _headers()
    assert _post(client, body, headers).status_code == 200
    assert _post(client, body, headers).status_code == 200
    assert platforms.messages("dingtalk") == []
    slow.gate.set()
    platforms.wait_for("dingtalk")
    assert app.extensions["qa_channels"].sender.wait_idle(60)
    assert len(platforms.messages("dingtalk")) == 1 and slow.asked == 1


def test_a_follow_up_is_rewritten_with_its_own_chat_turns(built_index, encoder, platforms):
    """With an LLM (a scripted one over HTTP), the second question of a chat is rewritten with that chat's first
    exchange; the same follow-up in another chat has no turns to be rewritten with."""
    from qa_service.service import QAService
    from tests.qa_service.apps import app_for
    from tests.qa_service.servers import ScriptedLLM, serve

    llm = ScriptedLLM()
    with serve(llm.app) as llm_base, serve(platforms.app()) as base:
        settings = built_index.with_overrides(llm_base_url=llm_base + "/v1", llm_model="scripted",
                                              llm_max_retries=0)
        app = app_for(QAService.from_settings(settings, encoder), dingtalk_app_secret=DINGTALK_SECRET,
                      dingtalk_api_base=base)
        client, hub = app.test_client(), app.extensions["qa_channels"]
        llm.script(("reply", "海淀区有北大、清华等高等院校 33 所[1]。"), ("reply", "海淀区有多少家科研院所？"),
                   ("reply", "海淀区有以中科院为代表的科研院所 138 家[1]。"))
        for question in (QUESTION, "那科研院所呢？"):
            assert _post(client, _push(base, question)).status_code == 200
            assert hub.sender.wait_idle(60)
        first, rewrite, second = llm.requests
        assert "海淀区有多少所高等院校" in rewrite["messages"][-1]["content"]
        assert "海淀区有多少家科研院所" in second["messages"][-1]["content"]
        assert "科研院所 138 家" in platforms.messages("dingtalk")[-1].body["markdown"]["text"]
        llm.script(("reply", "不该被调用"))
        other = {**_push(base, "那科研院所呢？"), "conversationId": "cid-another-chat"}
        assert _post(client, other).status_code == 200 and hub.sender.wait_idle(60)
        assert len(llm.requests) <= 1  # the answer at most, no rewrite
        assert all(QUESTION not in m["content"] for r in llm.requests for m in r["messages"])
        hub.close()
