"""Where the dense vectors are searched (QA_VECTOR_STORE), behind one small interface.

The index directory stays the record of every version (chunk store, BM25, vectors.faiss); a backend
says which `KeyedVectorStore` queries search for a loaded version and, for an engine outside the
process, mirrors a version's vectors into it before the version is switched on. Rows are addressed by
keys that stay the same across versions: the document id and the chunk id (`row_keys`).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from documents.models import Chunk
from embeddings.index_store import IndexManifest, IndexStoreError, LoadedIndex
from embeddings.vector_stores.keyed_base import KeyedVectorStore
from qa_service.document_records import DocumentRecord
from qa_service.settings import Settings


class VectorStoreUnavailable(IndexStoreError):
    public_reason = "the vector store cannot be reached or does not hold the current index; run `qa ingest`"


def row_keys(chunks: Sequence[Chunk], doc_ids: Sequence[str]) -> list[str]:
    """The key of each row: `<document id>-<chunk id>`. Chunk ids are unique within a document (they hash its
    name, offset and text); two documents of the same name (an upload and a folder file) may share them."""
    if len(chunks) != len(doc_ids):
        raise ValueError(f"{len(chunks)} chunks but {len(doc_ids)} document ids")
    return [f"{doc}-{chunk.id}" for chunk, doc in zip(chunks, doc_ids)]


def row_document_ids(manifest: IndexManifest, chunks: Sequence[Chunk]) -> list[str]:
    """The document id of each row of a version, from its manifest's records (in row order); indexes too old
    to count chunks per record fall back to the document names."""
    out: list[str] = []
    for data in manifest.documents:
        record = DocumentRecord.from_dict(data, manifest.created_at)
        out.extend([record.id] * record.chunks)
    return out if len(out) == len(chunks) else [c.doc for c in chunks]


@dataclass(frozen=True)
class IndexVectors:
    """A version's dense side, row for row, as a backend mirrors it."""

    keys: list[str]
    doc_ids: list[str]
    vectors: np.ndarray  # (rows, dimension) float32
    documents: dict[str, str]  # document id -> sha256 of its content
    settings: dict[str, Any]  # the manifest fields that decide the vectors (model, variant, chunking ...)

    @property
    def dimension(self) -> int:
        return int(self.vectors.shape[1])


class VectorBackend(ABC):
    name: str

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @abstractmethod
    def open(self, index: LoadedIndex, keys: list[str], doc_ids: list[str]) -> KeyedVectorStore:
        """The store that queries of this loaded version search (raise VectorStoreUnavailable if it can't)."""

    def needs_sync(self, index_dir: Path, documents: dict[str, str], settings: dict[str, Any]) -> bool:
        """True when the engine does not hold this version's vectors yet (embedded stores always do)."""
        return False

    def sync(self, index_dir: Path, vectors: IndexVectors) -> None:
        """Make the engine hold exactly `vectors`, before the version that holds them is switched on.
        Embedded stores need nothing: the version's own vectors.faiss is their store."""

    def discard(self) -> None:
        """Remove what the engine holds for this backend's index (its knowledge base is deleted). Embedded
        stores hold nothing outside the index directory, which is deleted with the knowledge base."""

    def close(self) -> None:
        """Release connections."""
