"""The current version as a writer sees it: its document records and, when they can be carried over into a
version of the settings' index specification, each document's chunks and vectors."""
from __future__ import annotations

import logging
from pathlib import Path

from embeddings.index_spec import IndexSpec
from embeddings.index_store import IndexManifest, IndexStoreError, current_version_dir, read_manifest, read_version
from qa_service.document_records import DocumentRecord
from qa_service.ingestion.records import IndexContents, IndexedDocument

log = logging.getLogger(__name__)

NOT_REUSABLE = "the index was built with another model or chunking, indexed text or BM25 settings"


def manifest_records(manifest: IndexManifest) -> list[DocumentRecord]:
    return [DocumentRecord.from_dict(d, manifest.created_at) for d in manifest.documents]


def read_contents(index_dir: Path, spec: IndexSpec, with_rows: bool = True) -> IndexContents:
    """Records of the current version and, when they can be reused, its documents' chunks and vectors
    (with_rows=False: the records alone, and `documents` [] when they could be reused)."""
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
        return IndexContents(records, [], version)
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
        documents.append(IndexedDocument(record, chunks, stored.vectors[row:row + record.chunks]))
        row += record.chunks
    if row != len(stored.chunks):
        return IndexContents(records, None, version, why_not_reusable="chunks and records disagree")
    return IndexContents(records, documents, version)
