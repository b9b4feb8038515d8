"""The reader of earlier versions, kept as the measured alternative (QA_READER=quote): the best quote of the
top passages, answered when the question's named things are mentioned and the top passage holds enough of it.

Whether to answer: every named entity of the question must be mentioned in the top passages (see
qa_service.understanding.entity_grounding), the top passage (with its title and heading path) must hold
min_support of the question's IDF-weighted terms and, when a dense score is known, have cosine min_dense; a
question that can only be answered with a date or a number is not answered with a quote that holds none.
What to quote: the best-scoring quote (qa_service.understanding.sentence_evidence) among the top passages,
with a small prior for the passage's rank (the reranker found each passage's best quote: Passage.evidence).
"""
from __future__ import annotations

from dataclasses import dataclass

from qa_service.readers.base import ANSWERED, NOT_FOUND, NOT_MENTIONED, Reader, Reading
from qa_service.types import Passage, Quote
from qa_service.understanding.entity_grounding import EntityGrounding
from qa_service.understanding.query import Query
from qa_service.understanding.question_types import holds_kind
from qa_service.understanding.sentence_evidence import SentenceEvidenceScorer


@dataclass(frozen=True)
class QuoteReaderConfig:
    min_support: float = 0.35  # share of the question's information the top passage must hold
    min_dense: float = 0.70  # cosine of the top passage, when the retriever reports one
    rank_prior: float = 0.3
    max_passages: int = 3  # passages whose sentences are candidates
    grounding_passages: int = 5  # passages in which the question's entities must be mentioned


class QuoteReader(Reader):
    name = "quote"

    def __init__(self, scorer: SentenceEvidenceScorer, grounding: EntityGrounding | None = None,
                 config: QuoteReaderConfig | None = None) -> None:
        self._scorer = scorer
        self._grounding = grounding
        self.config = config or QuoteReaderConfig()

    def read(self, query: Query, passages: list[Passage]) -> Reading:
        if not passages or query.terms.total <= 0:
            return Reading(NOT_FOUND)
        if self._grounding is not None:
            missing = self._grounding.ungrounded(query, passages[: self.config.grounding_passages])
            if missing:
                return Reading(NOT_MENTIONED, missing=tuple(missing))
        support = self._scorer.support(query, passages[0])
        dense = passages[0].retrieval.dense
        if support < self.config.min_support or (dense is not None and dense < self.config.min_dense):
            return Reading(NOT_FOUND, coverage=support)
        candidates = passages[: self.config.max_passages]
        best: tuple[float, int, Quote] | None = None
        for index, passage in enumerate(candidates):
            quote = self._scorer.quote(query, passage)
            if quote is None:
                continue
            score = quote.score + self.config.rank_prior * (len(candidates) - index) / len(candidates)
            if best is None or score > best[0]:
                best = (score, index, quote)
        if best is None:
            return Reading(NOT_FOUND, coverage=support)
        _, index, quote = best
        passage = candidates[index]
        kind = query.required_kind
        if kind is not None and not holds_kind(passage.chunk.text[quote.start:quote.end], kind):
            return Reading(NOT_FOUND, coverage=support)
        return Reading(ANSWERED, passage, quote, coverage=support)
