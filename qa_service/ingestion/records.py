"""The data that flows through an ingest: indexed documents, the current version as a writer sees it, failures
and the report."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from documents.errors import DocumentError
from documents.models import Chunk
from qa_service.document_records import DocumentRecord


class FileTooLarge(DocumentError):
    """The file is over QA_MAX_UPLOAD_BYTES."""


class EmptyIndex(ValueError):
    """The change would leave no passage to search."""


@dataclass
class IndexedDocument:
    """One document as a version holds it: its record, its chunks and their vectors (row for row)."""

    record: DocumentRecord
    chunks: list[Chunk]
    vectors: np.ndarray  # None between prepare(embed=False) and embed_documents, or not made yet (lexical version)
    raw: bytes | None = None  # an upload's bytes, stored beside the index when the version is written


@dataclass(frozen=True)
class IngestFailure:
    """A file that was not indexed, and why (the message names the file)."""

    path: str
    kind: str  # the error class: CorruptDocument, UndecodableFile, FileTooLarge ...
    message: str

    @classmethod
    def of(cls, path: str, exc: Exception) -> "IngestFailure":
        if isinstance(exc, DocumentError):
            return cls(path, type(exc).__name__, str(exc))
        return cls(path, type(exc).__name__, f"{path}: cannot be indexed ({type(exc).__name__}: {exc})")


@dataclass
class IndexContents:
    """The current version as a writer sees it under the lock."""

    records: list[DocumentRecord]
    documents: list[IndexedDocument] | None  # None: chunks and vectors cannot be carried over
    version: str | None  # None: there is no index yet
    why_not_reusable: str = ""
    pending: bool = False  # a lexical version: its vectors are being made (documents without them have None)


@dataclass(frozen=True)
class IngestReport:
    index_version: str | None  # the version written, or the current one when nothing changed
    documents: int
    chunks: int
    load_clean_chunk_seconds: float
    embed_seconds: float
    index_seconds: float
    added: tuple[str, ...] = ()  # document names
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    embedded_chunks: int = 0  # chunks whose vectors were computed this run (model or embedding cache)
    model_chunks: int | None = None  # of those, computed by the model (None: no embedding cache to tell)
    written: bool = True  # False: nothing changed, no version written
    rebuilt: bool = False  # every document processed again (settings changed, --rebuild, damaged index)
    failures: tuple[IngestFailure, ...] = ()
    skipped: tuple[str, ...] = ()  # files of unsupported types inside folders

    @property
    def total_seconds(self) -> float:
        return self.load_clean_chunk_seconds + self.embed_seconds + self.index_seconds


@dataclass
class StepTimes:
    """Seconds spent loading+cleaning+chunking and embedding, and the chunks embedded, over one run."""

    load: float = 0.0
    embed: float = 0.0
    index: float = 0.0
    embedded: int = 0
