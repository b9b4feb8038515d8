"""Semantic retrieval: query embedding against the FAISS inner-product index."""
from __future__ import annotations

import numpy as np

from documents.models import Chunk
from embeddings.encoders.base import TextEncoder
from embeddings.vector_stores.base import VectorStore
from qa_service.retrievers.base import Retriever
from qa_service.types import Passage


class DenseRetriever(Retriever):
    name = "dense"

    def __init__(self, chunks: list[Chunk], vectors: VectorStore, encoder: TextEncoder) -> None:
        self._chunks = chunks
        self._vectors = vectors
        self._encoder = encoder

    def encode(self, query: str) -> np.ndarray:
        return self._encoder.encode_query(query)

    def search_vector(self, query_vector: np.ndarray, top_k: int) -> list[tuple[int, float]]:
        scores, rows = self._vectors.search(query_vector, top_k)
        return [(int(r), float(s)) for s, r in zip(scores, rows)]

    def similarities(self, query_vector: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return self._vectors.similarities(query_vector, rows)

    def retrieve(self, query: str, top_k: int) -> list[Passage]:
        return [Passage(self._chunks[r], s, {"dense": s}) for r, s in self.search_vector(self.encode(query), top_k)]
