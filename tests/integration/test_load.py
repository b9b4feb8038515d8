"""32 concurrent clients against the real waitress server: no 5xx, answers identical to a sequential run."""
import pytest

from benchmarks.loadtest import run_load
from tests.qa_service.apps import app_for
from tests.qa_service.servers import serve

pytestmark = pytest.mark.integration


def test_concurrent_mixed_load_is_served_correctly(server):
    report = run_load(server, total=320, concurrency=32)
    summary = report.summary()
    assert report.server_errors == 0, summary
    assert report.mismatches == [], report.mismatches[:5]
    assert summary["statuses"].get(200, 0) > 0 and any(400 <= s < 500 for s in summary["statuses"])


def test_with_per_client_limits_on_the_refusals_are_429s_and_the_answers_still_match(service):
    """The load test's clients share one address: with QA_MAX_REQUESTS_PER_CLIENT on, most of them are refused.
    --refusals-ok counts those 429s apart; every request that is answered must still be answered as in the
    sequential run, and without the flag the same refusals are reported as wrong answers."""
    with serve(app_for(service, max_requests_per_client=2)) as base:
        report = run_load(base, total=96, concurrency=16, refusals_ok=True)
        summary = report.summary()
        assert report.server_errors == 0 and report.mismatches == [], (summary, report.mismatches[:5])
        assert report.refused == summary["statuses"].get(429, 0) > 0, summary
        assert summary["statuses"].get(200, 0) > 0, summary
        strict = run_load(base, total=96, concurrency=16)
        assert strict.refused == 0 and len(strict.mismatches) == strict.statuses.get(429, 0) > 0
