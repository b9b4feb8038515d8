"""Which vector store an index of a given size gets, and opening a saved one whatever its kind.

Exact search (FaissFlatStore) up to a row threshold: it is exact and builds instantly. Its cost is one
pass over all vectors (2 KB a row at 512 dimensions) per query, cheap while they fit the CPU cache and
memory-bound after: on the 2-core benchmark machine (docs/performance.md, benchmarks/growth.py) 1 ms at
5,400 rows, 8-24 ms at 10,800, 33 ms at 54,000 and 430 ms at 540,000, against 13 ms to encode the query.
HNSW answered in 1-1.5 ms at those sizes, at recall@10 against exact search 0.98 / 0.97 / 0.79 (the last
on synthetic, densely clustered vectors). Above 20,000 rows exact search would cost more than the rest of
an ask besides the encoder, so HNSW takes over there; the threshold is a parameter of the chooser.
"""
from __future__ import annotations

from pathlib import Path

import faiss

from embeddings.vector_stores.base import VectorStore
from embeddings.vector_stores.faiss_hnsw_store import FaissHNSWStore
from embeddings.vector_stores.faiss_ivf_store import FaissIVFStore
from embeddings.vector_stores.faiss_store import FILE_NAME, FaissFlatStore, read_faiss_index

EXACT_SEARCH_MAX_ROWS = 20_000


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
