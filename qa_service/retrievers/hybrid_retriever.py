"""Hybrid retrieval: BM25 and dense candidates fused by a weighted sum of normalised scores.

Plain reciprocal-rank fusion throws away how far apart the scores are, and on this corpus it did not
beat BM25 alone. Here the candidate pool is the union of both retrievers' top candidates; every
candidate gets its exact BM25 score and its exact cosine (not a placeholder for "not retrieved"),
each scaled to [0, 1] over the pool, mixed with a weight tuned on the dev set.
"""
from __future__ import annotations

import numpy as np

from documents.models import Chunk
from qa_service.retrievers.base import Retriever
from qa_service.retrievers.bm25_retriever import BM25Retriever, top_rows
from qa_service.retrievers.dense_retriever import DenseRetriever
from qa_service.types import Passage


class HybridRetriever(Retriever):
    name = "hybrid"

    def __init__(self, chunks: list[Chunk], lexical: BM25Retriever, dense: DenseRetriever,
                 lexical_weight: float = 0.6, candidates: int = 50) -> None:
        self._chunks = chunks
        self._lexical = lexical
        self._dense = dense
        self._lexical_weight = lexical_weight
        self._candidates = candidates

    def retrieve(self, query: str, top_k: int) -> list[Passage]:
        pool_size = max(self._candidates, top_k)
        bm25_all = self._lexical.all_scores(query)
        query_vector = self._dense.encode(query)
        pool = {int(r) for r in top_rows(bm25_all, pool_size) if bm25_all[r] > 0}
        pool.update(r for r, _ in self._dense.search_vector(query_vector, pool_size))
        if not pool:
            return []
        rows = np.array(sorted(pool), dtype=np.int64)
        bm25 = bm25_all[rows].astype(np.float64)
        dense = self._dense.similarities(query_vector, rows).astype(np.float64)
        fused = self._lexical_weight * _scaled(bm25) + (1.0 - self._lexical_weight) * _scaled(dense)
        order = np.lexsort((rows, -fused))[:top_k]
        return [
            Passage(self._chunks[rows[i]], float(fused[i]), {"bm25": float(bm25[i]), "dense": float(dense[i])})
            for i in order
        ]


def _scaled(values: np.ndarray) -> np.ndarray:
    """Min-max scale to [0, 1]; a constant vector maps to zeros (it carries no ranking signal)."""
    lo, hi = float(values.min()), float(values.max())
    if hi - lo <= 1e-12:
        return np.zeros_like(values, dtype=np.float64)
    return (values - lo) / (hi - lo)
