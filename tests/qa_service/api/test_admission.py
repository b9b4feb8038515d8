"""Rate limiting (429 + Retry-After) and the in-flight bound (503 at once), on the real app."""
import json
import secrets
import threading
import time
import urllib.error
import urllib.request

import pytest

from qa_service.api.admission import RateLimiter
from qa_service.service import QAService
from tests.qa_service.apps import app_for
from tests.qa_service.servers import ScriptedLLM, serve


def test_token_bucket_refills_over_time():
    limiter = RateLimiter(per_minute=2)
    assert limiter.acquire("a", now=0.0) == 0 and limiter.acquire("a", now=0.0) == 0
    assert limiter.acquire("a", now=0.0) == pytest.approx(30.0)
    assert limiter.acquire("b", now=0.0) == 0  # callers have their own buckets
    assert limiter.acquire("a", now=31.0) == 0


def test_buckets_are_bounded_and_forget_the_least_recently_used():
    limiter = RateLimiter(per_minute=1, max_callers=3)
    for caller in ("a", "b", "c"):
        assert limiter.acquire(caller, now=0.0) == 0
    assert limiter.acquire("a", now=1.0) > 0  # "a" is now the most recently used
    for i in range(1000):  # a flood of new callers (random keys, new addresses) keeps the table at its bound
        limiter.acquire(f"new-{i}", now=2.0)
    assert len(limiter) == 3


def test_rate_limit_answers_429_with_retry_after(service):
    app = app_for(service, service.settings.with_overrides(rate_limit_per_minute=2))
    client = app.test_client()
    statuses = [client.post("/v1/search", json={"query": "海淀区"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = client.post("/v1/search", json={"query": "海淀区"})
    assert limited.get_json()["error"]["code"] == "rate_limited" and int(limited.headers["Retry-After"]) >= 1
    assert client.get("/healthz").status_code == 200
    assert all(client.get(path).status_code == 200 for path in ["/", "/web/app.js", "/web/style.css"] * 3), \
        "the page's static files never count against the budget"
    other = client.post("/v1/search", json={"query": "海淀区"}, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert other.status_code == 200  # another address has its own bucket


def test_a_random_key_per_request_does_not_bypass_the_rate_limit(service):
    """Measured before: no keys set, 100 requests each with a random X-API-Key, all 200 past a 30/min limit."""
    client = app_for(service, service.settings.with_overrides(rate_limit_per_minute=30)).test_client()
    started = time.monotonic()
    statuses = [client.post("/v1/search", json={"query": "海淀区"},
                            headers={"X-API-Key": secrets.token_hex(8)}).status_code for _ in range(100)]
    refilled = int((time.monotonic() - started) * 30 / 60) + 1  # the bucket refills half a request a second
    assert 30 <= statuses.count(200) <= 30 + refilled and statuses.count(200) + statuses.count(429) == 100


def test_with_keys_the_address_limit_applies_before_the_key_and_the_key_limit_after(service):
    settings = service.settings.with_overrides(api_keys="alpha-key-0123456789, beta-key-0123456789",
                                               rate_limit_per_minute=5, key_rate_limit_per_minute=2)
    client = app_for(service, settings).test_client()
    alpha, beta = {"X-API-Key": "alpha-key-0123456789"}, {"X-API-Key": "beta-key-0123456789"}
    assert [client.post("/v1/search", json={"query": "海淀区"}, headers=alpha).status_code
            for _ in range(3)] == [200, 200, 429]  # the key's own budget
    limited = client.post("/v1/search", json={"query": "海淀区"}, headers=alpha)
    assert limited.status_code == 429 and "API key" in limited.get_json()["error"]["message"]
    # from this address: 4 requests so far, so one more, whatever key (or none) is sent
    assert client.post("/v1/search", json={"query": "海淀区"}, headers=beta).status_code == 200
    assert client.post("/v1/search", json={"query": "海淀区"}, headers=beta).status_code == 429
    assert client.post("/v1/search", json={"query": "海淀区"}, headers={"X-API-Key": "x" * 20}).status_code == 429
    moved = client.post("/v1/search", json={"query": "海淀区"}, headers=beta, environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert moved.status_code == 200


def test_wrong_keys_are_throttled_per_address(service):
    """Measured before: 120 wrong keys gave 120 x 401 and no 429."""
    right = {"Authorization": "Bearer right-key-0123456789"}
    settings = service.settings.with_overrides(api_keys="right-key-0123456789", auth_failures_per_minute=10)
    client = app_for(service, settings).test_client()
    statuses = [client.post("/v1/search", json={"query": "海淀区"},
                            headers={"Authorization": f"Bearer guess-{i}"}).status_code for i in range(120)]
    assert statuses[:10] == [401] * 10 and set(statuses[10:]) == {429}
    throttled = client.post("/v1/search", json={"query": "海淀区"}, headers=right)  # even the right key, for a while
    assert throttled.status_code == 429 and throttled.get_json()["error"]["code"] == "auth_throttled"
    assert int(throttled.headers["Retry-After"]) >= 1
    other = client.post("/v1/search", json={"query": "海淀区"}, headers=right, environ_base={"REMOTE_ADDR": "10.0.0.3"})
    assert other.status_code == 200
    assert client.post("/v1/search", json={"query": "海淀区"},  # no key at all is not a failure
                       environ_base={"REMOTE_ADDR": "10.0.0.4"}).status_code == 401


def test_ipv6_clients_share_the_budget_of_their_64(service):
    client = app_for(service, service.settings.with_overrides(rate_limit_per_minute=2)).test_client()
    statuses = [client.post("/v1/search", json={"query": "海淀区"},
                            environ_base={"REMOTE_ADDR": f"2001:db8:1:2::{i:x}"}).status_code for i in range(1, 5)]
    assert statuses == [200, 200, 429, 429]
    assert client.post("/v1/search", json={"query": "海淀区"},
                       environ_base={"REMOTE_ADDR": "2001:db8:1:3::1"}).status_code == 200


def test_a_trusted_proxy_forwards_the_client_address(service):
    settings = service.settings.with_overrides(rate_limit_per_minute=1, trusted_proxies="10.0.0.1")
    client = app_for(service, settings).test_client()

    def via_proxy(forwarded, peer="10.0.0.1"):
        return client.post("/v1/search", json={"query": "海淀区"}, environ_base={"REMOTE_ADDR": peer},
                           headers={"X-Forwarded-For": forwarded}).status_code

    assert via_proxy("192.0.2.1") == 200 and via_proxy("192.0.2.1") == 429
    assert via_proxy("192.0.2.2") == 200  # another client behind the same proxy
    assert via_proxy("192.0.2.1, 192.0.2.3") == 200  # the proxy appended .3: .1 is what the client claimed
    assert via_proxy("192.0.2.9", peer="10.0.0.66") == 200 and via_proxy("192.0.2.8", peer="10.0.0.66") == 429


def _post(url, payload):
    req = urllib.request.Request(url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers)


def test_beyond_the_in_flight_bound_the_service_answers_503_at_once(built_index, encoder):
    llm = ScriptedLLM()
    with serve(llm.app) as llm_base:
        settings = built_index.with_overrides(llm_base_url=llm_base + "/v1", llm_model="scripted", llm_max_retries=0,
                                              max_in_flight=1)
        service = QAService.from_settings(settings, encoder)
        llm.script(("sleep", 2.0, "海淀区有高等院校 33 所[1]。"))
        with serve(app_for(service)) as base:
            slow = threading.Thread(target=_post, args=(base + "/v1/ask", {"question": "海淀区有多少所高等院校？"}))
            slow.start()
            time.sleep(0.8)  # the slow answer now holds the only slot
            status, headers = _post(base + "/v1/search", {"query": "海淀区"})
            # Refused, not queued: a queued request would have waited for the slot and got 200.
            assert status == 503 and headers["Retry-After"] == "1"
            slow.join(timeout=30)
            assert _post(base + "/v1/search", {"query": "海淀区"})[0] == 200


def _post_from(base, path, payload, source):
    """POST from a chosen loopback source address (127.0.0.0/8 is all loopback on Linux)."""
    import http.client
    from urllib.parse import urlsplit

    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30, source_address=(source, 0))
    try:
        conn.request("POST", path, json.dumps(payload), {"Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def test_one_client_cannot_hold_every_serving_thread(built_index, encoder):
    """Measured before: 8 slow asks from one client made a normal ask of another client wait 52 s."""
    llm = ScriptedLLM()
    with serve(llm.app) as llm_base:
        settings = built_index.with_overrides(llm_base_url=llm_base + "/v1", llm_model="scripted", llm_max_retries=0,
                                              max_requests_per_client=2)
        service = QAService.from_settings(settings, encoder)
        llm.script(("hold", "", "海淀区有高等院校 33 所[1]。"), ("hold", "", "海淀区有高等院校 33 所[1]。"))
        with serve(app_for(service)) as base:
            slow = [threading.Thread(target=_post, args=(base + "/v1/ask", {"question": "海淀区有多少所高等院校？"}))
                    for _ in range(2)]
            for t in slow:
                t.start()
            deadline = time.time() + 20
            while len(llm.requests) < 2 and time.time() < deadline:  # both asks are now with the LLM
                time.sleep(0.05)
            assert len(llm.requests) == 2
            status, body = _post_from(base, "/v1/search", {"query": "海淀区"}, "127.0.0.1")
            assert status == 429 and body["error"]["code"] == "too_many_concurrent"  # refused at once, not queued
            status, body = _post_from(base, "/v1/search", {"query": "海淀区"}, "127.0.0.2")
            assert status == 200 and body["results"]  # another client is served meanwhile
            llm.gate.set()
            for t in slow:
                t.join(timeout=60)
            assert _post_from(base, "/v1/search", {"query": "海淀区"}, "127.0.0.1")[0] == 200
