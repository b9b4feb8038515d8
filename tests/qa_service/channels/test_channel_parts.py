"""The channels' shared parts: message ids remembered within bounds (and across the workers of a host), answers
on a bounded pool, a channel on only when all its secrets are set, signature refusals throttled like wrong keys."""
from __future__ import annotations

import threading
import time

import pytest

from qa_service.channels import dedup
from qa_service.channels.dedup import SeenMessages
from qa_service.channels.sender import AnswerSender
from qa_service.settings import Settings, SettingsError
from tests.qa_service.apps import app_for
from tests.qa_service.channels.conftest import DINGTALK_SECRET, QUESTION


def test_an_id_is_taken_once_within_the_window_and_again_after_it(monkeypatch):
    seen = SeenMessages("", ttl_seconds=60, max_entries=1000)
    assert seen.claim("a") and not seen.claim("a") and seen.claim("b")
    later = time.time() + 61
    monkeypatch.setattr(dedup.time, "time", lambda: later)
    assert seen.claim("a")  # a replay this old is refused by its timestamp before it gets here


def test_the_store_keeps_at_most_its_bound(monkeypatch):
    monkeypatch.setattr(dedup, "PRUNE_EVERY", 10)
    seen = SeenMessages("", ttl_seconds=3600, max_entries=100)
    for i in range(1000):
        assert seen.claim(f"id{i}")
    assert len(seen) <= 100 + 10
    assert not seen.claim("id999")  # the newest are the ones kept


def test_workers_sharing_a_file_take_each_id_once(tmp_path):
    path = str(tmp_path / "seen.sqlite")
    workers = [SeenMessages(path, 3600, 1000) for _ in range(2)]  # two gunicorn workers of one host
    taken = []

    def deliver(worker: SeenMessages) -> None:
        taken.extend(i for i in range(200) if worker.claim(f"m{i}"))

    threads = [threading.Thread(target=deliver, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken) == list(range(200))


def test_the_answer_pool_refuses_beyond_its_room():
    sender, gate = AnswerSender(workers=1, queue=1), threading.Event()
    assert sender.submit(gate.wait, "first") and sender.submit(gate.wait, "queued")
    assert not sender.submit(gate.wait, "third")  # nothing held for it
    gate.set()
    assert sender.wait_idle(30)
    assert sender.submit(lambda: None, "after") and sender.wait_idle(30)
    sender.close()


@pytest.mark.channel_settings(channel_answer_workers=1, channel_answer_queue=1)
def test_a_message_finding_no_room_is_503_and_taken_on_the_retry(gated, platforms_server):
    from tests.qa_service.channels.test_dingtalk import _headers, _post, _push

    app, slow = gated
    hub = app.extensions["qa_channels"]
    client = app.test_client()
    room = hub.settings.channel_answer_workers + hub.settings.channel_answer_queue
    for _ in range(room):  # every thread and queue place held by a gated answer
        assert _post(client, _push(platforms_server[1], QUESTION)).status_code == 200
    body = _push(platforms_server[1], QUESTION)
    resp = _post(client, body)
    assert resp.status_code == 503 and resp.headers["Retry-After"]
    slow.gate.set()
    assert hub.sender.wait_idle(60)
    assert _post(client, body, _headers()).status_code == 200  # the platform's retry is answered
    assert hub.sender.wait_idle(60)
    platforms_server[0].wait_for("dingtalk", room + 1)


@pytest.mark.parametrize("given,missing", [({"QA_WECOM_TOKEN": "t"}, "QA_WECOM_CORP_ID"),
                                           ({"QA_FEISHU_APP_ID": "cli"}, "QA_FEISHU_APP_SECRET")])
def test_a_half_configured_channel_is_refused_at_start(given, missing):
    with pytest.raises(SettingsError, match=missing):
        Settings.from_env(given)


def test_a_wecom_key_that_is_not_43_characters_is_refused():
    with pytest.raises(SettingsError, match="QA_WECOM_ENCODING_AES_KEY"):
        Settings.from_env({"QA_WECOM_CORP_ID": "ww1", "QA_WECOM_TOKEN": "t", "QA_WECOM_SECRET": "s",
                           "QA_WECOM_ENCODING_AES_KEY": "short"})


def test_channels_without_their_secrets_are_absent(client):
    for path in ("/channels/wecom", "/channels/dingtalk", "/channels/feishu"):
        assert client.post(path, json={}).status_code == 404
    assert "qa_channels" not in client.application.extensions


def test_forged_signatures_are_throttled_like_wrong_keys(service, platforms_server):
    from tests.qa_service.channels.test_dingtalk import _headers, _post, _push

    app = app_for(service, dingtalk_app_secret=DINGTALK_SECRET, dingtalk_api_base=platforms_server[1],
                  auth_failures_per_minute=3)
    client, body = app.test_client(), _push(platforms_server[1], QUESTION)
    codes = [_post(client, body, _headers("forged")).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    app.extensions["qa_channels"].close()


def test_a_channel_over_a_real_loopback_server(channel_app, platforms):
    """The WeCom handshake and a question through a real HTTP server, as the platform reaches the service."""
    import urllib.request
    from urllib.parse import urlencode

    from tests.qa_service.channels.test_wecom import _crypto, _message, _sealed
    from tests.qa_service.servers import serve

    with serve(channel_app) as base:
        echostr, query = _sealed("1234567890", _crypto())
        with urllib.request.urlopen(f"{base}/channels/wecom?{urlencode({**query, 'echostr': echostr})}") as resp:
            assert resp.status == 200 and resp.read() == b"1234567890"
        body, query = _message(QUESTION)
        request = urllib.request.Request(f"{base}/channels/wecom?{urlencode(query)}", data=body, method="POST",
                                         headers={"Content-Type": "text/xml"})
        with urllib.request.urlopen(request) as resp:
            assert resp.status == 200 and resp.read() == b""
        [sent] = platforms.wait_for("wecom")
        assert "**来源**" in sent.body["markdown"]["content"]
    assert channel_app.extensions["qa_channels"].sender.wait_idle(60)


def _answer(text: str, sources: int):
    from documents.models import Chunk
    from qa_service.types import Answer, Citation, Passage

    chunks = [Chunk(id=f"c{i}", doc=f"政策{i}.pdf", title=f"政策文件{i}", section="第一章 > 第二节", text="……",
                    start=0, end=2, line_start=1, line_end=1, page=i + 3, page_end=i + 4) for i in range(sources)]
    return Answer(answer=text, answerable=True, confidence=0.9,
                  citations=[Citation(i + 1, Passage(c, 1.0), "……") for i, c in enumerate(chunks)])


def test_a_long_answer_is_cut_to_the_platform_limit_and_its_sources_kept():
    from qa_service.channels.rendering import feishu_card, markdown

    answer = _answer("海淀区" * 2000 + "[1][2]", sources=2)
    text = markdown(answer, 2048, mention="@staff001")
    assert len(text.encode("utf-8")) <= 2048 and text.startswith("@staff001 海淀区")
    assert text.endswith("- [1] 政策0.pdf，《政策文件0》，第一章 > 第二节，第 3–4 页\n"
                         "- [2] 政策1.pdf，《政策文件1》，第一章 > 第二节，第 4–5 页")
    assert "……\n\n**来源**" in text  # the cut is marked
    card = feishu_card(answer, 4000)
    assert len(card["elements"][0]["content"].encode("utf-8")) <= 2000
    assert card["elements"][2]["content"].endswith("[2] 政策1.pdf，《政策文件1》，第一章 > 第二节，第 4–5 页")
