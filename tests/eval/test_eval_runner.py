"""The runner against the fake service: per-question rows and report values are the known ones."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from eval_fakes import CANNED, EXPECTED_OVERALL, F1_Q5, INFO, NDCG_Q1, QUESTIONS, make_app, write_jsonl

from eval.backends.base import BackendError, BackendUnavailable
from eval.backends.inprocess_backend import InProcessBackend
from eval.dataset import load_questions
from eval.runner import RunOptions, run_eval


def run_fake(questions_file: Path, **options: Any):
    backend = InProcessBackend(make_app(), info_provider=lambda: INFO)
    return run_eval(load_questions(questions_file), backend, RunOptions(progress=False, **options))


def check_expected(metrics: dict[str, Any]) -> None:
    for name, value in EXPECTED_OVERALL.items():
        assert metrics[name] == pytest.approx(value), name
    assert metrics["p50_ask_ms"] >= 0 and metrics["p95_ask_ms"] >= metrics["p50_ask_ms"]


def test_rows_and_overall_metrics(questions_file: Path):
    report = run_fake(questions_file)
    check_expected(report.metrics)
    rows = {r.id: r for r in report.rows}
    q1 = rows["q1"]
    # a1 and a2 tie on score; a2 (relevant) was returned second, so rank 2.
    assert q1.retrieved_ids == ["a1", "a2", "a3", "a4"]
    assert q1.relevant_ranks == [2, 3] and q1.first_relevant_rank == 2
    assert q1.ndcg_at_10 == pytest.approx(NDCG_Q1)
    assert q1.answer == "共有 34 个[1]。" and q1.answer_contains and not q1.abstained
    assert [c.correct for c in q1.citations] == [True, False] and q1.citation_hit
    assert q1.ask_ms is not None and q1.ask_ms >= 0 and q1.errors == []
    q2 = rows["q2"]
    assert q2.first_relevant_rank is None and q2.abstained
    assert q2.answer_contains is False and q2.answer_char_f1 == 0.0 and q2.citation_hit is False
    assert rows["q3"].abstained and rows["q3"].answer_contains is None and rows["q3"].first_relevant_rank is None
    assert not rows["q4"].abstained and rows["q4"].citations_total == 1 and rows["q4"].citations_correct == 0
    assert rows["q5"].answer_char_f1 == pytest.approx(F1_Q5) and not rows["q5"].answer_contains
    assert report.counts == {"questions": 5, "answerable": 3, "unanswerable": 2, "abstained": 2, "citations": 4,
                             "errors": 0, "skipped_lines": 0}


def test_breakdowns(questions_file: Path):
    report = run_fake(questions_file)
    assert set(report.by_type) == {"factoid", "list", "explain", "unanswerable"}
    factoid = report.by_type["factoid"]
    assert factoid.count == 1 and factoid.metrics["hit@1"] == 0.0 and factoid.metrics["hit@3"] == 1.0
    assert factoid.metrics["abstain_recall"] is None
    unans = report.by_type["unanswerable"]
    assert unans.count == 2 and unans.answerable == 0
    assert unans.metrics["hit@1"] is None and unans.metrics["abstain_recall"] == 0.5
    assert unans.metrics["abstain_precision"] == 1.0
    assert report.by_type["list"].metrics["abstain_precision"] == 0.0
    assert set(report.by_doc) == {"中国电科双创示范基地建设方案.txt", "中国移动双创示范基地建设方案.txt", "(unanswerable)"}
    assert report.by_doc["中国电科双创示范基地建设方案.txt"].count == 2
    assert report.by_doc["中国电科双创示范基地建设方案.txt"].metrics["mrr@10"] == pytest.approx(0.75)
    assert report.by_doc["(unanswerable)"].count == 2
    assert report.by_subtype["off_topic"].metrics["abstain_recall"] == 1.0
    assert report.by_subtype["near_miss"].metrics["abstain_recall"] == 0.0


def test_config_from_service_info(questions_file: Path):
    report = run_fake(questions_file)
    assert report.config["service"] == INFO
    assert report.config["model"] == "fake-model" and report.config["retriever"] == "bm25"
    assert report.config["chunking"] == {"chunk_tokens": 320, "chunk_overlap_tokens": 80}
    assert report.config["backend"] == "in-process" and report.config["top_k"] == 10 and report.config["ask_top_k"] == 5


def test_small_top_k_limits_ranking_and_is_noted(questions_file: Path):
    report = run_fake(questions_file, top_k=1)
    q1 = next(r for r in report.rows if r.id == "q1")
    assert q1.retrieved_ids == ["a1"] and q1.first_relevant_rank is None
    assert report.metrics["hit@10"] == pytest.approx(1 / 3)
    assert any("top_k=1" in n for n in report.notes)


class StubBackend:
    """Returns more results than asked for and records the top_k values it receives."""

    name = "stub"

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def search(self, query: str, top_k: int) -> list[dict[str, Any]]:
        self.calls.append(("search", top_k))
        return CANNED[query]["search"]  # ignores top_k

    def ask(self, question: str, top_k: int) -> dict[str, Any]:
        self.calls.append(("ask", top_k))
        return CANNED[question]["ask"]

    def info(self) -> None:
        return None


def test_results_beyond_top_k_are_ignored_and_top_k_is_passed(questions_file: Path):
    backend = StubBackend()
    report = run_eval(load_questions(questions_file), backend, RunOptions(top_k=2, ask_top_k=3, progress=False))
    q1 = next(r for r in report.rows if r.id == "q1")
    assert q1.retrieved_ids == ["a1", "a2"] and q1.relevant_ranks == [2]
    assert q1.ndcg_at_10 == pytest.approx(1 / math.log2(3))
    assert {c for c in backend.calls} == {("search", 2), ("ask", 3)}
    assert report.config["service"] is None and any("/v1/info" in n for n in report.notes)


def test_service_errors_are_recorded_and_scored_as_misses(tmp_path: Path):
    unknown = dict(QUESTIONS[0], id="x1", question="服务不认识的问题")
    path = write_jsonl(tmp_path / "q.jsonl", [QUESTIONS[0], unknown])
    report = run_fake(path)
    row = next(r for r in report.rows if r.id == "x1")
    assert len(row.errors) == 2 and "not_found" in row.errors[0] and "400" in row.errors[1]
    assert row.first_relevant_rank is None and row.answer_contains is False and row.citation_hit is False
    assert row.ask_ms is not None  # the service answered (with an error)
    assert report.counts["errors"] == 1 and report.metrics["hit@3"] == 0.5


def test_unavailable_backend_stops_the_run(questions_file: Path):
    class Dead(StubBackend):
        def search(self, query: str, top_k: int) -> list[dict[str, Any]]:
            raise BackendUnavailable("connection refused")

    with pytest.raises(BackendUnavailable):
        run_eval(load_questions(questions_file), Dead(), RunOptions(progress=False))


def test_malformed_service_bodies_are_errors_not_crashes(tmp_path: Path):
    canned = {QUESTIONS[0]["question"]: {"search": [], "ask": {"answer": None, "citations": "bad"}}}
    app = make_app(canned)

    @app.post("/v1/other")
    def other():  # pragma: no cover - only to show the app is a normal Flask app
        return {}

    path = write_jsonl(tmp_path / "q.jsonl", [QUESTIONS[0]])
    report = run_eval(load_questions(path), InProcessBackend(app), RunOptions(progress=False))
    row = report.rows[0]
    assert row.answer == "" and not row.abstained and row.citations == []
    assert any("answerable" in e for e in row.errors) and any("citations" in e for e in row.errors)


def test_backend_error_message():
    err = BackendError("bad_request", "too long", 400)
    assert str(err) == "bad_request: too long (HTTP 400)" and err.status == 400
