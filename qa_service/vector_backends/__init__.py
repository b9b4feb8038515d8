"""Vector backends by name (QA_VECTOR_STORE). A new engine: a KeyedVectorStore in embeddings/vector_stores/,
a VectorBackend here, one line in BACKENDS and its name in settings.VECTOR_STORES."""
from __future__ import annotations

from qa_service.settings import Settings
from qa_service.vector_backends.base import (IndexVectors, VectorBackend, VectorStoreUnavailable, row_document_ids,
                                             row_keys)
from qa_service.vector_backends.faiss_backend import FaissBackend
from qa_service.vector_backends.milvus_backend import MilvusBackend

BACKENDS: dict[str, type[VectorBackend]] = {"faiss": FaissBackend, "milvus": MilvusBackend}


def vector_backend(settings: Settings) -> VectorBackend:
    return BACKENDS[settings.vector_store](settings)


__all__ = ["BACKENDS", "IndexVectors", "VectorBackend", "VectorStoreUnavailable", "row_document_ids", "row_keys",
           "vector_backend"]
