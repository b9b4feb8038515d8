"""Knowledge bases on a real `qa serve` with two gunicorn workers (the session's, conftest.py): one created,
filled, renamed and deleted through whichever worker takes the request is seen the same by both (the registry is
the disk, checked per request)."""
import time

import httpx
import pytest

from tests.qa_service.intake_testlib import ANSWER_ON_PAGE_TWO, PAGE_ONE, PAGE_TWO, QUESTION_ON_PAGE_TWO

pytestmark = pytest.mark.integration
SAME_ORIGIN = {"X-Requested-With": "test"}
ROUNDS = 6  # requests on fresh connections: both workers take some


def _statuses(base: str, method: str, path: str, **kwargs) -> set[int]:
    return {httpx.request(method, base + path, timeout=60, **kwargs).status_code for _ in range(ROUNDS)}


def _hybrid_everywhere(base: str, kb: str) -> None:
    """The upload is answered by BM25 at once and gets its vectors in the background (the server's defaults):
    wait until ROUNDS fresh connections in a row say hybrid, so both workers answer from the same version."""
    deadline, in_a_row = time.monotonic() + 180, 0
    while in_a_row < ROUNDS:
        info = httpx.get(f"{base}/v1/kbs/{kb}/info", timeout=60).json()
        in_a_row = in_a_row + 1 if info["retrieval"] == "hybrid" else 0
        assert time.monotonic() < deadline, info
        if not in_a_row:
            time.sleep(0.1)


def test_two_workers_agree_on_the_knowledge_bases(two_workers):
    base, _ = two_workers
    assert httpx.post(base + "/v1/kbs", json={"name": "sea"}, headers=SAME_ORIGIN).status_code == 201
    upload = httpx.post(base + "/v1/kbs/sea/documents", headers=SAME_ORIGIN, timeout=120,
                        files={"file": ("sea.txt", (PAGE_ONE + "\n" + PAGE_TWO).encode(), "text/plain")})
    assert upload.status_code == 201, upload.text
    _hybrid_everywhere(base, "sea")
    answers = {httpx.post(base + "/v1/kbs/sea/ask", json={"question": QUESTION_ON_PAGE_TWO},
                          timeout=60).json()["answer"] for _ in range(ROUNDS)}
    assert len(answers) == 1 and ANSWER_ON_PAGE_TWO in answers.pop()
    models = {tuple(m["id"] for m in httpx.get(base + "/v1/models").json()["data"]) for _ in range(ROUNDS)}
    assert models == {("qa-service", "sea")}

    assert httpx.patch(base + "/v1/kbs/sea", json={"name": "ocean"}, headers=SAME_ORIGIN).status_code == 200
    assert _statuses(base, "POST", "/v1/kbs/sea/ask", json={"question": QUESTION_ON_PAGE_TWO}) == {404}
    assert _statuses(base, "POST", "/v1/kbs/ocean/ask", json={"question": QUESTION_ON_PAGE_TWO}) == {200}

    assert httpx.delete(base + "/v1/kbs/ocean", headers=SAME_ORIGIN).status_code == 204
    assert _statuses(base, "POST", "/v1/kbs/ocean/ask", json={"question": QUESTION_ON_PAGE_TWO}) == {404}
    assert _statuses(base, "POST", "/v1/ask", json={"question": QUESTION_ON_PAGE_TWO}) == {200}
