"""The write step: a version of the given documents through the index writer (embeddings/index_writer.py), with
the stored copies of uploads it refers to and an external vector store brought to its vectors before the switch.

Order: the lexical side (BM25 over every passage; no model), the term vectors (the model, mostly the embedding
cache), the upload copies, the external vector store (QA_VECTOR_STORE=milvus), then the version's files and
the switch. A lexical write (`lexical=True`: the documents whose vectors are not made yet keep None) writes chunks
and BM25 only, after putting the vectors it already has where the background embedder finds them
(embeddings/pending_vectors.py); the complete version follows from there (ingestion/background.py). A full disk (ENOSPC, EDQUOT, SQLite's "disk is full") leaves nothing behind: the writer removes its
unfinished version, the copies saved for it are removed here, and StorageFull is raised.
"""
from __future__ import annotations

import dataclasses
import logging
import shutil
from pathlib import Path
from typing import Sequence

import numpy as np

from documents.pipeline import DocumentPipeline
from documents.models import Chunk
from embeddings.carried_vectors import carry, discard as discard_carried
from embeddings.index_lock import writer_lock
from embeddings.index_store import IndexStoreError, current_version_dir, read_manifest, read_version
from embeddings.index_writer import IndexWriter
from embeddings.lexical.term_vectors import TermVectors
from embeddings.pending_vectors import PROGRESS_FILE, PendingVectors
from qa_service.document_records import DocumentRecord
from qa_service.ingestion.contents import manifest_records, pending_store, pending_vectors
from qa_service.ingestion.embedding import PassageEmbedder
from qa_service.ingestion.records import EmptyIndex, IndexedDocument
from qa_service.settings import Settings
from qa_service.upload_store import StorageFull, UploadStore, is_storage_full
from qa_service.vector_backends import IndexVectors, VectorBackend, row_document_ids, row_keys

log = logging.getLogger(__name__)


class VersionWriter:
    def __init__(self, settings: Settings, embedder: PassageEmbedder, uploads: UploadStore,
                 vector_backend: VectorBackend) -> None:
        self.settings = settings
        self.spec = settings.index_spec
        self.index = IndexWriter(settings.index_dir, self.spec)
        self.embedder = embedder
        self.uploads = uploads
        self.vector_backend = vector_backend

    def write(self, documents: list[IndexedDocument], lexical: bool = False,
              terms: TermVectors | None = None) -> Path:
        """Write a new version of these documents (under the writer lock, which the caller holds). Documents
        without vectors are embedded now, or with `lexical=True` left to the background embedder (the version is
        then lexical). `terms`: the term vectors when already made (by the background embedder)."""
        pending = pending_store(self.settings.index_dir, self.spec)
        pending_existed = pending.path.exists()
        self._carried_now: list[Path] = []
        try:
            return self._write(documents, lexical, terms)
        except StorageFull:
            self._storage_full(pending, pending_existed)
            raise
        except BaseException as exc:
            self._uncarry()
            if not isinstance(exc, Exception) or not is_storage_full(exc):
                raise
            self._storage_full(pending, pending_existed)
            raise StorageFull(f"the index could not be written: {exc}") from exc

    def _write(self, documents: list[IndexedDocument], lexical: bool, terms: TermVectors | None) -> Path:
        chunks = [c for d in documents for c in d.chunks]
        if not chunks:
            raise EmptyIndex("no text to index: the index would hold no documents")
        missing = [d for d in documents if d.vectors is None]
        if missing and lexical:  # a deletion from a lexical version whose vectors are all made: complete at once
            documents, missing = self._made_vectors(documents, missing)
        lexical = lexical and bool(missing)
        if missing and not lexical:
            documents = self._with_vectors(documents)
        bm25 = self.index.bm25(chunks)
        vectors: np.ndarray | None = None
        if lexical:
            store = pending_store(self.settings.index_dir, self.spec)  # what is known stays known
            carried = self._carry_current()  # the current version's documents: their vectors are kept already
            known = [d for d in documents if d.vectors is not None and (d.record.id, d.record.sha256) not in carried]
            store.put([store.key(self.spec.text_of(c)) for d in known for c in d.chunks],
                      np.vstack([d.vectors for d in known]) if known else np.zeros((0, 0), np.float32))
            if terms is None or list(terms.vocabulary) != sorted(set(bm25.vocabulary)):
                # The current version's term vectors of the words still used, in this version: without them its
                # answers would miss close words until the new ones are made (the background embedder finds
                # them, and the rest, in the pending store or carried: only new words are embedded again).
                terms = self._keep_current_terms(bm25.vocabulary)
        else:
            vectors = np.vstack([d.vectors for d in documents]).astype(np.float32, copy=False)
            if terms is None or list(terms.vocabulary) != sorted(set(bm25.vocabulary)):
                terms = self._current_terms_if_all(bm25.vocabulary) or self.index.term_vectors(
                    bm25, self.embedder.encode_texts)
        for d in documents:
            if d.raw is not None and d.record.source:
                self.uploads.save(d.record.source, d.raw)
        records = [dataclasses.replace(d.record, chunks=len(d.chunks)) for d in documents]
        fingerprint = DocumentPipeline.fingerprint(records)  # type: ignore[arg-type]  (records have name, sha256)
        doc_ids = [d.record.id for d in documents for _ in d.chunks]
        if vectors is not None:  # a lexical version leaves the store as it is: its queries never search it
            self.vector_backend.sync(self.settings.index_dir, self.index_vectors(chunks, doc_ids, vectors, records))
        version = self.index.write(chunks, vectors, bm25, terms, [r.to_dict() for r in records], fingerprint)
        if vectors is not None:  # the version holds every vector: nothing is pending any more
            pending_store(self.settings.index_dir, self.spec).clear()
            discard_carried(self.settings.index_dir)
            (self.settings.index_dir / PROGRESS_FILE).unlink(missing_ok=True)
        removed = self.uploads.collect_garbage()
        if removed:
            log.info("removed %d stored upload(s) no version refers to", removed)
        return version

    def _carry_current(self) -> set[tuple[str, str]]:
        """The (id, sha256) of the current version's documents, whose vectors need not be put into the pending
        store: a lexical version's are there already (or carried), a complete version's are linked for the
        background embedder (embeddings/carried_vectors.py) instead of put now."""
        index_dir = self.settings.index_dir
        try:
            manifest = read_manifest(index_dir)
            current = current_version_dir(index_dir)
        except IndexStoreError:
            return set()
        if manifest is None or current is None or not self.spec.matches(manifest):
            return set()
        if not manifest.pending:
            made = carry(index_dir, current)
            if made is not None:
                self._carried_now.append(made)
        return {(r.id, r.sha256) for r in manifest_records(manifest)}

    def _keep_current_terms(self, vocabulary: Sequence[str]) -> TermVectors | None:
        """The term vectors of the version being replaced, of the words of `vocabulary` (None: it had none)."""
        try:
            current = current_version_dir(self.settings.index_dir)
            terms = TermVectors.load(current) if current is not None else None
        except (IndexStoreError, OSError, ValueError) as exc:
            log.warning("term vectors of the current version not carried over: %s", exc)
            return None
        if terms is None or not len(terms):
            return None
        return terms.subset(vocabulary)

    def _made_vectors(self, documents: list[IndexedDocument], missing: list[IndexedDocument]
                      ) -> tuple[list[IndexedDocument], list[IndexedDocument]]:
        """When every document without vectors is one of the current version's (nothing new to embed), their
        vectors from the pending store where all are made; else as they are (an upload's write does not read the
        store for nothing)."""
        try:
            manifest = read_manifest(self.settings.index_dir)
        except IndexStoreError:
            return documents, missing
        current = {(r.id, r.sha256) for r in manifest_records(manifest)} if manifest is not None else set()
        if any((d.record.id, d.record.sha256) not in current for d in missing):
            return documents, missing
        filled = [d if d.vectors is not None else dataclasses.replace(
            d, vectors=pending_vectors(self.settings.index_dir, self.spec, d.chunks)) for d in documents]
        return filled, [d for d in filled if d.vectors is None]

    def _current_terms_if_all(self, vocabulary: Sequence[str]) -> TermVectors | None:
        """The current version's term vectors when they cover every word of `vocabulary` (a deletion): the words'
        vectors as made, without asking the encoder (or its cache) for 18,000 words again."""
        kept = self._keep_current_terms(vocabulary)
        return kept if kept is not None and len(kept) == len(set(vocabulary)) else None

    def _with_vectors(self, documents: list[IndexedDocument]) -> list[IndexedDocument]:
        """Every document with its vectors: those of a lexical version that are not made yet, embedded now
        (in one call, through the embedding cache)."""
        missing = [d for d in documents if d.vectors is None]
        embedded = iter(self.embedder.embed_documents(missing))
        return [next(embedded) if d.vectors is None else d for d in documents]

    def _uncarry(self) -> None:
        """The carried vectors linked by a write that failed (its version was not written)."""
        for made in self._carried_now:
            shutil.rmtree(made, ignore_errors=True)
            try:
                made.parent.rmdir()  # only when empty: a folder this write made
            except OSError:
                pass

    def _storage_full(self, pending: PendingVectors, pending_existed: bool) -> None:
        self._uncarry()
        if not pending_existed:  # made by this write for its lexical version, which was not written
            pending.clear()
        removed = self.uploads.collect_garbage()
        try:
            self.uploads.root.rmdir()  # only when it is empty: a folder this write created
        except OSError:
            pass
        log.warning("the disk is full: nothing written (%d stored copies removed)", removed)

    def index_vectors(self, chunks: list[Chunk], doc_ids: list[str], vectors: np.ndarray,
                      records: Sequence[DocumentRecord]) -> IndexVectors:
        """A version's dense side as vector backends mirror it."""
        return IndexVectors(row_keys(chunks, doc_ids), doc_ids, vectors, {r.id: r.sha256 for r in records},
                            self.spec.manifest_fields())

    def mirror_current(self, lock_timeout: float | None = None) -> bool:
        """Fill an external vector store that lags behind the current version (QA_VECTOR_STORE switched on an
        existing index, or an ingest stopped between the store and the index); True when it was filled."""
        index_dir = self.settings.index_dir
        manifest = read_manifest(index_dir)
        if manifest is None or manifest.pending or not self.spec.matches(manifest):
            return False  # a lexical version has no vectors to mirror yet
        records = manifest_records(manifest)
        if not self.vector_backend.needs_sync(index_dir, {r.id: r.sha256 for r in records},
                                              self.spec.manifest_fields()):
            return False
        with writer_lock(index_dir, lock_timeout):
            stored = read_version(index_dir)
            records = manifest_records(stored.manifest)
            doc_ids = row_document_ids(stored.manifest, stored.chunks)
            self.vector_backend.sync(index_dir, self.index_vectors(stored.chunks, doc_ids, stored.vectors, records))
        log.info("vector store %s filled from index version %s", self.vector_backend.name, stored.directory.name)
        return True
