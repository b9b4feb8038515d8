"""Channel tests: the session's app and index, with all three channels configured against one local stand-in of
the platforms (platforms.py)."""
from __future__ import annotations

import threading

import pytest

from tests.qa_service.apps import app_for
from tests.qa_service.channels.platforms import (FEISHU_APP_ID, FEISHU_APP_SECRET, WECOM_CORP_ID, WECOM_SECRET,
                                                  Platforms)
from tests.qa_service.servers import serve

WECOM_TOKEN = "wecomCallbackToken"
WECOM_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as the console makes them
DINGTALK_SECRET = "dingtalk-app-secret-SEC0123456789"
FEISHU_VERIFICATION_TOKEN = "feishu-verification-token"
FEISHU_ENCRYPT_KEY = "feishu-encrypt-key-0123456789"
QUESTION = "海淀区有多少所高等院校？"


@pytest.fixture(scope="session")
def platforms_server():
    platforms = Platforms()
    with serve(platforms.app()) as base:
        yield platforms, base


def channel_overrides(base: str) -> dict:
    return dict(wecom_corp_id=WECOM_CORP_ID, wecom_token=WECOM_TOKEN, wecom_encoding_aes_key=WECOM_AES_KEY,
                wecom_secret=WECOM_SECRET, wecom_api_base=base, dingtalk_app_secret=DINGTALK_SECRET,
                dingtalk_api_base=base, feishu_app_id=FEISHU_APP_ID, feishu_app_secret=FEISHU_APP_SECRET,
                feishu_verification_token=FEISHU_VERIFICATION_TOKEN, feishu_encrypt_key=FEISHU_ENCRYPT_KEY,
                feishu_api_base=base)


@pytest.fixture(scope="session")
def channel_app(service, platforms_server):
    """The real app over the session's index with the three channels on; API keys set, which channels do not
    need (they are signed by their platform). The tests' forged signatures all come from 127.0.0.1: they are not
    throttled here (test_channel_parts.py checks that they are by default)."""
    _, base = platforms_server
    return app_for(service, api_keys="k-read:read", auth_failures_per_minute=0, **channel_overrides(base))


@pytest.fixture()
def platforms(platforms_server):
    platforms, _ = platforms_server
    platforms.clear()
    return platforms


@pytest.fixture()
def channel_client(channel_app, platforms):
    yield channel_app.test_client()
    assert channel_app.extensions["qa_channels"].sender.wait_idle(60)


class GatedService:
    """The session's real service whose answers wait until the test opens `gate`: an answer slower than any
    platform's acknowledgement limit, for as long as the test needs, without sleeping."""

    def __init__(self, real) -> None:
        self._real = real
        self.gate = threading.Event()
        self.asked = 0

    def ask(self, *args, **kwargs):
        self.asked += 1
        assert self.gate.wait(60), "the test never opened the gate"
        return self._real.ask(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._real, name)


@pytest.fixture()
def gated(service, platforms_server, request):
    """(app, gated service): an app whose answers wait for the gate (settings overridden by the test's
    `channel_settings` mark); closed after the test."""
    _, base = platforms_server
    slow = GatedService(service)
    mark = request.node.get_closest_marker("channel_settings")
    app = app_for(slow, **channel_overrides(base), **(mark.kwargs if mark else {}))
    yield app, slow
    slow.gate.set()
    assert app.extensions["qa_channels"].sender.wait_idle(60)
