"""Approximate inner-product search with an inverted file (FAISS IndexIVFFlat): rows clustered by k-means,
a query scans only the `nprobe` nearest clusters.

Builds much faster than HNSW (one k-means on a sample, then one assignment per row) at somewhat lower
recall for the same query time (see docs/performance.md). Vectors are kept uncompressed and a direct map
is kept, so `similarities` stays exact.
"""
from __future__ import annotations

import math
from pathlib import Path

import faiss
import numpy as np

from embeddings.vector_stores.faiss_store import FaissFlatStore

DEFAULT_NPROBE = 32
TRAINING_ROWS_PER_LIST = 64  # k-means sample size per cluster (FAISS warns below 39)


def default_nlist(rows: int) -> int:
    """About 4 * sqrt(rows) clusters (the usual rule of thumb), few enough for k-means to see 39 rows each."""
    return max(1, min(int(4 * math.sqrt(max(rows, 1))), rows // 39))


class FaissIVFStore(FaissFlatStore):
    kind = "ivf"

    def __init__(self, dimension: int, index: "faiss.Index | None" = None, nlist: int | None = None,
                 nprobe: int = DEFAULT_NPROBE, seed: int = 1234) -> None:
        if index is not None and not isinstance(index, faiss.IndexIVFFlat):
            raise ValueError(f"expected an IVF index, got {type(index).__name__}")
        super().__init__(dimension, index if index is not None else faiss.IndexFlatIP(dimension))
        self._nlist = nlist
        self._seed = seed
        self.nprobe = nprobe
        if index is None:
            self._index = None  # built at the first add, when the number of rows is known

    def add(self, vectors: np.ndarray) -> None:
        self.check_writable()  # FAISS aborts the process on a write to a mapped IVF index
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dimension:
            raise ValueError(f"expected vectors of shape (n, {self.dimension}), got {vectors.shape}")
        if self._index is None:
            self._index = self._trained(vectors)
        self._index.add(vectors)
        self._index.make_direct_map()  # lets similarities() reconstruct any row

    def _trained(self, vectors: np.ndarray) -> "faiss.IndexIVFFlat":
        nlist = min(self._nlist or default_nlist(len(vectors)), max(1, len(vectors)))
        quantizer = faiss.IndexFlatIP(self.dimension)
        index = faiss.IndexIVFFlat(quantizer, self.dimension, nlist, faiss.METRIC_INNER_PRODUCT)
        index.cp.seed = self._seed
        sample_size = min(len(vectors), nlist * TRAINING_ROWS_PER_LIST)
        sample = vectors[np.random.default_rng(self._seed).choice(len(vectors), sample_size, replace=False)]
        index.train(sample)  # the faiss wrapper keeps `quantizer` alive as long as `index`
        return index

    def parameters(self, k: int, selector: "faiss.IDSelector | None" = None) -> "faiss.SearchParameters":
        return faiss.SearchParametersIVF(nprobe=self.nprobe, sel=selector)

    def __len__(self) -> int:
        return 0 if self._index is None else int(self._index.ntotal)

    def save(self, directory: Path) -> list[str]:
        if self._index is None:
            raise ValueError("an IVF store is trained on its vectors: add them before saving")
        return super().save(directory)
