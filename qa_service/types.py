"""Data that flows through retrieval and answering, and its JSON form for the API."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

from documents.models import Chunk


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its fused score and the score of each retriever that saw it."""

    chunk: Chunk
    score: float
    component_scores: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        c = self.chunk
        data: dict[str, Any] = {
            "id": c.id, "doc": c.doc, "title": c.title, "section": c.section, "text": c.text,
            "score": round(float(self.score), 6),
            "scores": {k: round(float(v), 6) for k, v in self.component_scores.items()},
            "line_start": c.line_start, "line_end": c.line_end, "start": c.start, "end": c.end,
        }
        if c.page is not None:  # sources with pages (PDF): 1-based pages the passage starts and ends on
            data["page"] = c.page
            data["page_end"] = c.page_end if c.page_end is not None else c.page
        return data


@dataclass(frozen=True)
class Citation:
    ref: int  # the number used in the answer's [n] markers
    passage: Passage
    quote: str  # the sentence of the passage that supports the answer

    def to_dict(self) -> dict[str, Any]:
        return {"ref": self.ref, **self.passage.to_dict(), "quote": self.quote}


@dataclass(frozen=True)
class UnsupportedClaim:
    """A number, date, name or quoted term an LLM answer states that no passage it cites states."""

    claim: str  # as the answer wrote it ("一万元", "2025年", "苏州工业园区")
    kind: str  # "number" (with its unit: amounts, dates, percentages) or "entity" (names, quoted terms)
    sentence: str  # the answer sentence stating it
    refs: tuple[int, ...]  # the passages that sentence cites (all cited ones when it cites none itself)

    def to_dict(self) -> dict[str, Any]:
        return {"claim": self.claim, "kind": self.kind, "sentence": self.sentence, "refs": list(self.refs)}


@dataclass(frozen=True)
class Answer:
    answer: str
    answerable: bool
    citations: list[Citation]
    confidence: float
    generator: str = "extractive"
    notice: str | None = None  # e.g. why the LLM was not used for this answer
    # Claims of an LLM answer its cited passages do not state (removed from `answer`, or the reason the
    # extractive answer was returned instead); see qa_service.answerers.claim_check.
    unsupported_claims: tuple[UnsupportedClaim, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = {
            "answer": self.answer, "answerable": self.answerable,
            "citations": [c.to_dict() for c in self.citations],
            "confidence": round(float(self.confidence), 4), "generator": self.generator,
        }
        if self.notice:
            data["notice"] = self.notice
        if self.unsupported_claims:
            data["unsupported_claims"] = [c.to_dict() for c in self.unsupported_claims]
        return data


@dataclass(frozen=True)
class Deadline:
    """When the work for one request must be finished, on the monotonic clock. Stages that can wait or retry
    (the LLM calls) ask how much time is left instead of each applying its own timeout."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> "Deadline":
        return cls(time.monotonic() + seconds)

    @classmethod
    def none(cls) -> "Deadline":
        return cls(math.inf)

    def remaining(self) -> float:
        """Seconds left, never negative (inf without a deadline)."""
        return max(0.0, self.at - time.monotonic())

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0.0
