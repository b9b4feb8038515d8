"""Second-stage reranking by sentence-level evidence.

First-stage scores judge a whole passage; whether the passage *answers* shows at sentence level: one
sentence holding most of the question's terms and the asked-for kind of content (a number for 多少, a date
for 哪一年, ...). The final score mixes the min-max scaled first-stage score with the best quote's score.
On dev (hybrid top 20) this raised hit@1 from 0.825 to about 0.9 at weights 0.6-0.8; weight 1.0 (evidence
alone) was worse than none, so both signals are kept.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from qa_service.evidence.sentence_evidence import SentenceEvidenceScorer
from qa_service.rerankers.base import Reranker
from qa_service.types import Passage


class SentenceEvidenceReranker(Reranker):
    name = "sentence-evidence"

    def __init__(self, scorer: SentenceEvidenceScorer, evidence_weight: float = 0.7) -> None:
        self._scorer = scorer
        self._weight = evidence_weight

    def rerank(self, query: str, passages: list[Passage], top_k: int) -> list[Passage]:
        if not passages:
            return []
        terms = self._scorer.terms(query)
        first = np.array([p.score for p in passages], dtype=np.float64)
        spread = first.max() - first.min()
        first = (first - first.min()) / spread if spread > 1e-12 else np.zeros_like(first)
        evidence = np.array([(q.score if (q := self._scorer.best_quote(terms, p)) else 0.0) for p in passages])
        fused = (1.0 - self._weight) * first + self._weight * evidence
        order = np.lexsort((np.arange(len(passages)), -fused))[:top_k]
        return [
            replace(passages[i], score=float(fused[i]),
                    component_scores={**passages[i].component_scores, "retrieval": passages[i].score,
                                      "evidence": float(evidence[i])})
            for i in order
        ]
