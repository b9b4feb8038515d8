"""The per-question outcome of an evaluation run (one row of the report)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class CitationOutcome:
    """One citation of an answer and whether it supports the gold evidence."""

    ref: Any
    id: str | None
    doc: str | None
    correct: bool


@dataclass
class QuestionRow:
    """Everything measured for one question; aggregates are computed only from these rows.

    Fields that do not apply (ranking/answer/citation fields of unanswerable questions) are None.
    A failed call is recorded in `errors` and scored as a miss, never silently dropped.
    """

    id: str
    line: int
    question: str
    type: str
    doc: str
    subtype: str | None
    gold_answerable: bool
    gold_answer: str
    set: str = ""  # the question file (its stem)
    # /v1/search
    retrieved_ids: list[str] = field(default_factory=list)
    retrieved_docs: list[str] = field(default_factory=list)
    relevant_ranks: list[int] = field(default_factory=list)
    first_relevant_rank: int | None = None
    ndcg_at_10: float | None = None
    search_ms: float | None = None
    # /v1/ask
    answer: str | None = None
    abstained: bool = False
    confidence: float | None = None  # as the service reported it, for the calibration table
    answer_contains: bool | None = None
    answer_char_f1: float | None = None
    citations: list[CitationOutcome] = field(default_factory=list)
    citations_correct: int = 0
    citation_hit: bool | None = None
    ask_ms: float | None = None
    # how the answer was written, as /v1/ask reports it (issue 23): "extractive" or "llm"; how the LLM's
    # generation ended ("stop", "length", "error"); how the answer differs from the LLM's text (None, "cited",
    # "trimmed", "replaced"); the tokens the LLM reported (None when no LLM was asked or it reported none)
    generator: str | None = None
    finish_reason: str | None = None
    revision: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def citations_total(self) -> int:
        return len(self.citations)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["citations_total"] = self.citations_total
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QuestionRow:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["citations"] = [CitationOutcome(**c) for c in data.get("citations", [])]
        return cls(**known)
