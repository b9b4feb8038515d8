"""Exact inner-product search with FAISS (vectors are normalised, so this is cosine).

`load(..., mmap=True)` maps the file instead of reading it into private memory (FAISS's
IO_FLAG_MMAP_IFC, zero-copy for flat, HNSW and IVF-flat indexes): the pages are shared file-backed
memory, so N server workers on one machine hold one copy of the vectors in the page cache, not N.
A mapped store is read-only (FAISS cannot grow a viewed array); index versions are written to new
directories and never rewritten in place, which is what makes mapping them safe.
"""
from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from embeddings.vector_stores.base import VectorStore

FILE_NAME = "vectors.faiss"
_NONE = (np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64))


def read_faiss_index(path: Path, mmap: bool = False) -> "faiss.Index":
    """Read a FAISS file into memory, or map it read-only (shared, file-backed pages) when `mmap`."""
    return faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC if mmap else 0)


class FaissFlatStore(VectorStore):
    def __init__(self, dimension: int, index: "faiss.Index | None" = None, read_only: bool = False) -> None:
        self.dimension = dimension
        self._index = index if index is not None else faiss.IndexFlatIP(dimension)
        self.read_only = read_only  # True when the index's arrays are a view of a mapped file

    def check_writable(self) -> None:
        """Refuse a write to a mapped store with a clear error: FAISS would abort the whole process.
        Subclasses that override `add` call this first."""
        if self.read_only:
            raise ValueError("this vector store is memory-mapped read-only: build a new index version to add vectors")

    def add(self, vectors: np.ndarray) -> None:
        self.check_writable()
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dimension:
            raise ValueError(f"expected vectors of shape (n, {self.dimension}), got {vectors.shape}")
        self._index.add(vectors)

    def search(self, query: np.ndarray, top_k: int, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        if len(self) == 0 or top_k <= 0:
            return _NONE
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        if rows is not None:
            return self.search_rows(q, top_k, rows)
        scores, found = self._index.search(q, min(top_k, len(self)), params=self.parameters(min(top_k, len(self))))
        keep = found[0] >= 0
        return scores[0][keep], found[0][keep]

    def parameters(self, k: int, selector: "faiss.IDSelector | None" = None) -> "faiss.SearchParameters | None":
        """The search parameters of this structure for k results (approximate ones set their breadth here)."""
        return None if selector is None else faiss.SearchParameters(sel=selector)

    def search_rows(self, q: np.ndarray, top_k: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The top_k among `rows` only, searched by FAISS through an id selector (a filter's rows: the top k of
        them, not the top k of all rows less those outside). An approximate structure can come back with fewer
        than the selection holds (HNSW's graph walk rarely meets the few selected nodes): those rows are then
        scored exactly, which is cheap for a selection that small."""
        rows = np.asarray(rows, dtype=np.int64)
        k = min(top_k, int(rows.size))
        if k <= 0:
            return _NONE
        selector = faiss.IDSelectorBatch(rows)  # kept referenced until the search returns
        scores, found = self._index.search(q, k, params=self.parameters(k, selector))
        keep = found[0] >= 0
        if int(keep.sum()) >= k:
            return scores[0][keep], found[0][keep]
        exact = self.similarities(q, rows)
        order = np.lexsort((rows, -exact))[:k]
        return exact[order].astype(np.float32), rows[order]

    def similarities(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size == 0:
            return np.zeros(0, dtype=np.float32)
        vectors = self._index.reconstruct_batch(rows)
        return vectors @ np.asarray(query, dtype=np.float32).reshape(-1)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def save(self, directory: Path) -> list[str]:
        faiss.write_index(self._index, str(directory / FILE_NAME))
        return [FILE_NAME]

    @classmethod
    def load(cls, directory: Path, dimension: int, mmap: bool = False) -> "FaissFlatStore":
        """Open `directory`'s vectors; `mmap` maps them read-only and shared instead of copying them."""
        index = read_faiss_index(directory / FILE_NAME, mmap=mmap)
        if index.d != dimension:
            raise ValueError(f"{FILE_NAME} holds {index.d}-dimensional vectors, the manifest says {dimension}")
        store = cls(dimension, index)
        store.read_only = mmap
        return store
