"""/channels/wecom: the callback of a WeCom (企业微信) self-built application.

GET is the URL verification handshake: the decrypted `echostr` is returned when `msg_signature` holds. POST is a
message: its signature is checked over the encrypted part and its timestamp against the replay window, it is
decrypted, claimed by its MsgId, acknowledged with an empty 200 at once (WeCom retries after 5 s, three times),
and answered afterwards through the message API (`/cgi-bin/message/send` with the app's access token) as
Markdown with its sources.
"""
from __future__ import annotations

import logging
from urllib.parse import quote

from flask import Blueprint, Response, request

from qa_service.api.errors import ApiError
from qa_service.channels.hub import ChannelHub
from qa_service.channels.outbound import AccessToken, PlatformError
from qa_service.channels.rendering import markdown
from qa_service.channels.wecom_crypto import BadXml, CryptoRefused, WeComCrypto, xml_fields

log = logging.getLogger(__name__)

CHANNEL = "wecom"
MARKDOWN_MAX_BYTES = 2048  # WeCom's limit for a markdown message's content
TOKEN_ERRORS = {40014, 41001, 42001}  # invalid, missing, expired access token: fetch a new one and send again


class WeComClient:
    """The token and message APIs of one WeCom app."""

    def __init__(self, hub: ChannelHub) -> None:
        s = hub.settings
        self.http, self.base = hub.http, s.wecom_api_base.rstrip("/")
        self._corp_id, self._secret = s.wecom_corp_id, s.wecom_secret
        self.token = AccessToken(self._fetch_token)

    def _fetch_token(self) -> tuple[str, float]:
        body = self.http.get_json(f"{self.base}/cgi-bin/gettoken?corpid={quote(self._corp_id)}"
                                  f"&corpsecret={quote(self._secret)}", name="wecom gettoken")
        if body.get("errcode", 0) != 0 or not body.get("access_token"):
            raise PlatformError(f"wecom gettoken: errcode {body.get('errcode')} {body.get('errmsg', '')}")
        return str(body["access_token"]), float(body.get("expires_in", 7200))

    def send_markdown(self, user: str, agent_id: int, content: str) -> None:
        message = {"touser": user, "msgtype": "markdown", "agentid": agent_id, "markdown": {"content": content}}
        for attempt in range(2):
            token = self.token.get()
            body = self.http.post_json(f"{self.base}/cgi-bin/message/send?access_token={quote(token)}", message,
                                       name="wecom message/send")
            code = body.get("errcode", 0)
            if code == 0:
                return
            if code in TOKEN_ERRORS and attempt == 0:
                self.token.invalidate(token)
                continue
            raise PlatformError(f"wecom message/send: errcode {code} {body.get('errmsg', '')}")


def blueprint(hub: ChannelHub) -> Blueprint:
    s = hub.settings
    crypto = WeComCrypto(s.wecom_token, s.wecom_encoding_aes_key, s.wecom_corp_id)
    client = WeComClient(hub)
    routes = Blueprint("channel_wecom", __name__)

    def verified(encrypted: str) -> str:
        """The decrypted text of a signed, fresh request; 401 otherwise."""
        args = request.args
        timestamp, nonce, signature = args.get("timestamp", ""), args.get("nonce", ""), args.get("msg_signature", "")
        try:
            crypto.check(signature, timestamp, nonce, encrypted)
        except CryptoRefused as exc:
            raise hub.refuse(CHANNEL, str(exc)) from None
        hub.fresh(CHANNEL, float(timestamp) if timestamp.isdigit() else 0.0)
        try:
            return crypto.decrypt(encrypted)
        except CryptoRefused as exc:
            raise hub.refuse(CHANNEL, str(exc)) from None

    @routes.get("/channels/wecom")
    def handshake():
        return Response(verified(request.args.get("echostr", "")), mimetype="text/plain")

    @routes.post("/channels/wecom")
    def message():
        try:
            encrypted = xml_fields(request.get_data(cache=False)).get("Encrypt", "")
            fields = xml_fields(verified(encrypted))
        except BadXml as exc:
            raise ApiError(400, "invalid_body", f"expected WeCom's XML callback body: {exc}") from None
        if fields.get("MsgType") == "text" and fields.get("FromUserName"):
            user, question = fields["FromUserName"], fields.get("Content", "")
            agent_id = int(fields["AgentID"]) if fields.get("AgentID", "").isdigit() else 0
            message_id = fields.get("MsgId") or f"{user}:{fields.get('CreateTime', '')}"

            def answer() -> None:
                reply = hub.answer(f"{CHANNEL}:{user}", question)
                client.send_markdown(user, agent_id, markdown(reply, MARKDOWN_MAX_BYTES))

            hub.take(f"{CHANNEL}:{message_id}", answer, f"wecom message {message_id}")
        return Response("", mimetype="text/plain")  # WeCom: an empty 200 says "received, no passive reply"

    return routes
