"""Lexical retrieval: BM25 over jieba tokens."""
from __future__ import annotations

import numpy as np

from documents.models import Chunk
from embeddings.lexical.bm25_index import BM25Index
from qa_service.retrievers.base import Retriever
from qa_service.types import Passage


class BM25Retriever(Retriever):
    name = "bm25"

    def __init__(self, chunks: list[Chunk], bm25: BM25Index) -> None:
        self._chunks = chunks
        self._bm25 = bm25

    def all_scores(self, query: str) -> np.ndarray:
        return self._bm25.scores(query)

    def retrieve(self, query: str, top_k: int) -> list[Passage]:
        scores = self.all_scores(query)
        rows = top_rows(scores, top_k)
        return [Passage(self._chunks[r], float(scores[r]), {"bm25": float(scores[r])}) for r in rows if scores[r] > 0]


def top_rows(scores: np.ndarray, top_k: int) -> np.ndarray:
    """Row numbers of the top_k scores, best first (stable for ties: lower row first)."""
    if scores.size == 0 or top_k <= 0:
        return np.zeros(0, dtype=np.int64)
    k = min(top_k, scores.size)
    candidates = np.argpartition(-scores, k - 1)[:k]
    return candidates[np.lexsort((candidates, -scores[candidates]))]
