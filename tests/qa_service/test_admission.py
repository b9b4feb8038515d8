"""Rate limiting (429 + Retry-After) and the in-flight bound (503 at once), on the real app."""
import json
import threading
import time
import urllib.error
import urllib.request

import pytest

from qa_service.api.admission import RateLimiter
from qa_service.api.app import create_app
from qa_service.service import QAService
from tests.qa_service.servers import ScriptedLLM, serve


def test_token_bucket_refills_over_time():
    limiter = RateLimiter(per_minute=2)
    assert limiter.acquire("a", now=0.0) == 0 and limiter.acquire("a", now=0.0) == 0
    assert limiter.acquire("a", now=0.0) == pytest.approx(30.0)
    assert limiter.acquire("b", now=0.0) == 0  # callers have their own buckets
    assert limiter.acquire("a", now=31.0) == 0


def test_rate_limit_answers_429_with_retry_after(service):
    app = create_app(service, service.settings.with_overrides(rate_limit_per_minute=2))
    client = app.test_client()
    statuses = [client.post("/v1/search", json={"query": "海淀区"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = client.post("/v1/search", json={"query": "海淀区"})
    assert limited.get_json()["error"]["code"] == "rate_limited" and int(limited.headers["Retry-After"]) >= 1
    assert client.get("/healthz").status_code == 200
    assert all(client.get(path).status_code == 200 for path in ["/", "/web/app.js", "/web/style.css"] * 3), \
        "the page's static files never count against the budget"
    other = client.post("/v1/search", json={"query": "海淀区"}, headers={"X-API-Key": "someone-else"})
    assert other.status_code == 200


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
        with serve(create_app(service)) as base:
            slow = threading.Thread(target=_post, args=(base + "/v1/ask", {"question": "海淀区有多少所高等院校？"}))
            slow.start()
            time.sleep(0.8)  # the slow answer now holds the only slot
            status, headers = _post(base + "/v1/search", {"query": "海淀区"})
            # Refused, not queued: a queued request would have waited for the slot and got 200.
            assert status == 503 and headers["Retry-After"] == "1"
            slow.join(timeout=30)
            assert _post(base + "/v1/search", {"query": "海淀区"})[0] == 200
