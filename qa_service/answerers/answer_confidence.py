"""How likely an extractive answer is right: the `confidence` of an answered question.

The reader's coverage alone says little about that: on the three dev sets (117 answered questions) answers
with coverage 0.3-0.4 were right 62% of the time and those of 0.9-1.0 71%. What does tell is where the
answering sentence came from: from the top-ranked passage, 77% of answers were right (83 of 108); from a
lower one, 2 of 9. So the confidence is a logistic function of those two signals, its three weights
fitted on the dev sets by `python -m benchmarks.calibrate_confidence` (which prints the table of how often
answers of each confidence are right; docs/evaluation.md keeps it). Refit when the reader or the reranker
changes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from qa_service.readers.base import Reading
from qa_service.types import Passage


@dataclass(frozen=True)
class AnswerConfidence:
    """P(right) = sigmoid(intercept + from_top * [the sentence is in the top passage] + coverage * coverage)."""

    intercept: float = -0.554
    from_top: float = 1.516
    coverage: float = 0.257

    @staticmethod
    def features(reading: Reading, passages: list[Passage]) -> tuple[float, float]:
        """The two signals: 1.0 when the sentence read is in the first passage, and the reading's coverage."""
        top = bool(passages) and reading.passage is not None and passages[0].chunk.id == reading.passage.chunk.id
        # a passage put first because the reader answers from it (DetailReader.lead) was not the reranker's first
        top = top and not (reading.passage.evidence is not None and reading.passage.evidence.led)
        return (1.0 if top else 0.0), float(reading.coverage)

    def of(self, reading: Reading, passages: list[Passage]) -> float:
        from_top, coverage = self.features(reading, passages)
        z = self.intercept + self.from_top * from_top + self.coverage * coverage
        return 1.0 / (1.0 + math.exp(-z))
