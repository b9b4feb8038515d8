"""Semantic retrieval: the query embedding against a keyed vector store (FAISS in process, or Milvus).

Stores speak in row keys (document id and chunk id, see vector_backends.row_keys); this retriever maps
them back to positions in the loaded chunk list, which is what fusion works on. The question's vector is
the Query's, encoded on its first use.
"""
from __future__ import annotations

import logging
from typing import Sequence

import numpy as np

from documents.models import Chunk
from embeddings.vector_stores.keyed_base import KeyedVectorStore
from qa_service.retrievers.base import QueryScores, ScoringRetriever
from qa_service.search_filter import AllowedRows
from qa_service.understanding.query import Query

log = logging.getLogger(__name__)


class DenseRetriever(ScoringRetriever):
    name = "dense"

    def __init__(self, chunks: Sequence[Chunk], vectors: KeyedVectorStore, keys: Sequence[str]) -> None:
        if len(keys) != len(chunks):
            raise ValueError(f"{len(chunks)} chunks but {len(keys)} vector keys")
        super().__init__(chunks)
        self._vectors = vectors
        self._keys = list(keys)
        self._row_of = {key: row for row, key in enumerate(self._keys)}

    def scores_for(self, query: Query) -> QueryScores:
        return _DenseScores(self, query)

    def search(self, query_vector: np.ndarray, n: int, allowed: AllowedRows | None = None) -> list[tuple[int, float]]:
        """(row, cosine) of the n nearest chunks (of the allowed ones, searched inside the store); keys the
        loaded version does not hold (an external store already holding the next version) are skipped."""
        if allowed is not None and allowed.empty:
            return []
        row_of = self._row_of
        only = None if allowed is None else allowed.selection
        return [(row_of[hit.chunk_id], hit.score) for hit in self._vectors.search(query_vector, n, only)
                if hit.chunk_id in row_of]

    def similarities(self, query_vector: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Cosine of the query vector and each row's vector."""
        keys = [self._keys[int(r)] for r in rows]
        try:
            return self._vectors.similarities(query_vector, keys)
        except KeyError:  # an external store moved on to a version without some of these rows
            log.warning("vector store lacks some candidate rows; scoring them 0")
            return np.array([self._one_similarity(query_vector, key) for key in keys], dtype=np.float32)

    def _one_similarity(self, query_vector: np.ndarray, key: str) -> float:
        try:
            return float(self._vectors.similarities(query_vector, [key])[0])
        except KeyError:
            return 0.0


class _DenseScores(QueryScores):
    """Cosines with the Query's vector (encoded on its first use, once per request)."""

    def __init__(self, retriever: DenseRetriever, query: Query) -> None:
        self._retriever = retriever
        self._query = query

    def top(self, n: int) -> list[tuple[int, float]]:
        return self._retriever.search(self._query.vector, n, self._query.allowed)

    def of(self, rows: np.ndarray) -> np.ndarray:
        return self._retriever.similarities(self._query.vector, rows)
