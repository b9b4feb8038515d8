"""Ingest: documents -> chunks -> vectors + BM25 -> a new index version, switched in atomically.

Incremental. A sync of folders (`qa ingest PATH...`) reads and hashes every file, and only files whose
(name, sha256) the current version does not hold are loaded, chunked and embedded; the chunks and
vectors of the others are carried over from the current version. Folder documents no longer under
the given paths are dropped; uploaded documents are never touched by a sync. BM25 is rebuilt over
all passages (its statistics are corpus-wide; the jieba tokens of known passages come from a cache in
the index directory) and a complete new version is written. Nothing is
written when nothing changed. A change of model or chunking settings (or `--rebuild`) processes
everything again, uploads from their stored copies.

Writers hold the index directory's writer lock only while they merge with the current version and
write; loading and embedding happen before, so an upload does not wait for a long ingest's embedding.
An external vector store (QA_VECTOR_STORE=milvus) is brought to the new version's vectors just before
the version is switched on. With QA_INGEST_EMBEDDING=ray the passages not in the embedding cache are
embedded by a pool of encoder actors on Ray; the index written is the same.
"""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from documents import ChunkingConfig, DocumentPipeline, clean
from documents.cleaning.line_keeper import keep_lines
from documents.errors import DocumentError, UnsupportedFileType
from documents.loaders import REGISTRY
from documents.models import Chunk, SourceDocument
from documents.sandbox import DocumentParser, ParseLimits, shared_sandbox
from embeddings.encoders.base import TextEncoder
from embeddings.encoders.cached_encoder import CachedEncoder
from embeddings.index_lock import writer_lock
from embeddings.index_store import (FORMAT_VERSION, IndexManifest, IndexStoreError, current_version_dir,
                                    lexical_manifest, read_manifest, read_version, write_index)
from embeddings.lexical.bm25_index import BM25Index
from embeddings.lexical.chinese_tokenizer import ChineseTokenizer
from embeddings.lexical.term_vectors import TermVectors
from embeddings.lexical.token_cache import CACHE_FILE as TOKEN_CACHE_FILE, TokenCache
from qa_service.document_records import FOLDER, UPLOAD, DocumentRecord, document_id, utc_now
from qa_service.settings import Settings
from qa_service.upload_store import StorageFull, UploadStore, is_storage_full
from qa_service.vector_backends import IndexVectors, VectorBackend, row_document_ids, row_keys
from qa_service.vector_backends import vector_backend as make_vector_backend

log = logging.getLogger(__name__)


def ingest_encoder(settings: Settings) -> TextEncoder:
    """The passage encoder of an ingest: the configured model here, or spread over Ray actors that each build
    the same model (QA_INGEST_EMBEDDING=ray). Imported on first use: a sync with nothing to embed loads no model."""
    from embeddings.encoders.factory import build_encoder

    local = build_encoder(settings.encoder_spec)
    if settings.ingest_embedding != "ray":
        return local
    from functools import partial

    from embeddings.encoders.ray_encoder import RayEncoder

    return RayEncoder(partial(build_encoder, settings.encoder_spec), local, address=settings.ray_address,
                      actors=settings.ray_actors)


def document_parser(settings: Settings) -> DocumentParser:
    """The parsing sandbox of this process for these limits (QA_PARSE_*), shared by uploads and ingests."""
    return shared_sandbox(ParseLimits(memory_mb=settings.parse_memory_mb,
                                      timeout_seconds=settings.parse_timeout_seconds,
                                      workers=settings.parse_workers))


def indexable_text(chunk: Chunk, mode: str = "title-section-text") -> str:
    """What is embedded and BM25-indexed: by default the passage with its document title and heading path.

    Dozens of sections share headings such as 一、核心思路; without the title a passage about
    清华大学 cannot be told from its siblings. The stored passage text itself stays unchanged.
    """
    if mode == "text":
        return chunk.text
    return f"{chunk.title}\n{chunk.section}\n{chunk.text}"


class FileTooLarge(DocumentError):
    """The file is over QA_MAX_UPLOAD_BYTES."""


class EmptyIndex(ValueError):
    """The change would leave no passage to search."""


@dataclass
class IndexedDocument:
    """One document as a version holds it: its record, its chunks and their vectors (row for row)."""

    record: DocumentRecord
    chunks: list[Chunk]
    vectors: np.ndarray  # None only between prepare(embed=False) and embed_documents
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
class _Timer:
    load: float = 0.0
    embed: float = 0.0
    index: float = 0.0
    embedded: int = 0


@dataclass(frozen=True)
class _FoundFile:
    path: Path
    key: str  # resolved path: the folder document's identity


@dataclass
class _Discovery:
    files: list[_FoundFile] = field(default_factory=list)
    failures: list[IngestFailure] = field(default_factory=list)
    failed_roots: list[str] = field(default_factory=list)  # given paths that could not be read at all
    skipped: list[str] = field(default_factory=list)


def discover(paths: Sequence[Path]) -> _Discovery:
    """Supported files under the given files and folders (hidden ones skipped), each once, in a stable order."""
    found = _Discovery()
    seen: set[str] = set()
    for given in paths:
        p = Path(given)
        if p.is_dir():
            candidates: list[Path] = []
            for root, dirs, names in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in names:
                    if name.startswith("."):
                        continue
                    path = Path(root) / name
                    if REGISTRY.supports(name):
                        candidates.append(path)
                    else:
                        found.skipped.append(str(path))
            if not candidates:
                log.warning("%s: folder holds no supported files", p)
            candidates.sort(key=lambda c: c.relative_to(p).parts)
        elif p.is_file():
            if not REGISTRY.supports(p.name):
                try:
                    REGISTRY.loader_for(str(p))
                except UnsupportedFileType as exc:
                    found.failures.append(IngestFailure.of(str(p), exc))
                continue
            candidates = [p]
        else:
            found.failures.append(IngestFailure(str(p), "DocumentError", f"{p}: no such file or directory"))
            found.failed_roots.append(str(p.resolve()))
            continue
        for path in candidates:
            key = str(path.resolve())
            if key not in seen:
                seen.add(key)
                found.files.append(_FoundFile(path, key))
    return found


class IngestionService:
    """Builds and changes index versions; the one writer behind `qa ingest`, uploads and deletions."""

    def __init__(self, settings: Settings, encoder: TextEncoder | None = None,
                 vector_backend: VectorBackend | None = None, parser: DocumentParser | None = None) -> None:
        self.settings = settings
        self._encoder = encoder
        self.parser = parser or document_parser(settings)  # every file's bytes are parsed through it
        self.vector_backend = vector_backend or make_vector_backend(settings)
        self._tokenizer = ChineseTokenizer(mode=settings.bm25_tokenizer, stop_words=settings.bm25_stop_words)
        self._pipeline = DocumentPipeline(ChunkingConfig(chunk_tokens=settings.chunk_tokens,
                                                         overlap_tokens=settings.chunk_overlap_tokens),
                                          cleaner=keep_lines if settings.cleaning == "none" else clean)
        self.uploads = UploadStore(settings.index_dir)

    # -- settings -------------------------------------------------------------------------------------

    def _settings_fields(self) -> dict:
        """Manifest fields that must match for chunks and vectors to be reused."""
        return {
            "model": self.settings.embedding_model,
            "embedding_variant": self.settings.embedding_variant,
            "chunking": {**self._pipeline.config.to_dict(), "indexed_text": self.settings.indexed_text + "-v1",
                         **({"cleaning": "none"} if self.settings.cleaning == "none" else {})},
            "lexical": lexical_manifest(self._tokenizer),
        }

    def _settings_match(self, manifest: IndexManifest) -> bool:
        return manifest.format_version == FORMAT_VERSION and all(
            getattr(manifest, key) == value for key, value in self._settings_fields().items())

    # -- reading the current version ------------------------------------------------------------------

    def current_contents(self, with_rows: bool = True) -> IndexContents:
        """Records of the current version and, when they can be reused, its documents' chunks and vectors."""
        index_dir = self.settings.index_dir
        try:
            manifest = read_manifest(index_dir)
        except IndexStoreError as exc:
            log.warning("the current index version cannot be read (%s); everything will be processed again", exc)
            return IndexContents([], None, None, why_not_reusable=exc.public_reason)
        if manifest is None:
            return IndexContents([], [], None)
        records = [DocumentRecord.from_dict(d, manifest.created_at) for d in manifest.documents]
        version = current_version_dir(index_dir).name  # type: ignore[union-attr]  (a manifest was read)
        if not self._settings_match(manifest):
            return IndexContents(records, None, version, why_not_reusable=(
                "the index was built with another model or chunking, indexed text or BM25 settings"))
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

    # -- processing one document ----------------------------------------------------------------------

    def _embed(self, chunks: list[Chunk], show_progress: bool = False) -> np.ndarray:
        texts = [indexable_text(c, self.settings.indexed_text) for c in chunks]
        return self._encode_texts(texts, show_progress=show_progress)

    def _encode_texts(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        """Passage vectors by the ingest encoder, through the embedding cache when there is one."""
        if self._encoder is None:
            self._encoder = ingest_encoder(self.settings)
        cache_file = self.settings.embedding_cache_file
        if cache_file is not None and not isinstance(self._encoder, CachedEncoder):
            self._encoder = CachedEncoder(self._encoder, cache_file)
        return self._encoder.encode_documents(texts, show_progress=show_progress)

    @property
    def model_calls(self) -> int | None:
        """Passages the model itself embedded so far (cache misses); None without an embedding cache."""
        if isinstance(self._encoder, CachedEncoder):
            return self._encoder.misses
        return 0 if self.settings.embedding_cache_file is not None else None  # wrapped on first use

    def check_size(self, name: str, size: int) -> None:
        limit = self.settings.max_upload_bytes
        if size > limit:
            raise FileTooLarge(f"{name}: file too large ({size:,} bytes; the limit is {limit:,} bytes, "
                               f"QA_MAX_UPLOAD_BYTES)")

    def prepare(self, source: SourceDocument, origin: str, key: str, raw: bytes | None = None,
                stored_as: str | None = None, show_progress: bool = False, timer: _Timer | None = None,
                embed: bool = True) -> IndexedDocument:
        """Clean, chunk and embed one loaded document; raises DocumentError (naming it) when it has no text.
        With embed=False the vectors are left to `embed_documents`, which embeds many documents in one call."""
        timer = timer or _Timer()
        t0 = time.perf_counter()
        _, chunks = self._pipeline.process(source)
        t1 = time.perf_counter()
        vectors = self._embed(chunks, show_progress) if embed else None
        timer.load += t1 - t0
        timer.embed += time.perf_counter() - t1
        timer.embedded += len(chunks)
        now = utc_now()
        doc_id = document_id(origin, key)
        record = DocumentRecord(
            id=doc_id, name=source.name, origin=origin,
            source=stored_as if origin == UPLOAD else key, sha256=source.sha256, format=source.format,
            encoding=source.encoding, pages=len(source.page_starts) or None, chunks=len(chunks),
            size=len(raw) if raw is not None else None, added_at=now, updated_at=now)
        return IndexedDocument(record, chunks, vectors, raw if origin == UPLOAD else None)  # type: ignore[arg-type]  (see vectors)

    def embed_documents(self, documents: list[IndexedDocument], show_progress: bool = False,
                        timer: _Timer | None = None) -> list[IndexedDocument]:
        """The documents with their vectors, embedded in one call: the encoder batches across documents (less
        padding), and a distributed encoder starts its workers once per ingest, not once per file."""
        timer = timer or _Timer()
        t0 = time.perf_counter()
        vectors = self._embed([c for d in documents for c in d.chunks], show_progress)
        timer.embed += time.perf_counter() - t0
        out, row = [], 0
        for d in documents:
            out.append(dataclasses.replace(d, vectors=vectors[row:row + len(d.chunks)]))
            row += len(d.chunks)
        return out

    def upload_path(self, doc_id: str, sha256: str, name: str) -> str:
        return self.uploads.relative_path(doc_id, sha256, name)

    # -- writing ---------------------------------------------------------------------------------------

    def commit(self, change: Callable[[IndexContents], list[IndexedDocument] | None],
               lock_timeout: float | None = None, with_rows: bool = True) -> tuple[Path | None, IndexContents]:
        """Under the writer lock: read the current version, let `change` give the new document list
        (None: nothing to write), write it as a new version. Returns the version written (or None)."""
        with writer_lock(self.settings.index_dir, lock_timeout):
            contents = self.current_contents(with_rows=with_rows)
            documents = change(contents)
            if documents is None:
                return None, contents
            return self._write(documents), contents

    def _write(self, documents: list[IndexedDocument]) -> Path:
        """Write a new version; a full disk (ENOSPC, EDQUOT, SQLite's "disk is full") leaves nothing behind: the
        copies saved for it and any version directory it left without CURRENT naming it are removed, and it
        raises StorageFull."""
        before = {p.name for p in self.settings.index_dir.glob("v-*")}
        try:
            return self._write_version(documents)
        except StorageFull:
            self._remove_unfinished(before)
            raise
        except Exception as exc:
            if not is_storage_full(exc):
                raise
            self._remove_unfinished(before)
            raise StorageFull(f"the index could not be written: {exc}") from exc

    def _remove_unfinished(self, before: set[str]) -> None:
        index_dir = self.settings.index_dir
        current = current_version_dir(index_dir)
        for version in index_dir.glob("v-*"):
            if version.name not in before and (current is None or version.name != current.name):
                shutil.rmtree(version, ignore_errors=True)
        for leftover in index_dir.glob(".CURRENT.tmp-*"):
            leftover.unlink(missing_ok=True)
        removed = self.uploads.collect_garbage()
        try:
            self.uploads.root.rmdir()  # only when it is empty: a folder this write created
        except OSError:
            pass
        log.warning("the disk is full: nothing written (%d stored copies removed)", removed)

    def _write_version(self, documents: list[IndexedDocument]) -> Path:
        chunks = [c for d in documents for c in d.chunks]
        if not chunks:
            raise EmptyIndex("no text to index: the index would hold no documents")
        vectors = np.vstack([d.vectors for d in documents]).astype(np.float32, copy=False)
        texts = [indexable_text(c, self.settings.indexed_text) for c in chunks]
        tokens = TokenCache(self.settings.index_dir / TOKEN_CACHE_FILE, self._tokenizer).tokenize_all(texts)
        bm25 = BM25Index.from_tokens(tokens, self._tokenizer)  # corpus-wide statistics: over every passage
        terms = TermVectors.build(bm25.vocabulary, self._encode_texts)
        for d in documents:
            if d.raw is not None and d.record.source:
                self.uploads.save(d.record.source, d.raw)
        records = [dataclasses.replace(d.record, chunks=len(d.chunks)) for d in documents]
        fingerprint = DocumentPipeline.fingerprint(records)  # type: ignore[arg-type]  (records have name, sha256)
        fields = {**self._settings_fields(), "corpus_fingerprint": fingerprint,
                  "documents": [r.to_dict() for r in records]}
        doc_ids = [d.record.id for d in documents for _ in d.chunks]
        self.vector_backend.sync(self.settings.index_dir, self._index_vectors(chunks, doc_ids, vectors, records))
        version = write_index(self.settings.index_dir, chunks, vectors, bm25, fields, terms=terms)
        removed = self.uploads.collect_garbage()
        if removed:
            log.info("removed %d stored upload(s) no version refers to", removed)
        return version

    # -- syncing folders ------------------------------------------------------------------------------

    def _index_vectors(self, chunks: list[Chunk], doc_ids: list[str], vectors: np.ndarray,
                       records: Sequence[DocumentRecord]) -> IndexVectors:
        """A version's dense side as vector backends mirror it."""
        return IndexVectors(row_keys(chunks, doc_ids), doc_ids, vectors, {r.id: r.sha256 for r in records},
                            self._settings_fields())

    def mirror_current(self, lock_timeout: float | None = None) -> bool:
        """Fill an external vector store that lags behind the current version (QA_VECTOR_STORE switched on an
        existing index, or an ingest stopped between the store and the index); True when it was filled."""
        manifest = read_manifest(self.settings.index_dir)
        if manifest is None or not self._settings_match(manifest):
            return False
        records = [DocumentRecord.from_dict(d, manifest.created_at) for d in manifest.documents]
        if not self.vector_backend.needs_sync(self.settings.index_dir, {r.id: r.sha256 for r in records},
                                              self._settings_fields()):
            return False
        with writer_lock(self.settings.index_dir, lock_timeout):
            stored = read_version(self.settings.index_dir)
            records = [DocumentRecord.from_dict(d, stored.manifest.created_at) for d in stored.manifest.documents]
            doc_ids = row_document_ids(stored.manifest, stored.chunks)
            self.vector_backend.sync(self.settings.index_dir,
                                     self._index_vectors(stored.chunks, doc_ids, stored.vectors, records))
        log.info("vector store %s filled from index version %s", self.vector_backend.name, stored.directory.name)
        return True

    def is_current(self, paths: Sequence[Path]) -> bool:
        """True when the index holds exactly these files' current contents, built with these settings."""
        contents = self.current_contents(with_rows=False)
        if contents.documents is None or contents.version is None:
            return False
        found = discover(paths)
        if found.failures:
            return False
        folder = {r.id: r for r in contents.records if r.origin == FOLDER}
        if len(folder) != len(found.files):
            return False
        for f in found.files:
            record = folder.get(document_id(FOLDER, f.key))
            if record is None or record.sha256 != _sha256_file(f.path):
                return False
        return True

    def run(self, paths: Sequence[Path], show_progress: bool = True) -> IngestReport:
        """Sync (see `sync`); raises when nothing at all could be indexed, as `qa ingest` always did."""
        report = self.sync(paths, show_progress=show_progress)
        if report.failures and not report.documents:
            raise EmptyIndex(report.failures[0].message)
        return report

    def sync(self, paths: Sequence[Path], rebuild: bool = False, show_progress: bool = True,
             lock_timeout: float | None = None) -> IngestReport:
        """Make the folder documents of the index those under `paths`; see the module docstring."""
        run = _SyncRun(self, discover(paths), rebuild, show_progress)
        run.read_files()
        preview = self.current_contents(with_rows=False)
        if not rebuild and run.unchanged_against(preview):
            self.mirror_current(lock_timeout)
            return run.report(None, preview)
        run.prepare_new(preview)  # outside the lock
        version, contents = self.commit(run.change, lock_timeout=lock_timeout)
        return run.report(version, contents)

    def uploads_for(self, contents: IndexContents, can_reuse: bool, failures: list[IngestFailure],
                     timer: _Timer) -> list[IndexedDocument]:
        """Uploaded documents as they are, or processed again from their stored copies."""
        if can_reuse:
            return [d for d in contents.documents or [] if d.record.origin == UPLOAD]
        out = []
        for record in contents.records:
            if record.origin != UPLOAD or not record.source:
                continue
            try:
                raw = self.uploads.read(record.source)
                source = self.parser.parse(record.name, raw)
                doc = self.prepare(source, UPLOAD, record.name, raw, stored_as=record.source, timer=timer)
            except Exception as exc:  # noqa: BLE001 (one stored upload's failure is that document's, never the run's)
                failures.append(IngestFailure(record.name, type(exc).__name__,
                                              f"{record.name}: the stored upload cannot be indexed again: {exc}"))
                continue
            out.append(dataclasses.replace(doc, record=doc.record.renewed(record), raw=None))
        return out


class _SyncRun:
    """One `sync`: the files found, their bytes and hashes, what was processed, and the outcome."""

    def __init__(self, service: IngestionService, found: _Discovery, rebuild: bool, show_progress: bool) -> None:
        self.service = service
        self.found = found
        self.rebuild = rebuild
        self.show_progress = show_progress
        self.timer = _Timer()
        self.model_before = service.model_calls
        self.started = time.perf_counter()
        self.failures: list[IngestFailure] = list(found.failures)
        self.raws: dict[str, tuple[bytes, str]] = {}  # file key -> (bytes, sha256)
        self.prepared: dict[tuple[str, str], IndexedDocument] = {}
        self.bad: dict[str, IngestFailure] = {}  # file key -> why it could not be indexed
        self.changes: _Changes | None = None

    def read_files(self) -> None:
        t0 = time.perf_counter()
        for f in self.found.files:
            try:
                self.service.check_size(str(f.path), f.path.stat().st_size)
                raw = f.path.read_bytes()
            except FileTooLarge as exc:
                self.failures.append(IngestFailure.of(str(f.path), exc))
                continue
            except OSError as exc:
                self.failures.append(IngestFailure(str(f.path), "DocumentError", f"{f.path}: cannot read: {exc}"))
                continue
            self.raws[f.key] = (raw, hashlib.sha256(raw).hexdigest())
        self.timer.load += time.perf_counter() - t0

    def _expected_folder_records(self) -> list[tuple[str, str, str]]:
        return [(document_id(FOLDER, f.key), self.raws[f.key][1], f.key) for f in self.found.files]

    def unchanged_against(self, preview: IndexContents) -> bool:
        """Nothing to do, judged from the manifest alone: every file indexed as it is, nothing else."""
        if preview.documents is None or preview.version is None or self.failures:
            return False
        folder = [(r.id, r.sha256, r.source) for r in preview.records if r.origin == FOLDER]
        uploads_last = all(r.origin == UPLOAD for r in preview.records[len(folder):])
        return uploads_last and folder == self._expected_folder_records()

    def prepared_for(self, f: _FoundFile, embed: bool = True) -> IndexedDocument | None:
        raw, sha = self.raws[f.key]
        if (f.key, sha) not in self.prepared and f.key not in self.bad:
            try:
                t0 = time.perf_counter()
                source = self.service.parser.parse(str(f.path), raw)
                self.timer.load += time.perf_counter() - t0
                self.prepared[(f.key, sha)] = self.service.prepare(
                    source, FOLDER, f.key, raw, show_progress=self.show_progress, timer=self.timer, embed=embed)
            except Exception as exc:  # noqa: BLE001 (any failure with one file is that file's, never the batch's)
                if not isinstance(exc, DocumentError):
                    log.warning("%s: cannot be indexed", f.path, exc_info=True)
                self.bad[f.key] = IngestFailure.of(str(f.path), exc)
        return self.prepared.get((f.key, sha))

    def prepare_new(self, preview: IndexContents) -> None:
        """Load, chunk and embed the files the current version does not hold (all of them for a rebuild)."""
        reusable = preview.documents is not None and not self.rebuild
        known = {(r.name, r.sha256) for r in preview.records} if reusable else set()
        for f in self.found.files:
            if f.key in self.raws and (f.path.name, self.raws[f.key][1]) not in known:
                self.prepared_for(f, embed=False)
        pending = [key for key, doc in self.prepared.items() if doc.vectors is None]
        if pending:
            embedded = self.service.embed_documents([self.prepared[k] for k in pending], self.show_progress,
                                                    self.timer)
            self.prepared.update(zip(pending, embedded))

    def change(self, contents: IndexContents) -> list[IndexedDocument] | None:
        """The new document list, given the current version (called under the writer lock)."""
        can_reuse = contents.documents is not None and not self.rebuild
        current = (contents.documents or []) if can_reuse else []
        carried = {(d.record.name, d.record.sha256): d for d in current}
        by_id = {d.record.id: d for d in current}
        previous = _history(contents.records)
        new: list[IndexedDocument] = []
        for f in self.found.files:
            doc_id = document_id(FOLDER, f.key)
            doc: IndexedDocument | None = None
            if f.key in self.raws:
                raw, sha = self.raws[f.key]
                earlier = previous(doc_id, f.path.name)
                reuse = carried.get((f.path.name, sha))
                if reuse is not None:
                    record = dataclasses.replace(reuse.record, id=doc_id, origin=FOLDER, source=f.key, size=len(raw))
                    doc = IndexedDocument(record.renewed(earlier), reuse.chunks, reuse.vectors)
                elif (fresh := self.prepared_for(f)) is not None:
                    doc = dataclasses.replace(fresh, record=fresh.record.renewed(earlier))
            if doc is None:
                doc = by_id.get(doc_id)  # a file that cannot be indexed now keeps its indexed version
            if doc is not None:
                new.append(doc)
        # Documents under a given path that could not be read at all stay.
        new.extend(d for d in current if d.record.origin == FOLDER and d.record.source
                   and any(_under(d.record.source, root) for root in self.found.failed_roots))
        new.extend(self.service.uploads_for(contents, can_reuse, self.failures, self.timer))
        if not new:
            where = ", ".join(str(f.path) for f in self.found.files) or "the given paths (no supported files)"
            raise EmptyIndex(f"no text to index in {where}")
        self.changes = _Changes.between(contents.records, [d.record for d in new],
                                        rebuilt=not can_reuse and bool(contents.records))
        if can_reuse and [d.record for d in new] == contents.records:
            return None
        return new

    def report(self, version: Path | None, contents: IndexContents) -> IngestReport:
        self.failures.extend(self.bad.values())
        for failure in self.failures:
            log.warning("not indexed: %s", failure.message)
        model_after = self.service.model_calls
        changes = self.changes or _Changes.between(contents.records, contents.records)  # nothing changed
        total = time.perf_counter() - self.started
        return IngestReport(
            index_version=version.name if version is not None else contents.version,
            documents=len(changes.added) + len(changes.updated) + len(changes.unchanged), chunks=changes.chunks,
            load_clean_chunk_seconds=self.timer.load, embed_seconds=self.timer.embed,
            index_seconds=max(total - self.timer.load - self.timer.embed, 0.0),
            added=changes.added, updated=changes.updated, removed=changes.removed, unchanged=changes.unchanged,
            embedded_chunks=self.timer.embedded,
            model_chunks=(None if self.model_before is None or model_after is None
                          else model_after - self.model_before),
            written=version is not None, rebuilt=changes.rebuilt,
            failures=tuple(self.failures), skipped=tuple(self.found.skipped))


def _history(records: list[DocumentRecord]) -> Callable[[str, str], DocumentRecord | None]:
    """The record a new folder document replaces: same id, or (old manifests) a record of the same name."""
    by_id = {r.id: r for r in records}
    legacy = {r.name: r for r in records if r.origin == FOLDER and r.source is None}
    return lambda doc_id, name: by_id.get(doc_id) or legacy.get(name)


@dataclass(frozen=True)
class _Changes:
    """Document names added, updated, unchanged and removed by a write, and the chunk count after it."""

    added: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]
    chunks: int
    rebuilt: bool = False

    @classmethod
    def between(cls, before: list[DocumentRecord], after: list[DocumentRecord], rebuilt: bool = False) -> "_Changes":
        """Records are matched by id (records of old manifests by name)."""
        previous = _history(before)
        matched: set[str] = set()
        out: dict[str, list[str]] = {"added": [], "updated": [], "unchanged": []}
        for record in after:
            old = previous(record.id, record.name) if record.origin == FOLDER else next(
                (r for r in before if r.id == record.id), None)
            if old is None:
                out["added"].append(record.name)
                continue
            matched.add(old.id)
            out["unchanged" if old.sha256 == record.sha256 else "updated"].append(record.name)
        return cls(tuple(out["added"]), tuple(out["updated"]), tuple(out["unchanged"]),
                   tuple(r.name for r in before if r.id not in matched), sum(r.chunks for r in after), rebuilt)


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _sha256_file(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""
