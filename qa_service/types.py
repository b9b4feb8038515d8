"""Data that flows through retrieval and answering, and its JSON form for the API."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, fields
from typing import Any

from documents.models import Chunk


@dataclass(frozen=True)
class RetrievalScores:
    """Each first-stage retriever's own score of a passage, None where it did not score it. A scoring retriever
    is named after its field here (qa_service.retrievers.base.ScoringRetriever.name); the order of the fields
    is the order of the response's `scores`."""

    bm25: float | None = None
    dense: float | None = None  # cosine of the question and passage vectors (the answerer's semantic gate)

    def to_dict(self) -> dict[str, float]:
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name)) is not None}


@dataclass(frozen=True)
class Quote:
    """A span of a passage's text that answers the question (a sentence and the one after it), and its
    sentence-evidence score (qa_service.understanding.sentence_evidence)."""

    start: int  # span in the passage text
    end: int
    score: float


@dataclass(frozen=True)
class Evidence:
    """What the sentence-evidence reranker found in a passage, so that the answerer need not look again."""

    quote: Quote | None  # the passage's best quote (None: no sentence to quote)
    score: float  # the quote's score, 0 without one
    retrieval: float  # the first-stage score the reranker mixed it with
    led: bool = False  # the reader answers from this passage, so it was ranked first (readers/detail_reader.py lead)

    def to_dict(self) -> dict[str, float]:
        return {"retrieval": self.retrieval, "evidence": self.score}


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with the score that ranks it (a retriever's, the fused or the reranked one), each
    first-stage retriever's own score and, once reranked, its sentence evidence."""

    chunk: Chunk
    score: float
    retrieval: RetrievalScores = RetrievalScores()
    evidence: Evidence | None = None

    def to_dict(self) -> dict[str, Any]:
        c = self.chunk
        scores = {**self.retrieval.to_dict(), **(self.evidence.to_dict() if self.evidence else {})}
        data: dict[str, Any] = {
            "id": c.id, "doc": c.doc, "title": c.title, "section": c.section, "text": c.text,
            "score": round(float(self.score), 6),
            "scores": {k: round(float(v), 6) for k, v in scores.items()},
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
class TokenUsage:
    """The tokens an LLM call reported spending (its response's `usage`), passed through to chat clients."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


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
    # How the LLM's generation ended, whichever way the answer was asked (plain or streamed): "stop" (it ended
    # by itself, or no LLM wrote), "length" (cut at QA_LLM_MAX_TOKENS or, streamed, at the deadline), "error"
    # (the LLM failed or broke off). Unless "stop", `notice` says what the answer is instead.
    finish_reason: str = "stop"
    usage: TokenUsage | None = None  # of the LLM call behind this answer, when one was made and reported it
    # How the answer differs from the text the LLM wrote (and a stream sent): None (the same, or no LLM was
    # asked), "cited" (the same sentences, citation markers added or corrected by what they state), "trimmed"
    # (sentences no passage states removed), "replaced" (the extractive answer instead of the LLM's text).
    # Whichever way the answer was asked; a streaming client shows `answer` in place of what it received.
    revision: str | None = None
    # What found the passages: "lexical" (BM25 alone: the index's vectors are still being made, or QA_RETRIEVER=
    # bm25), "dense" or "hybrid"; set by the service, "" until then.
    retrieval: str = ""

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
        if self.finish_reason != "stop":
            data["finish_reason"] = self.finish_reason
        if self.revision:
            data["revision"] = self.revision
        if self.retrieval:
            data["retrieval"] = self.retrieval
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
