"""/channels/wecom against requests signed and encrypted by wechatpy (an independent, maintained implementation of
WeCom's callback crypto), answers checked at the local stand-in of WeCom's token and message APIs."""
from __future__ import annotations

import time
import uuid
import xml.etree.ElementTree as ET

import pytest
from wechatpy.enterprise.crypto import WeChatCrypto

from tests.qa_service.channels.conftest import QUESTION, WECOM_AES_KEY, WECOM_TOKEN
from tests.qa_service.channels.platforms import WECOM_CORP_ID

AGENT_ID = "1000002"
USER = "zhangsan"


def _crypto(token: str = WECOM_TOKEN, key: str = WECOM_AES_KEY, corp: str = WECOM_CORP_ID) -> WeChatCrypto:
    return WeChatCrypto(token, key, corp)


def _sealed(plain: str, crypto: WeChatCrypto, timestamp: str | None = None) -> tuple[str, dict[str, str]]:
    """wechatpy's encryption of `plain`: the Encrypt text and the query WeCom sends with it."""
    nonce = uuid.uuid4().hex[:10]
    timestamp = timestamp or str(int(time.time()))
    envelope = ET.fromstring(crypto.encrypt_message(plain, nonce, timestamp))
    encrypt, signature = envelope.findtext("Encrypt"), envelope.findtext("MsgSignature")
    return encrypt, {"msg_signature": signature, "timestamp": timestamp, "nonce": nonce}


def _message(content: str, msg_id: str | None = None, crypto: WeChatCrypto | None = None,
             timestamp: str | None = None) -> tuple[bytes, dict[str, str]]:
    """A text message as WeCom posts it to the callback URL: the encrypted XML body and its query."""
    inner = (f"<xml><ToUserName><![CDATA[{WECOM_CORP_ID}]]></ToUserName><FromUserName><![CDATA[{USER}]]>"
             f"</FromUserName><CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
             f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id or uuid.uuid4().int % 10**18}</MsgId>"
             f"<AgentID>{AGENT_ID}</AgentID></xml>")
    encrypt, query = _sealed(inner, crypto or _crypto(), timestamp)
    body = (f"<xml><ToUserName><![CDATA[{WECOM_CORP_ID}]]></ToUserName><AgentID><![CDATA[{AGENT_ID}]]></AgentID>"
            f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>")
    return body.encode("utf-8"), query


def _post(client, body: bytes, query: dict[str, str]):
    return client.post("/channels/wecom", query_string=query, data=body, content_type="text/xml")


def test_url_verification_returns_the_decrypted_echostr(channel_client):
    echostr, query = _sealed("7894561230123456789", _crypto())
    assert _crypto().check_signature(query["msg_signature"], query["timestamp"], query["nonce"], echostr) \
        == "7894561230123456789"  # wechatpy agrees the handshake is well formed
    resp = channel_client.get("/channels/wecom", query_string={**query, "echostr": echostr})
    assert resp.status_code == 200 and resp.get_data(as_text=True) == "7894561230123456789"
    forged, query = _sealed("7894561230123456789", _crypto(token="another-token"))
    assert channel_client.get("/channels/wecom", query_string={**query, "echostr": forged}).status_code == 401


def test_a_signed_question_is_acknowledged_empty_and_answered_with_sources(channel_client, platforms):
    resp = _post(channel_client, *_message(QUESTION))
    assert resp.status_code == 200 and resp.get_data() == b""
    [sent] = platforms.wait_for("wecom")
    assert sent.body["touser"] == USER and sent.body["agentid"] == int(AGENT_ID)
    assert sent.body["msgtype"] == "markdown" and sent.token.startswith("wecom-")
    content = sent.body["markdown"]["content"]
    assert "[1]" in content and "**来源**" in content and "海淀" in content.split("**来源**")[1]
    assert len(content.encode("utf-8")) <= 2048


@pytest.mark.parametrize("wrong", ["token", "key", "corp"])
def test_a_request_not_from_our_app_is_401_and_nothing_is_sent(channel_client, platforms, wrong):
    crypto = _crypto(**{"token": dict(token="another-token"), "key": dict(key="B" * 43),
                        "corp": dict(corp="ww-another-corp")}[wrong])
    resp = _post(channel_client, *_message(QUESTION, crypto=crypto))
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "bad_signature"
    assert channel_client.application.extensions["qa_channels"].sender.wait_idle(60)
    assert platforms.messages("wecom") == []


def test_a_tampered_or_stale_request_is_401(channel_client, platforms):
    body, query = _message(QUESTION)
    assert _post(channel_client, body, {**query, "nonce": "other"}).status_code == 401
    old = str(int(time.time()) - 2 * 3600)
    assert _post(channel_client, *_message(QUESTION, timestamp=old)).status_code == 401
    assert platforms.messages("wecom") == []


def test_retries_of_one_message_are_answered_once(channel_client, platforms):
    body, query = _message(QUESTION, msg_id="5555000011112222333")
    for _ in range(3):  # WeCom retries a message three times
        assert _post(channel_client, body, query).status_code == 200
    assert channel_client.application.extensions["qa_channels"].sender.wait_idle(60)
    assert len(platforms.messages("wecom")) == 1


def test_a_slow_answer_is_acknowledged_at_once_and_sent_once(gated, platforms):
    app, slow = gated
    client = app.test_client()
    body, query = _message(QUESTION)
    assert _post(client, body, query).status_code == 200  # acknowledged while the answer is still held
    assert _post(client, body, query).status_code == 200  # WeCom's retry after 5 s
    assert platforms.messages("wecom") == []
    slow.gate.set()
    platforms.wait_for("wecom")
    assert app.extensions["qa_channels"].sender.wait_idle(60)
    assert len(platforms.messages("wecom")) == 1 and slow.asked == 1


def test_a_body_that_is_not_the_callback_xml_is_400(channel_client):
    resp = channel_client.post("/channels/wecom", data=b'<!DOCTYPE x [<!ENTITY a "b">]><xml/>',
                               content_type="text/xml")
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "invalid_body"
