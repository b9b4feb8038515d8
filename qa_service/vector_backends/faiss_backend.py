"""The default: FAISS inside the process, over the version's own vectors.faiss (flat or HNSW, mapped or not)."""
from __future__ import annotations

from embeddings.index_store import LoadedIndex
from embeddings.vector_stores.faiss_keyed import FaissKeyedStore
from embeddings.vector_stores.keyed_base import KeyedVectorStore
from qa_service.vector_backends.base import VectorBackend


class FaissBackend(VectorBackend):
    name = "faiss"

    def open(self, index: LoadedIndex, keys: list[str], doc_ids: list[str]) -> KeyedVectorStore:
        return FaissKeyedStore(index.vectors, keys, doc_ids)
