"""Which vector store an index of a given size gets, and opening a saved one whatever its kind.

Exact search (FaissFlatStore) below a row threshold: it is exact, builds instantly, and is cheap at
this corpus's scale. Above the threshold, HNSW: query time grows far more slowly with the row count,
at a recall@10 against exact search measured in docs/performance.md. The threshold comes from those
measurements (benchmarks/growth.py) and can be overridden per call (a setting, in the index writer).
"""
from __future__ import annotations

from pathlib import Path

import faiss

from embeddings.vector_stores.base import VectorStore
from embeddings.vector_stores.faiss_hnsw_store import FaissHNSWStore
from embeddings.vector_stores.faiss_ivf_store import FaissIVFStore
from embeddings.vector_stores.faiss_store import FILE_NAME, FaissFlatStore, read_faiss_index

EXACT_SEARCH_MAX_ROWS = 200_000


def choose_vector_store(rows: int, dimension: int, exact_max_rows: int = EXACT_SEARCH_MAX_ROWS) -> VectorStore:
    """An empty store suited to `rows` vectors: exact up to exact_max_rows, HNSW above."""
    if rows <= exact_max_rows:
        return FaissFlatStore(dimension)
    return FaissHNSWStore(dimension)


def store_kind(store: VectorStore) -> str:
    """"flat", "hnsw" or "ivf" (for manifests and benchmark reports)."""
    return getattr(store, "kind", "flat")


def load_vector_store(directory: Path, dimension: int, mmap: bool = False) -> VectorStore:
    """Open the vector file in `directory` with the store class matching the FAISS index inside
    (`mmap`: mapped read-only and shared, see faiss_store)."""
    index = read_faiss_index(directory / FILE_NAME, mmap=mmap)
    if index.d != dimension:
        raise ValueError(f"{FILE_NAME} holds {index.d}-dimensional vectors, the manifest says {dimension}")
    store: FaissFlatStore
    if isinstance(index, faiss.IndexHNSWFlat):
        store = FaissHNSWStore(dimension, index)
    elif isinstance(index, faiss.IndexIVFFlat):
        store = FaissIVFStore(dimension, index)
    elif isinstance(index, faiss.IndexFlat) and index.metric_type == faiss.METRIC_INNER_PRODUCT:
        store = FaissFlatStore(dimension, index)
    else:
        raise ValueError(f"{FILE_NAME} holds an unsupported FAISS index ({type(index).__name__})")
    store.read_only = mmap
    return store
