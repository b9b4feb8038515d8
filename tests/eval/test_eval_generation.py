"""Who wrote each answer and the tokens the LLM reported, read from /v1/ask bodies and summarised."""
from __future__ import annotations

from eval.generation import generation_summary, render_generation
from eval.rows import QuestionRow
from eval.runner import _read_generation


def _row(body: dict) -> QuestionRow:
    row = QuestionRow(id="q", line=1, question="?", type="factoid", doc="", subtype=None, gold_answerable=True,
                      gold_answer="x", answer="x")
    _read_generation(row, body)
    return row


def test_generation_fields_are_read_and_summarised():
    rows = [
        _row({"generator": "llm", "revision": "cited", "usage": {"prompt_tokens": 100, "completion_tokens": 20,
                                                                 "total_tokens": 120}}),
        _row({"generator": "extractive", "revision": "replaced", "finish_reason": "length",
              "usage": {"prompt_tokens": 90, "completion_tokens": 512, "total_tokens": 602}}),
        _row({"generator": "extractive"}),  # the reader answered: no LLM call
        _row({"generator": "llm", "usage": {"prompt_tokens": True, "completion_tokens": "3"}}),  # not counts
    ]
    assert [(r.finish_reason, r.prompt_tokens) for r in rows] == [("stop", 100), ("length", 90), ("stop", None),
                                                                  ("stop", None)]
    summary = generation_summary(rows)
    assert summary["generator"] == {"llm": 2, "extractive": 2}
    assert summary["revision"] == {"cited": 1, "replaced": 1, "none": 2}
    assert summary["finish_reason"] == {"stop": 3, "length": 1}
    assert (summary["llm_calls_reporting_usage"], summary["prompt_tokens"], summary["completion_tokens"]) == (2, 190, 532)
    assert summary["mean_completion_tokens"] == 266 and summary["p95_completion_tokens"] == 512
    assert "completion 532" in render_generation(summary)[1]


def test_reports_without_generation_render_nothing():
    assert render_generation(None) == [] and render_generation({}) == []
