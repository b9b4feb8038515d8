"""/channels/feishu: Feishu/Lark (飞书) event subscription, request URL mode, with an Encrypt Key.

Each push is {"encrypt": base64(iv16 + AES-256-CBC(key=sha256(EncryptKey), pkcs7(json)))}. An event carries the
headers X-Lark-Request-Timestamp, X-Lark-Request-Nonce and X-Lark-Signature = sha256_hex(timestamp + nonce +
EncryptKey + raw body), checked before anything is decrypted, with the timestamp inside the replay window; its
header.token must be the Verification Token. The URL verification push ({"type": "url_verification"}) is not
signed: it is answered with its challenge only when its token is ours. A message event is claimed by its
event_id and message_id (Feishu retries an event not acknowledged within 3 s), acknowledged at once, and answered
by replying to the message with an interactive card holding the answer and its sources, through the message
API with the app's tenant access token. In a group the bot answers only messages that @mention it.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import re
from typing import Any
from urllib.parse import quote

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from flask import Blueprint, jsonify, request

from qa_service.api.errors import ApiError
from qa_service.api.validation import json_object
from qa_service.channels.hub import ChannelHub
from qa_service.channels.outbound import AccessToken, PlatformError
from qa_service.channels.rendering import feishu_card

log = logging.getLogger(__name__)

CHANNEL = "feishu"
CARD_MAX_BYTES = 20_000  # Feishu refuses a card over 30 KB of JSON
MESSAGE_EVENT = "im.message.receive_v1"
TOKEN_ERRORS = {99991661, 99991663, 99991668}  # missing, invalid, expired tenant access token
_MENTION_KEY = re.compile(r"@_user_\d+")


def feishu_signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode("utf-8") + body).hexdigest()


def feishu_decrypt(encrypted: str, encrypt_key: str) -> bytes:
    """The plaintext of an `encrypt` field; ValueError when it is not one made with this key."""
    try:
        data = base64.b64decode(encrypted, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not base64") from None
    if len(data) < 32 or len(data) % 16:
        raise ValueError("not whole AES blocks")
    key = hashlib.sha256(encrypt_key.encode("utf-8")).digest()
    decryptor = Cipher(algorithms.AES(key), modes.CBC(data[:16])).decryptor()
    plain = decryptor.update(data[16:]) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= 16 or plain[-pad:] != bytes([pad]) * pad:
        raise ValueError("bad padding")
    return plain[:-pad]


class FeishuClient:
    """The tenant access token, bot info and message APIs of one Feishu app."""

    def __init__(self, hub: ChannelHub) -> None:
        s = hub.settings
        self.http, self.base = hub.http, s.feishu_api_base.rstrip("/")
        self._app_id, self._secret = s.feishu_app_id, s.feishu_app_secret
        self.token = AccessToken(self._fetch_token)
        self._bot_open_id: str | None = None

    def _fetch_token(self) -> tuple[str, float]:
        body = self.http.post_json(f"{self.base}/open-apis/auth/v3/tenant_access_token/internal",
                                   {"app_id": self._app_id, "app_secret": self._secret}, name="feishu tenant token")
        if body.get("code", 0) != 0 or not body.get("tenant_access_token"):
            raise PlatformError(f"feishu tenant token: code {body.get('code')} {body.get('msg', '')}")
        return str(body["tenant_access_token"]), float(body.get("expire", 7200))

    def _call(self, method: str, path: str, payload: dict[str, Any] | None, name: str) -> dict[str, Any]:
        for attempt in range(2):
            token = self.token.get()
            headers = {"Authorization": f"Bearer {token}"}
            url = f"{self.base}{path}"
            body = (self.http.get_json(url, headers, name=name) if method == "GET"
                    else self.http.post_json(url, payload or {}, headers, name=name))
            code = body.get("code", 0)
            if code == 0:
                return body
            if code in TOKEN_ERRORS and attempt == 0:
                self.token.invalidate(token)
                continue
            raise PlatformError(f"{name}: code {code} {body.get('msg', '')}")
        raise AssertionError("unreachable")

    def bot_open_id(self) -> str:
        """The bot's own open_id (bot info API, asked once), to tell a mention of the bot from other mentions."""
        if self._bot_open_id is None:
            try:
                bot = self._call("GET", "/open-apis/bot/v3/info", None, "feishu bot info").get("bot") or {}
            except PlatformError as exc:  # answer mentions of anyone rather than none; asked again next time
                log.warning("%s; group messages mentioning anyone are answered", exc)
                return ""
            self._bot_open_id = str(bot.get("open_id", "")) if isinstance(bot, dict) else ""
        return self._bot_open_id

    def reply_card(self, message_id: str, card: dict[str, Any]) -> None:
        self._call("POST", f"/open-apis/im/v1/messages/{quote(message_id, safe='')}/reply",
                   {"msg_type": "interactive", "content": json.dumps(card, ensure_ascii=False)}, "feishu reply")


def _text_of(message: dict[str, Any]) -> str:
    try:
        content = json.loads(message.get("content") or "{}")
    except (TypeError, ValueError):
        return ""
    text = content.get("text") if isinstance(content, dict) else None
    return _MENTION_KEY.sub("", text).strip() if isinstance(text, str) else ""


def blueprint(hub: ChannelHub) -> Blueprint:
    s = hub.settings
    encrypt_key, verification_token = s.feishu_encrypt_key, s.feishu_verification_token
    client = FeishuClient(hub)
    routes = Blueprint("channel_feishu", __name__)

    def token_holds(token: Any) -> bool:
        return isinstance(token, str) and hmac.compare_digest(token.encode(), verification_token.encode())

    @routes.post("/channels/feishu")
    def event():
        raw = request.get_data(cache=True)
        headers = request.headers
        timestamp, nonce = headers.get("X-Lark-Request-Timestamp", ""), headers.get("X-Lark-Request-Nonce", "")
        signature = headers.get("X-Lark-Signature", "")
        signed = bool(signature)
        if signed:
            if not hmac.compare_digest(feishu_signature(timestamp, nonce, encrypt_key, raw).encode(),
                                       signature.encode("utf-8", "replace")):
                raise hub.refuse(CHANNEL, "X-Lark-Signature does not match the Encrypt Key")
            hub.fresh(CHANNEL, float(timestamp) if timestamp.isdigit() else 0.0)
        outer = json_object(request)
        if not isinstance(outer.get("encrypt"), str):
            raise ApiError(400, "invalid_body", "expected an encrypted event ({\"encrypt\": ...}): set the Encrypt "
                                                "Key in the app's event subscription")
        try:
            body = json.loads(feishu_decrypt(outer["encrypt"], encrypt_key))
        except ValueError as exc:
            raise hub.refuse(CHANNEL, f"the event does not decrypt with the Encrypt Key: {exc}") from None
        if not isinstance(body, dict):
            raise ApiError(400, "invalid_body", "the decrypted event is not a JSON object")
        if body.get("type") == "url_verification":
            if not token_holds(body.get("token")):
                raise hub.refuse(CHANNEL, "url_verification with another Verification Token")
            return jsonify({"challenge": str(body.get("challenge", ""))})
        header = body.get("header") if isinstance(body.get("header"), dict) else {}
        if not signed or not token_holds(header.get("token")):
            raise hub.refuse(CHANNEL, "an event without signature headers or with another Verification Token")
        if header.get("event_type") == MESSAGE_EVENT:
            _take_message(hub, client, str(header.get("event_id", "")), body.get("event"))
        return jsonify({})

    return routes


def _take_message(hub: ChannelHub, client: FeishuClient, event_id: str, event: Any) -> None:
    message = event.get("message") if isinstance(event, dict) else None
    if not isinstance(message, dict) or message.get("message_type") != "text" or not message.get("message_id"):
        return
    message_id = str(message["message_id"])
    if event_id and not hub.seen.claim(f"{CHANNEL}:event:{event_id}"):
        return  # the same event delivered again
    group = message.get("chat_type") == "group"
    mentioned = [m.get("id", {}).get("open_id") for m in message.get("mentions") or [] if isinstance(m, dict)
                 and isinstance(m.get("id"), dict)]
    if group and not mentioned:
        return
    question, chat = _text_of(message), f"{CHANNEL}:{message.get('chat_id', '')}"

    def answer() -> None:
        bot = client.bot_open_id() if group else ""
        if bot and bot not in mentioned:
            return  # a group message mentioning others, not the bot
        client.reply_card(message_id, feishu_card(hub.answer(chat, question), CARD_MAX_BYTES))

    try:
        hub.take(f"{CHANNEL}:message:{message_id}", answer, f"feishu message {message_id}")
    except ApiError:  # no thread free: the retry of this event must be taken
        hub.seen.release(f"{CHANNEL}:event:{event_id}")
        raise
