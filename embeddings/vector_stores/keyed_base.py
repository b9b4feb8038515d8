"""Proposal: a vector store addressed by chunk id, not by row number.

The row-based `VectorStore` ties vectors to positions in the chunk store, which only an embedded index
can keep in step. A distributed engine (Milvus) stores, deletes and returns its own keys, so the retrievers
can move to this interface: chunk ids in, chunk ids out, documents deleted by id. A new engine is one new
file implementing it (see milvus_store.py, and faiss_keyed.py for the embedded FAISS stores).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Iterable, NamedTuple, Sequence

import numpy as np


class ScoredId(NamedTuple):
    """One search hit: a chunk id and its score (inner product of normalised vectors = cosine)."""
    chunk_id: str
    score: float


@dataclass(frozen=True, eq=False)
class RowSelection:
    """The rows a search may return (a filter's), said the ways the engines take them: row numbers in the order
    of the keys the store was opened with (FAISS: an id selector), their keys, and, when the selection is whole
    documents, the document ids (Milvus: a filter expression on the document field)."""

    rows: np.ndarray  # sorted int64
    key_of: Sequence[str]  # the key of every row, in row order (shared, not copied per selection)
    documents: frozenset[str] | None = None  # the document ids, when every row of each is selected

    @property
    def keys(self) -> list[str]:
        """The keys of the selected rows (made when asked: only a store that filters by key needs them)."""
        return [self.key_of[int(r)] for r in self.rows]


class KeyedVectorStore(ABC):
    dimension: int

    @abstractmethod
    def add(self, ids: Sequence[str], doc_ids: Sequence[str], vectors: np.ndarray) -> None:
        """Store vectors[i] under ids[i], belonging to document doc_ids[i]; an id already present is replaced."""

    @abstractmethod
    def delete_documents(self, doc_ids: Iterable[str]) -> int:
        """Remove every vector of these documents; return how many were removed."""

    @abstractmethod
    def search(self, vector: np.ndarray, k: int, only: RowSelection | None = None) -> list[ScoredId]:
        """The k most similar chunks to one query vector, best first; with `only`, the k most similar of those
        rows (searched inside the engine, so k come back whenever the selection holds k)."""

    @abstractmethod
    def similarities(self, vector: np.ndarray, ids: Sequence[str]) -> np.ndarray:
        """Exact scores of the given chunks (aligned with `ids`) to rescore another retriever's candidates;
        KeyError naming the ids the store does not hold."""

    @abstractmethod
    def __len__(self) -> int:
        """Number of chunks held (deleted ones excluded)."""

    def close(self) -> None:
        """Release connections or files; the default holds none."""


def check_batch(ids: Sequence[str], doc_ids: Sequence[str], vectors: np.ndarray, dimension: int) -> np.ndarray:
    """Validate one `add` batch the same way for every engine; return the vectors as contiguous float32."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[1] != dimension:
        raise ValueError(f"expected vectors of shape (n, {dimension}), got {vectors.shape}")
    if not len(ids) == len(doc_ids) == len(vectors):
        raise ValueError(f"ids, doc_ids and vectors differ in length ({len(ids)}, {len(doc_ids)}, {len(vectors)})")
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate chunk ids in one batch")
    if any(not isinstance(i, str) or not i for i in ids) or any(not isinstance(d, str) or not d for d in doc_ids):
        raise ValueError("chunk ids and document ids must be non-empty strings")
    if not np.isfinite(vectors).all():
        raise ValueError("vectors hold NaN or infinite values")
    return vectors
