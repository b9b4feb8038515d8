"""The embedded FAISS stores behind the keyed interface (chunk ids in, chunk ids out).

Wraps any row-based `VectorStore` (flat, HNSW, IVF, memory-mapped or not) with the chunk id and document
id of each row, which the index's chunk store already lists in row order. FAISS flat and HNSW indexes
cannot remove rows, so deletion marks rows dead: searches skip them (asking FAISS for as many extra
rows as are dead, so k live hits still come back) and the next index version is written without them.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from embeddings.vector_stores.base import VectorStore
from embeddings.vector_stores.faiss_store import FaissFlatStore
from embeddings.vector_stores.keyed_base import KeyedVectorStore, RowSelection, ScoredId, check_batch


class FaissKeyedStore(KeyedVectorStore):
    def __init__(self, store: VectorStore | None = None, ids: Sequence[str] = (), doc_ids: Sequence[str] = (),
                 dimension: int | None = None) -> None:
        """Key an existing store's rows (ids[i], doc_ids[i] name row i), or start an empty flat store."""
        if store is None:
            if dimension is None:
                raise ValueError("give a store or a dimension")
            store = FaissFlatStore(dimension)
        if not len(ids) == len(doc_ids) == len(store):
            raise ValueError(f"{len(store)} rows but {len(ids)} chunk ids and {len(doc_ids)} document ids")
        self._store = store
        self.dimension = store.dimension
        self._ids: list[str] = list(ids)
        self._docs: list[str] = list(doc_ids)
        self._dead = np.zeros(len(self._ids), dtype=bool)
        self._row_of: dict[str, int] = {}
        for row, chunk_id in enumerate(self._ids):
            if chunk_id in self._row_of:
                raise ValueError(f"chunk id {chunk_id!r} names two rows")
            self._row_of[chunk_id] = row

    @property
    def rows(self) -> VectorStore:
        """The wrapped row-based store (dead rows included), for saving an index version."""
        return self._store

    def live_rows(self) -> np.ndarray:
        """Row numbers still in service, in order: what a compacted index version keeps."""
        return np.flatnonzero(~self._dead)

    def add(self, ids: Sequence[str], doc_ids: Sequence[str], vectors: np.ndarray) -> None:
        vectors = check_batch(ids, doc_ids, vectors, self.dimension)
        if len(ids) == 0:
            return
        self._store.add(vectors)  # first: a read-only (mapped) store refuses before any bookkeeping changes
        for chunk_id in ids:
            old = self._row_of.get(chunk_id)
            if old is not None:
                self._dead[old] = True
        first = len(self._ids)
        self._ids.extend(ids)
        self._docs.extend(doc_ids)
        self._dead = np.concatenate([self._dead, np.zeros(len(ids), dtype=bool)])
        self._row_of.update({chunk_id: first + i for i, chunk_id in enumerate(ids)})

    def delete_documents(self, doc_ids: Iterable[str]) -> int:
        wanted = set(doc_ids)
        removed = 0
        for row, doc in enumerate(self._docs):
            if doc in wanted and not self._dead[row]:
                self._dead[row] = True
                del self._row_of[self._ids[row]]
                removed += 1
        return removed

    def search(self, vector: np.ndarray, k: int, only: RowSelection | None = None) -> list[ScoredId]:
        if k <= 0 or len(self) == 0:
            return []
        if only is not None:  # rows of the keys this store was opened with, which keep their row numbers
            selected = only.rows[only.rows < len(self._ids)]
            selected = selected[~self._dead[selected]]
            scores, rows = self._store.search(vector, k, rows=selected)
            return [ScoredId(self._ids[r], float(s)) for s, r in zip(scores, rows)]
        dead = len(self._ids) - len(self._row_of)  # rows replaced or deleted (row_of holds the live ones)
        scores, rows = self._store.search(vector, min(k + dead, len(self._store)))
        hits = [ScoredId(self._ids[r], float(s)) for s, r in zip(scores, rows) if not self._dead[r]]
        return hits[:k]

    def similarities(self, vector: np.ndarray, ids: Sequence[str]) -> np.ndarray:
        missing = [i for i in ids if i not in self._row_of]
        if missing:
            raise KeyError(f"{len(missing)} chunk ids not in the store, e.g. {missing[:3]}")
        rows = np.fromiter((self._row_of[i] for i in ids), dtype=np.int64, count=len(ids))
        return np.asarray(self._store.similarities(vector, rows), dtype=np.float32)

    def __len__(self) -> int:
        return len(self._row_of)
