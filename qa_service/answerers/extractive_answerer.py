"""Extractive answers: the quote of the top passages that best answers the question, cited.

Two decisions, each from evidence that generalises rather than from per-question rules:
- whether to answer: every named entity of the question must be mentioned in the retrieved passages
  (see qa_service.understanding.entity_grounding), and the top passage (with its title and heading path) must
  hold enough of the question's information (IDF-weighted query terms) and, when a dense score is known,
  be semantically close enough; otherwise the documents do not discuss the question and the service abstains;
- what to quote: the best-scoring quote (see qa_service.understanding.sentence_evidence) among the top
  passages, with a small prior for the passage's rank; a question that can only be answered with a date
  or a number is not answered with a quote that holds none. The reranker has found each passage's best
  quote already (Passage.evidence); without a reranker it is found here.
"""
from __future__ import annotations

from dataclasses import dataclass

from qa_service.answerers.base import NOT_FOUND_ANSWER, Answerer
from qa_service.types import Answer, Citation, Deadline, Passage, Quote
from qa_service.understanding.entity_grounding import EntityGrounding
from qa_service.understanding.query import Query
from qa_service.understanding.question_types import holds_kind
from qa_service.understanding.sentence_evidence import SentenceEvidenceScorer


@dataclass(frozen=True)
class ExtractiveConfig:
    min_support: float = 0.35  # share of the question's information the top passage must hold
    min_dense: float = 0.70  # cosine of the top passage, when the retriever reports one
    rank_prior: float = 0.3
    max_passages: int = 3  # passages whose sentences are candidates
    grounding_passages: int = 5  # passages in which the question's entities must be mentioned


class ExtractiveAnswerer(Answerer):
    name = "extractive"

    def __init__(self, scorer: SentenceEvidenceScorer, grounding: EntityGrounding | None = None,
                 config: ExtractiveConfig | None = None) -> None:
        self._scorer = scorer
        self._grounding = grounding
        self.config = config or ExtractiveConfig()

    def answer(self, query: Query, passages: list[Passage], deadline: Deadline | None = None) -> Answer:
        if not passages or query.terms.total <= 0:
            return Answer(NOT_FOUND_ANSWER, False, [], 0.0, self.name)
        if self._grounding is not None:
            missing = self._grounding.ungrounded(query, passages[: self.config.grounding_passages])
            if missing:
                return Answer(not_mentioned_answer(missing), False, [], 0.0, self.name)
        support = self._scorer.support(query, passages[0])
        dense = passages[0].retrieval.dense
        if support < self.config.min_support or (dense is not None and dense < self.config.min_dense):
            return Answer(NOT_FOUND_ANSWER, False, [], support, self.name)
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
            return Answer(NOT_FOUND_ANSWER, False, [], support, self.name)
        _, index, quote = best
        passage = candidates[index]
        text = passage.chunk.text[quote.start:quote.end]
        kind = query.required_kind
        if kind is not None and not holds_kind(text, kind):
            return Answer(NOT_FOUND_ANSWER, False, [], support, self.name)
        answer_text = " ".join(text.split()) if "\n" in text else text
        return Answer(f"{answer_text}[1]", True, [Citation(ref=1, passage=passage, quote=text)], support, self.name)


def not_mentioned_answer(missing: list[str]) -> str:
    return NOT_FOUND_ANSWER.rstrip("。") + f"（文档中未提及：{'、'.join(missing)}）。"
