"""Feedback that feeds evaluation, on the real app and model: every answer carries an id, a rating names it, an
admin reads the ratings, and `qa feedback export` writes a question file `qa eval` scores."""
import io
import json

import openai
import pytest

from eval.dataset import load_questions
from qa_service.api.contract.feedback import MAX_COMMENT_CHARS
from qa_service.cli import main
from qa_service.feedback.export import normalize
from qa_service.feedback.store import FeedbackStore
from tests.qa_service.apps import app_for
from tests.qa_service.servers import serve

def qa(*args: str) -> int:
    return main(list(args))


ASK = {"question": "海淀区有多少所高等院校？"}
ADMIN, READER = "admin-key-0123456789", "reader-key-0123456789"


@pytest.fixture()
def feedback_db(tmp_path, monkeypatch):
    path = tmp_path / "feedback.sqlite"
    monkeypatch.setenv("QA_FEEDBACK_DB", str(path))  # what the `qa feedback` commands read
    return path


@pytest.fixture()
def fb_app(service, feedback_db):
    return app_for(service, feedback_db=str(feedback_db))


def _events(resp) -> list[dict]:
    lines = [line[6:] for line in resp.get_data(as_text=True).split("\n") if line.startswith("data: ")]
    assert lines[-1] == "[DONE]"
    return [json.loads(line) for line in lines[:-1]]


def _rate(client, answer_id, rating, comment=None, **kwargs):
    body = {"answer_id": answer_id, "rating": rating, **({"comment": comment} if comment is not None else {})}
    return client.post("/v1/feedback", json=body, **kwargs)


def test_feedback_round_trips_from_answers_to_a_question_file_qa_eval_scores(fb_app, service, feedback_db, tmp_path):
    client = fb_app.test_client()
    plain = client.post("/v1/ask", json=ASK).get_json()
    streamed = _events(client.post("/v1/ask", json={**ASK, "stream": True}))[-1]
    chat = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": ASK["question"]}]})
    unanswerable = client.post("/v1/ask", json={"question": "2022年卡塔尔世界杯的冠军是哪个国家？"}).get_json()
    ids = [plain["answer_id"], streamed["answer_id"], chat.get_json()["id"], unanswerable["answer_id"]]
    assert len(set(ids)) == 4 and all(len(i) >= 20 for i in ids)

    first = _rate(client, plain["answer_id"], "down", "不对")
    assert first.status_code == 201 and first.get_json()["replaced"] is False
    again = _rate(client, plain["answer_id"], "up", "  对了  ")  # the same answer: replaces, does not add
    assert again.status_code == 200 and again.get_json() | {"rated_at": ""} == {
        "answer_id": plain["answer_id"], "rating": "up", "comment": "对了", "rated_at": "", "replaced": True}
    assert _rate(client, streamed["answer_id"], "down", "没说清楚学校名单").status_code == 201
    assert _rate(client, chat.get_json()["id"], "up").status_code == 201
    assert _rate(client, unanswerable["answer_id"], "up").status_code == 201

    listed = client.get("/v1/feedback", headers={"X-Requested-With": "t"}).get_json()
    assert listed["kb"] == "default" and len(listed["ratings"]) == 4
    newest_last = {r["answer_id"]: r for r in listed["ratings"]}
    stored = newest_last[plain["answer_id"]]
    assert (stored["question"], stored["answer"], stored["rating"], stored["kb"]) == (
        ASK["question"], plain["answer"], "up", "default")
    assert stored["index_version"] == service.index_version and stored["index_version"]
    assert [(c["doc"], c["passage_id"], c["quote"]) for c in stored["citations"]] == [
        (c["doc"], c["id"], c["quote"]) for c in plain["citations"]]
    assert [r["rating"] for r in client.get("/v1/feedback?rating=down", headers={"X-Requested-With": "t"})
            .get_json()["ratings"]] == ["down"]

    out = tmp_path / "from-users.jsonl"
    assert qa("feedback", "export", "--out", str(out)) == 0
    rows = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    up = rows["fb-" + plain["answer_id"]]
    assert up["answerable"] is True and up["type"] in ("factoid", "list") and "needs_review" not in up
    assert normalize(up["answer"]) in normalize(plain["answer"]) and "[" not in up["answer"]
    assert up["evidence"] in [c["quote"] for c in plain["citations"]] or len(up["evidence"]) == 200
    assert normalize(up["answer"]) in normalize(up["evidence"]) and up["doc"].endswith(".txt")
    assert rows["fb-" + unanswerable["answer_id"]] | {"feedback": None} == {
        "id": "fb-" + unanswerable["answer_id"], "question": "2022年卡塔尔世界杯的冠军是哪个国家？",
        "answerable": False, "answer": "", "evidence": "", "doc": "", "section": "", "type": "unanswerable",
        "feedback": None}
    down = rows["fb-" + streamed["answer_id"]]
    assert down["needs_review"] is True and down["answerable"] is None
    assert (down["answer"], down["evidence"], down["doc"]) == ("", "", "")
    assert down["feedback"]["comment"] == "没说清楚学校名单" and down["feedback"]["given_answer"] == streamed["answer"]

    loaded = load_questions(out)
    assert {q.id for q in loaded.questions} == {"fb-" + i for i in (plain["answer_id"], chat.get_json()["id"],
                                                                      unanswerable["answer_id"])}
    assert [s.reason.startswith("needs review") for s in loaded.skipped] == [True]
    report = tmp_path / "report.json"
    assert qa("eval", str(out), "--index", str(service.settings.index_dir), "--out", str(report),
              "--no-progress") == 0
    scored = json.loads(report.read_text(encoding="utf-8"))
    assert scored["metrics"]["answer_contains"] == 1.0 and scored["metrics"]["citation_hit"] == 1.0

    # A reviewer settles the down rating; --reviewed-only writes just that one, now scored.
    given = plain["citations"][0]["quote"][:60]
    assert qa("feedback", "review", streamed["answer_id"], "--answer", up["answer"], "--evidence", up["evidence"],
              "--doc", up["doc"]) == 0
    assert qa("feedback", "review", streamed["answer_id"], "--answer", "不在其中的答案", "--evidence", given,
              "--doc", up["doc"]) == 2  # the evidence must hold the answer: refused, the review kept
    assert qa("feedback", "export", "--out", str(out), "--reviewed-only", "--rating", "down") == 0
    [reviewed] = map(json.loads, out.read_text(encoding="utf-8").splitlines())
    assert reviewed["answerable"] is True and reviewed["answer"] == up["answer"] and "needs_review" not in reviewed
    assert [q.id for q in load_questions(out).questions] == ["fb-" + streamed["answer_id"]]


def test_a_streamed_chat_completion_is_rated_by_its_id(fb_app):
    client = fb_app.test_client()
    chunks = _events(client.post("/v1/chat/completions", json={
        "stream": True, "messages": [{"role": "user", "content": ASK["question"]}]}))
    assert len({c["id"] for c in chunks}) == 1 and chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert _rate(client, chunks[0]["id"], "down", "太简略").status_code == 201
    [rated] = client.get("/v1/feedback", headers={"X-Requested-With": "t"}).get_json()["ratings"]
    assert rated["answer_id"] == chunks[0]["id"] and "33" in rated["answer"] and rated["citations"]


def test_unknown_ids_and_bad_bodies_are_refused_clearly(fb_app):
    client = fb_app.test_client()
    answer_id = client.post("/v1/ask", json=ASK).get_json()["answer_id"]
    resp = _rate(client, "ans_" + "x" * 22, "up")
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"
    cases = [({"rating": "up"}, 422, "missing_field"), ({"answer_id": answer_id}, 422, "missing_field"),
             ({"answer_id": answer_id, "rating": "meh"}, 422, "invalid_value"),
             ({"answer_id": answer_id, "rating": 1}, 422, "invalid_type"),
             ({"answer_id": "../etc/passwd", "rating": "up"}, 422, "invalid_value"),
             ({"answer_id": answer_id, "rating": "up", "comment": None}, 422, "invalid_type"),
             ({"answer_id": answer_id, "rating": "up", "comment": "长" * (MAX_COMMENT_CHARS + 1)}, 422, "too_long")]
    for body, status, code in cases:
        resp = client.post("/v1/feedback", json=body)
        assert (resp.status_code, resp.get_json()["error"]["code"]) == (status, code), body
    assert client.post("/v1/feedback", data="{", content_type="application/json").status_code == 400
    assert client.post("/v1/feedback", data="answer_id=x").status_code == 415
    assert _rate(client, answer_id, "down", "长" * MAX_COMMENT_CHARS).status_code == 201  # at the bound: taken
    for query, code in (("limit=0", "out_of_range"), ("limit=abc", "invalid_type"), ("rating=sideways", "invalid_value")):
        resp = client.get("/v1/feedback?" + query, headers={"X-Requested-With": "t"})
        assert (resp.status_code, resp.get_json()["error"]["code"]) == (422, code), query


def test_an_answer_of_another_knowledge_base_is_not_found(service, encoder, feedback_db, tmp_path):
    """An answer is rated in the knowledge base it was given in (its path), and listed only there."""
    app = app_for(service, encoder=encoder, feedback_db=str(feedback_db), kb_root=str(tmp_path / "kbs"),
                  background_embedding=False)
    client = app.test_client()
    admin = {"X-Requested-With": "t"}
    assert client.post("/v1/kbs", json={"name": "hr"}, headers=admin).status_code == 201
    note = "海淀区高等院校说明。海淀区有33所高等院校，是全国高校最集中的城区之一。".encode()
    assert client.post("/v1/kbs/hr/documents", content_type="multipart/form-data", headers=admin,
                       data={"file": (io.BytesIO(note), "hr-note.txt")}).status_code == 201
    hr_answer = client.post("/v1/kbs/hr/ask", json=ASK).get_json()["answer_id"]
    assert _rate(client, hr_answer, "up").status_code == 404  # asked in hr, rated in default
    assert client.post("/v1/kbs/hr/feedback", json={"answer_id": hr_answer, "rating": "up"}).status_code == 201
    assert client.get("/v1/feedback", headers=admin).get_json()["ratings"] == []
    listed = client.get("/v1/kbs/hr/feedback", headers=admin).get_json()
    assert listed["kb"] == "hr" and [r["kb"] for r in listed["ratings"]] == ["hr"]
    assert client.get("/v1/kbs/nowhere/feedback", headers=admin).status_code == 404


def test_reading_feedback_needs_the_admin_key_rating_needs_any(service, feedback_db):
    app = app_for(service, feedback_db=str(feedback_db), api_keys=f"{READER},{ADMIN}:admin,writer-key-0123456789:write")
    with serve(app) as base:
        sdk = openai.OpenAI(base_url=base + "/v1", api_key=READER, max_retries=0)
        completion = sdk.chat.completions.create(model="qa-service", messages=[{"role": "user", "content": ASK["question"]}])
    client = app.test_client()
    reader = {"Authorization": f"Bearer {READER}"}
    assert _rate(client, completion.id, "up").status_code == 401
    assert _rate(client, completion.id, "up", headers=reader).status_code == 201
    for key, status in ((READER, 403), ("writer-key-0123456789", 403), (ADMIN, 200)):
        assert client.get("/v1/feedback", headers={"Authorization": f"Bearer {key}"}).status_code == status
    [rated] = client.get("/v1/feedback", headers={"Authorization": f"Bearer {ADMIN}"}).get_json()["ratings"]
    assert rated["answer_id"] == completion.id and rated["question"] == ASK["question"]


def test_stored_answers_and_ratings_are_pruned_beyond_their_caps(service, tmp_path):
    answer = service.ask(ASK["question"], 5)
    store = FeedbackStore(tmp_path / "f.sqlite", max_answers=100, max_ratings=100)
    ids = [f"ans_{i:04d}" for i in range(250)]
    for answer_id in ids:
        store.record(answer_id, "default", "v1", ASK["question"], answer)
    assert store.count("answers") == 100
    assert store.rate(ids[149], "default", "up", "") is None  # pruned before it was rated: gone
    for answer_id in ids[150:]:
        assert store.rate(answer_id, "default", "down", "")[1] is True
    assert store.count("ratings") == 100 and store.count("answers") == 100
    rated, new = store.rate(ids[-1], "default", "up", "changed")  # an update neither adds nor prunes
    assert (rated.rating, rated.comment, new, store.count("ratings")) == ("up", "changed", False, 100)
    more = [f"ans_more_{i}" for i in range(10)]
    for answer_id in more:
        store.record(answer_id, "default", "v1", ASK["question"], answer)
        store.rate(answer_id, "default", "up", "")
    assert store.count("ratings") == 100 and store.rating_of(ids[150], "default") is None  # the oldest rating went
    assert store.rating_of(ids[-1], "default").comment == "changed"  # a rating outlives its answer's pruning
    store.close()


def test_with_feedback_off_answers_carry_no_id(service):
    client = app_for(service, feedback_db="off").test_client()
    body = client.post("/v1/ask", json=ASK).get_json()
    assert "answer_id" not in body and body["answer"]
    assert _rate(client, "ans_" + "y" * 22, "up").status_code == 404
