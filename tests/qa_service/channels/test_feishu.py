"""/channels/feishu: events encrypted and signed here as Feishu documents the scheme (written for the test, not
shared with the service: lark-oapi, the maintained SDK, only decrypts and verifies, and does not install cleanly
next to this project's packages), answers checked at the local stand-in of Feishu's token and message APIs."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import uuid

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tests.qa_service.channels.conftest import FEISHU_ENCRYPT_KEY, FEISHU_VERIFICATION_TOKEN, QUESTION
from tests.qa_service.channels.platforms import FEISHU_APP_ID, FEISHU_BOT_OPEN_ID


def _encrypt(payload: dict, key: str = FEISHU_ENCRYPT_KEY) -> str:
    """AES-256-CBC with sha256(Encrypt Key) and a random IV sent in front, PKCS#7 padded, base64."""
    plain = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    plain += bytes([16 - len(plain) % 16]) * (16 - len(plain) % 16)
    iv = os.urandom(16)
    encryptor = Cipher(algorithms.AES(hashlib.sha256(key.encode()).digest()), modes.CBC(iv)).encryptor()
    return base64.b64encode(iv + encryptor.update(plain) + encryptor.finalize()).decode()


def _request(payload: dict, key: str = FEISHU_ENCRYPT_KEY, signed: bool = True,
             timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"encrypt": _encrypt(payload, key)}).encode()
    if not signed:
        return body, {}
    ts, nonce = str(timestamp or int(time.time())), uuid.uuid4().hex
    signature = hashlib.sha256((ts + nonce + key).encode() + body).hexdigest()
    return body, {"X-Lark-Request-Timestamp": ts, "X-Lark-Request-Nonce": nonce, "X-Lark-Signature": signature}


def _message_event(text: str, chat_type: str = "p2p", mentions: list[dict] | None = None,
                   event_id: str | None = None, token: str = FEISHU_VERIFICATION_TOKEN) -> dict:
    """An im.message.receive_v1 event (schema 2.0) as Feishu pushes it."""
    message_id = "om_" + uuid.uuid4().hex
    return {
        "schema": "2.0",
        "header": {"event_id": event_id or uuid.uuid4().hex, "token": token,
                   "create_time": str(int(time.time() * 1000)), "event_type": "im.message.receive_v1",
                   "tenant_key": "tenant1", "app_id": FEISHU_APP_ID},
        "event": {
            "sender": {"sender_id": {"union_id": "on_u1", "user_id": "u1", "open_id": "ou_user_1"},
                       "sender_type": "user", "tenant_key": "tenant1"},
            "message": {"message_id": message_id, "root_id": "", "parent_id": "", "chat_id": "oc_chat_1",
                        "create_time": str(int(time.time() * 1000)), "chat_type": chat_type, "message_type": "text",
                        "content": json.dumps({"text": text}, ensure_ascii=False), "mentions": mentions or []},
        },
    }


def _mention(key: str, open_id: str, name: str) -> dict:
    return {"key": key, "id": {"union_id": "on_x", "user_id": "", "open_id": open_id}, "name": name,
            "tenant_key": "tenant1"}


def _post(client, body: bytes, headers: dict[str, str]):
    return client.post("/channels/feishu", data=body, headers=headers, content_type="application/json")


def _idle(client) -> None:
    assert client.application.extensions["qa_channels"].sender.wait_idle(60)


def test_url_verification_returns_the_challenge_for_our_token_only(channel_client):
    challenge = {"challenge": "ajls384kdjx98XX", "token": FEISHU_VERIFICATION_TOKEN, "type": "url_verification"}
    resp = _post(channel_client, *_request(challenge, signed=False))
    assert resp.status_code == 200 and resp.get_json() == {"challenge": "ajls384kdjx98XX"}
    resp = _post(channel_client, *_request({**challenge, "token": "another"}, signed=False))
    assert resp.status_code == 401


def test_a_question_is_answered_with_a_card_listing_the_sources(channel_client, platforms):
    event = _message_event(QUESTION)
    assert _post(channel_client, *_request(event)).status_code == 200
    [sent] = platforms.wait_for("feishu")
    assert sent.body["message_id"] == event["event"]["message"]["message_id"]
    assert sent.body["msg_type"] == "interactive" and sent.token.startswith("t-")
    answer, rule, sources = sent.body["card"]["elements"]
    assert "[1]" in answer["content"] and rule == {"tag": "hr"}
    assert sources["content"].startswith("**来源**\n[1] ") and "海淀" in sources["content"]


def test_the_tenant_token_is_cached_and_renewed_when_refused(channel_client, platforms):
    before = platforms.tokens_issued
    for _ in range(2):
        assert _post(channel_client, *_request(_message_event(QUESTION))).status_code == 200
    platforms.wait_for("feishu", 2)
    _idle(channel_client)
    assert platforms.tokens_issued - before <= 1  # one token for both (none when an earlier test fetched it)
    platforms.revoke_tokens()
    issued = platforms.tokens_issued
    assert _post(channel_client, *_request(_message_event(QUESTION))).status_code == 200
    third = platforms.wait_for("feishu", 3)[-1]
    assert platforms.tokens_issued == issued + 1 and third.token == f"t-{issued + 1}"


def test_in_a_group_only_a_mention_of_the_bot_is_answered(channel_client, platforms):
    to_bot = _message_event("@_user_1 " + QUESTION, "group", [_mention("@_user_1", FEISHU_BOT_OPEN_ID, "问答")])
    to_other = _message_event("@_user_1 " + QUESTION, "group", [_mention("@_user_1", "ou_someone", "李四")])
    no_mention = _message_event(QUESTION, "group")
    for event in (to_bot, to_other, no_mention):
        assert _post(channel_client, *_request(event)).status_code == 200
    _idle(channel_client)
    [sent] = platforms.messages("feishu")
    assert sent.body["message_id"] == to_bot["event"]["message"]["message_id"]
    assert "[1]" in sent.body["card"]["elements"][0]["content"]


def test_bad_signatures_and_tokens_are_401_and_nothing_is_sent(channel_client, platforms):
    event = _message_event(QUESTION)
    body, headers = _request(event)
    refused = [
        (body, {**headers, "X-Lark-Signature": "0" * 64}),  # forged signature
        (body.replace(b'"}', b' "}'), headers),  # body changed after signing
        _request(event, key="another-encrypt-key"),  # another app's key
        _request(event, signed=False),  # an event without signature headers
        _request(_message_event(QUESTION, token="another-token")),  # another app's verification token
        _request(event, timestamp=int(time.time()) - 2 * 3600),  # replayed after the window
    ]
    for bad_body, bad_headers in refused:
        resp = _post(channel_client, bad_body, bad_headers)
        assert resp.status_code == 401, bad_headers
    _idle(channel_client)
    assert platforms.messages("feishu") == []


def test_a_redelivered_event_is_answered_once(channel_client, platforms):
    event = _message_event(QUESTION)
    for _ in range(3):  # Feishu redelivers an event; each delivery is signed anew
        assert _post(channel_client, *_request(event)).status_code == 200
    _idle(channel_client)
    assert len(platforms.messages("feishu")) == 1


def test_a_slow_answer_is_acknowledged_at_once_and_sent_once(gated, platforms):
    app, slow = gated
    client = app.test_client()
    event = _message_event(QUESTION)
    assert _post(client, *_request(event)).status_code == 200
    assert _post(client, *_request(event)).status_code == 200  # the redelivery after 3 s without an answer
    assert platforms.messages("feishu") == []
    slow.gate.set()
    platforms.wait_for("feishu")
    assert app.extensions["qa_channels"].sender.wait_idle(60)
    assert len(platforms.messages("feishu")) == 1 and slow.asked == 1
