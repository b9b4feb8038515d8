"""The one stand-in of the channel tests: a real loopback HTTP server speaking the three platforms' token and
message APIs as they document them, recording what the service sends.

    WeCom     GET  /cgi-bin/gettoken?corpid&corpsecret    POST /cgi-bin/message/send?access_token
    DingTalk  POST /robot/sendBySession?session=...       (a message's sessionWebhook)
    Feishu    POST /open-apis/auth/v3/tenant_access_token/internal
              GET  /open-apis/bot/v3/info                 POST /open-apis/im/v1/messages/<id>/reply
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, jsonify, request

WECOM_CORP_ID = "ww0123456789abcdef"
WECOM_SECRET = "wecom-app-secret"
FEISHU_APP_ID = "cli_a1b2c3d4e5f6"
FEISHU_APP_SECRET = "feishu-app-secret"
FEISHU_BOT_OPEN_ID = "ou_bot_0001"


@dataclass
class Sent:
    platform: str
    path: str
    body: dict[str, Any]
    token: str = ""


@dataclass
class Platforms:
    sent: list[Sent] = field(default_factory=list)
    tokens_issued: int = 0
    valid_tokens: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        with self.lock:
            self.sent.clear()

    def messages(self, platform: str) -> list[Sent]:
        with self.lock:
            return [s for s in self.sent if s.platform == platform]

    def wait_for(self, platform: str, count: int = 1, ceiling: float = 60.0) -> list[Sent]:
        """The messages sent to `platform` once there are `count` (a generous ceiling, not a timing claim)."""
        end = time.monotonic() + ceiling
        while time.monotonic() < end:
            found = self.messages(platform)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"{platform}: {len(self.messages(platform))} messages, expected {count}")

    def revoke_tokens(self) -> None:
        """Every token issued so far stops working, as when it expires early on the platform's side."""
        with self.lock:
            self.valid_tokens.clear()

    def _token(self, prefix: str) -> str:
        with self.lock:
            self.tokens_issued += 1
            return f"{prefix}-{self.tokens_issued}"

    def _record(self, platform: str, body: dict[str, Any], token: str = "") -> None:
        with self.lock:
            self.sent.append(Sent(platform, request.path, body, token))

    def app(self) -> Flask:
        app = Flask("platforms")
        issued = self.valid_tokens

        @app.get("/cgi-bin/gettoken")
        def wecom_token():
            if (request.args.get("corpid"), request.args.get("corpsecret")) != (WECOM_CORP_ID, WECOM_SECRET):
                return jsonify({"errcode": 40001, "errmsg": "invalid credential"})
            token = self._token("wecom")
            issued.add(token)
            return jsonify({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200})

        @app.post("/cgi-bin/message/send")
        def wecom_send():
            token = request.args.get("access_token", "")
            if token not in issued:
                return jsonify({"errcode": 40014, "errmsg": "invalid access_token"})
            self._record("wecom", request.get_json(), token)
            return jsonify({"errcode": 0, "errmsg": "ok", "msgid": "m1"})

        @app.post("/robot/sendBySession")
        def dingtalk_send():
            self._record("dingtalk", request.get_json())
            return jsonify({"errcode": 0, "errmsg": "ok"})

        @app.post("/open-apis/auth/v3/tenant_access_token/internal")
        def feishu_token():
            body = request.get_json()
            if (body.get("app_id"), body.get("app_secret")) != (FEISHU_APP_ID, FEISHU_APP_SECRET):
                return jsonify({"code": 10014, "msg": "app secret invalid"})
            token = self._token("t")
            issued.add(token)
            return jsonify({"code": 0, "msg": "ok", "tenant_access_token": token, "expire": 7200})

        def feishu_token_ok() -> str | None:
            header = request.headers.get("Authorization", "")
            token = header.removeprefix("Bearer ")
            return token if token in issued else None

        @app.get("/open-apis/bot/v3/info")
        def feishu_bot():
            if feishu_token_ok() is None:
                return jsonify({"code": 99991663, "msg": "invalid tenant access token"})
            return jsonify({"code": 0, "msg": "ok", "bot": {"open_id": FEISHU_BOT_OPEN_ID, "app_name": "qa"}})

        @app.post("/open-apis/im/v1/messages/<message_id>/reply")
        def feishu_reply(message_id: str):
            token = feishu_token_ok()
            if token is None:
                return jsonify({"code": 99991663, "msg": "invalid tenant access token"})
            body = request.get_json()
            self._record("feishu", {**body, "card": json.loads(body["content"]), "message_id": message_id}, token)
            return jsonify({"code": 0, "msg": "success", "data": {"message_id": "om_reply"}})

        return app
