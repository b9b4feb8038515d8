"""Second-stage reranking by sentence-level evidence.

First-stage scores judge a whole passage; whether the passage *answers* shows at sentence level: one
sentence holding most of the question's terms and the asked-for kind of content (a number for 多少, a date
for 哪一年, ...). The final score mixes the min-max scaled first-stage score with the best quote's score; the
quote and both scores go with the passage (Passage.evidence), for the answerer to quote from.
On dev (hybrid top 20) this raised hit@1 from 0.825 to about 0.9 at weights 0.6-0.8; weight 1.0 (evidence
alone) was worse than none, so both signals are kept.
The first-stage score enters as a share of the best candidate's (`prior`, QA_RERANK_PRIOR=top): min-max over the
candidates stretched the small gap between two passages of one document to the whole 0-1 range, so a neighbour
the retriever liked a little more beat the passage whose sentence answers (paraphrases hit@5 0.917 -> 0.938 with
weight 0.5, docs/evaluation.md).

With a reader (QA_RERANKER=reading-evidence, the default) a quote is also worth what the reader finds in it
(readers/detail_reader.py quote_bonuses: a value of the asked kind naming the asked detail, the question's named
things in its passage): among passages of one document that share the question's words, it is what tells the
sentence that answers from its neighbours (dev: hit@1 0.905 -> 0.921, paraphrases 0.646 -> 0.708). With
`lead` (QA_READING_LEADS) the passage the reader answers from is then put first (DetailReader.lead).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

import numpy as np

from qa_service.rerankers.base import Reranker
from qa_service.retrievers.scaling import min_max_scaled
from qa_service.types import Evidence, Passage, Quote
from qa_service.understanding.query import Query
from qa_service.understanding.sentence_evidence import SentenceEvidenceScorer


class SentenceEvidenceReranker(Reranker):
    name = "sentence-evidence"

    def __init__(self, scorer: SentenceEvidenceScorer, evidence_weight: float = 0.7,
                 bonuses: Callable[[Query, Passage, list[float]], list[float]] | None = None,
                 lead: Callable[[Query, list[Passage]], list[Passage]] | None = None,
                 prior: Callable[[np.ndarray], np.ndarray] = min_max_scaled) -> None:
        self._scorer = scorer
        self._prior = prior
        self._weight = evidence_weight
        self._bonuses = bonuses
        self._lead = lead
        if bonuses is not None:
            self.name = "reading-evidence"

    def rerank(self, query: Query, passages: list[Passage]) -> list[Passage]:
        if not passages:
            return []
        first = self._prior(np.array([p.score for p in passages], dtype=np.float64))
        quotes = [self._best_quote(query, p) for p in passages]
        evidence = np.array([q.score if q else 0.0 for q in quotes])
        fused = (1.0 - self._weight) * first + self._weight * evidence
        order = np.lexsort((np.arange(len(passages)), -fused))[:query.top_k]
        ranked = [replace(passages[i], score=float(fused[i]),
                          evidence=Evidence(quotes[i], float(evidence[i]), passages[i].score))
                  for i in order]
        return ranked if self._lead is None else self._lead(query, ranked)

    def _best_quote(self, query: Query, passage: Passage) -> Quote | None:
        if self._bonuses is None:
            return self._scorer.best_quote(query, passage)
        scores = self._scorer.quote_scores(query, passage)  # the reader need not check quotes that cannot win
        return self._scorer.best_quote(query, passage, self._bonuses(query, passage, scores), scores)
