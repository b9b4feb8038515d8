"""The current version as a writer sees it: its document records and, when they can be carried over into a
version of the settings' index specification, each document's chunks and vectors. The vectors of a lexical
version are those the background embedder has made so far (embeddings/pending_vectors.py); a document not
complete there has None."""
from __future__ import annotations

import logging
from pathlib import Path

from embeddings.index_spec import IndexSpec
import numpy as np

from documents.models import Chunk
from embeddings.index_store import IndexManifest, IndexStoreError, current_version_dir, read_manifest, read_version
from embeddings.pending_vectors import PendingVectors
from qa_service.document_records import DocumentRecord
from qa_service.ingestion.records import IndexContents, IndexedDocument

log = logging.getLogger(__name__)

NOT_REUSABLE = "the index was built with another model or chunking, indexed text or BM25 settings"


def manifest_records(manifest: IndexManifest) -> list[DocumentRecord]:
    return [DocumentRecord.from_dict(d, manifest.created_at) for d in manifest.documents]


def read_contents(index_dir: Path, spec: IndexSpec, with_rows: bool = True,
                  pending_vectors_too: bool = True) -> IndexContents:
    """Records of the current version and, when they can be reused, its documents' chunks and vectors
    (with_rows=False: the records alone, and `documents` [] when they could be reused). Without
    `pending_vectors_too` the documents of a lexical version have no vectors (a lexical write leaves them where
    they are: reading them out of the pending store cost seconds at 10x for nothing)."""
    try:
        manifest = read_manifest(index_dir)
    except IndexStoreError as exc:
        log.warning("the current index version cannot be read (%s); everything will be processed again", exc)
        return IndexContents([], None, None, why_not_reusable=exc.public_reason)
    if manifest is None:
        return IndexContents([], [], None)
    records = manifest_records(manifest)
    version = current_version_dir(index_dir).name  # type: ignore[union-attr]  (a manifest was read)
    if not spec.matches(manifest):
        return IndexContents(records, None, version, why_not_reusable=NOT_REUSABLE)
    if not with_rows:
        return IndexContents(records, [], version, pending=manifest.pending)
    try:
        stored = read_version(index_dir)
    except IndexStoreError as exc:
        log.warning("index version %s cannot be reused (%s); everything will be processed again", version, exc)
        return IndexContents(records, None, version, why_not_reusable=exc.public_reason)
    documents, row = [], 0
    for record in records:
        chunks = stored.chunks[row:row + record.chunks]
        if len(chunks) != record.chunks or any(c.doc != record.name for c in chunks):
            log.warning("index version %s: chunks do not line up with document records; processing all again",
                        version)
            return IndexContents(records, None, version, why_not_reusable="chunks and records disagree")
        vectors = (stored.vectors[row:row + record.chunks] if stored.vectors is not None
                   else pending_vectors(index_dir, spec, chunks) if pending_vectors_too else None)
        documents.append(IndexedDocument(record, chunks, vectors))  # type: ignore[arg-type]  (None: not made yet)
        row += record.chunks
    if row != len(stored.chunks):
        return IndexContents(records, None, version, why_not_reusable="chunks and records disagree")
    return IndexContents(records, documents, version, pending=manifest.pending)


def pending_store(index_dir: Path, spec: IndexSpec) -> PendingVectors:
    return PendingVectors(index_dir, spec.model, spec.embedding_variant)


def pending_vectors(index_dir: Path, spec: IndexSpec, chunks: list[Chunk]) -> np.ndarray | None:
    """The vectors of these passages made so far for a lexical version, row for row; None unless all are made."""
    store = pending_store(index_dir, spec)
    keys = [store.key(spec.text_of(c)) for c in chunks]
    found = store.get(keys)
    if any(k not in found for k in keys):
        return None
    return np.vstack([found[k] for k in keys]).astype(np.float32) if keys else None
