"""32 concurrent clients against the real waitress server: no 5xx, answers identical to a sequential run."""
import pytest

from benchmarks.loadtest import run_load

pytestmark = pytest.mark.integration


def test_concurrent_mixed_load_is_served_correctly(server):
    report = run_load(server, total=320, concurrency=32)
    summary = report.summary()
    assert report.server_errors == 0, summary
    assert report.mismatches == [], report.mismatches[:5]
    assert summary["statuses"].get(200, 0) > 0 and any(400 <= s < 500 for s in summary["statuses"])
