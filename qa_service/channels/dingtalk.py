"""/channels/dingtalk: a DingTalk (钉钉) robot in HTTP mode (the robot's message receiving URL).

DingTalk signs each push with the headers `timestamp` (ms) and `sign` = base64(HMAC-SHA256(key=AppSecret,
msg=timestamp + "\\n" + AppSecret)) and documents an hour of tolerance for the timestamp. The signature does not
cover the body, so the body is trusted only as far as this: the answer goes to the message's `sessionWebhook`
only when that lies under QA_DINGTALK_API_BASE (a forged body cannot make the service post elsewhere), and each
msgId is answered once. The push is acknowledged at once and the answer posted to the webhook as Markdown with
its sources; in a group (the robot receives only messages that @mention it) the answer @mentions the asker.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
from typing import Any

from flask import Blueprint, jsonify, request

from qa_service.api.errors import ApiError
from qa_service.api.validation import json_object
from qa_service.channels.hub import ChannelHub
from qa_service.channels.outbound import PlatformError
from qa_service.channels.rendering import markdown

log = logging.getLogger(__name__)

CHANNEL = "dingtalk"
MARKDOWN_MAX_BYTES = 18_000  # DingTalk refuses robot messages over 20,000 bytes; room left for the JSON around
GROUP = "2"  # conversationType of a group chat ("1" is a one-to-one chat)
TITLE = "回答"  # the title DingTalk shows in the conversation list for a markdown message


def dingtalk_sign(timestamp: str, secret: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}\n{secret}".encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def blueprint(hub: ChannelHub) -> Blueprint:
    secret = hub.settings.dingtalk_app_secret
    webhook_base = hub.settings.dingtalk_api_base.rstrip("/") + "/"
    routes = Blueprint("channel_dingtalk", __name__)

    def post(webhook: str, message: dict[str, Any]) -> None:
        body = hub.http.post_json(webhook, message, name="dingtalk sessionWebhook")
        if body.get("errcode", 0) != 0:
            raise PlatformError(f"dingtalk sessionWebhook: errcode {body.get('errcode')} {body.get('errmsg', '')}")

    @routes.post("/channels/dingtalk")
    def message():
        timestamp, sign = request.headers.get("timestamp", ""), request.headers.get("sign", "")
        if not timestamp.isdigit() or not hmac.compare_digest(dingtalk_sign(timestamp, secret).encode(),
                                                              sign.encode("utf-8", "replace")):
            raise hub.refuse(CHANNEL, "timestamp/sign do not match the AppSecret")
        hub.fresh(CHANNEL, int(timestamp) / 1000)
        body = json_object(request)
        webhook = _text(body.get("sessionWebhook"))
        if not webhook.startswith(webhook_base):
            raise ApiError(422, "invalid_body", "sessionWebhook is missing or not under QA_DINGTALK_API_BASE")
        expires = body.get("sessionWebhookExpiredTime")
        if isinstance(expires, int) and expires / 1000 < time.time():
            log.info("dingtalk message with an expired sessionWebhook ignored")
            return jsonify({})
        group = _text(body.get("conversationType")) == GROUP
        if body.get("msgtype") != "text" or (group and body.get("isInAtList") is False):
            return jsonify({})
        question = _text((body.get("text") or {}).get("content") if isinstance(body.get("text"), dict) else "")
        message_id = _text(body.get("msgId")) or f"{_text(body.get('conversationId'))}:{timestamp}"
        staff_id = _text(body.get("senderStaffId"))
        chat = f"{CHANNEL}:{_text(body.get('conversationId'))}:{staff_id or _text(body.get('senderId'))}"

        def answer() -> None:
            reply = hub.answer(chat, question)
            mention = f"@{staff_id}" if group and staff_id else ""
            message: dict[str, Any] = {"msgtype": "markdown",
                                       "markdown": {"title": TITLE, "text": markdown(reply, MARKDOWN_MAX_BYTES,
                                                                                     mention)}}
            if mention:
                message["at"] = {"atUserIds": [staff_id], "isAtAll": False}
            post(webhook, message)

        hub.take(f"{CHANNEL}:{message_id}", answer, f"dingtalk message {message_id}")
        return jsonify({})  # acknowledged; the answer follows on the sessionWebhook

    return routes
