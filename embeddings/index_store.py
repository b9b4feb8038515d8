"""The on-disk index: chunk store, FAISS vectors, BM25 and a manifest; reading it (writing: index_writer.py).

Layout of an index directory:

    DIR/CURRENT            name of the active version (replaced atomically with os.replace)
    DIR/v-<stamp>/         one complete version: manifest.json, chunks.jsonl, vectors.faiss, bm25/, terms/
                           (bm25/rows.*.npy: each passage's token counts, so the next version cuts only new ones;
                           files a new version shares with the one before, such as unchanged term vectors, are
                           hard links: versions are never changed in place)

A version may also be *lexical* (manifest `dense: "pending"`): manifest.json, chunks.jsonl and bm25/ (and terms/
once they are made), written the same way and checked the same way. It is served by BM25 alone while its vectors are made in the background
(qa_service/ingestion/background.py keeps them in DIR/.pending-vectors.sqlite, embeddings/pending_vectors.py);
once they are all there, a complete version of the same documents is written and CURRENT switched to it.

A version is written in full (and fsynced) under a temporary name before CURRENT is switched to it,
so a crash or Ctrl-C during ingest leaves the previous version in service and untouched. Writers
serialise on `embeddings.index_lock.writer_lock`; readers never lock: they follow CURRENT, and a
server notices a new version by the stat of CURRENT (`pointer_stamp`).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from documents.models import Chunk
from embeddings.chunk_lines import read_chunks
from embeddings.lexical.bm25_index import BM25Index
from embeddings.lexical.term_vectors import TermVectors
from embeddings.vector_stores.base import VectorStore
from embeddings.vector_stores.chooser import load_vector_store
from embeddings.vector_stores.faiss_store import FILE_NAME as VECTORS_FILE

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
DENSE_COMPLETE = "complete"  # the version holds its vectors (and term vectors)
DENSE_PENDING = "pending"  # chunks and BM25 only: served lexically until a complete version replaces it
CURRENT_FILE = "CURRENT"
MANIFEST_FILE = "manifest.json"
CHUNKS_FILE = "chunks.jsonl"


class IndexStoreError(RuntimeError):
    """Base for index problems; messages say what to do (for operators: they name paths)."""

    public_reason = "the index cannot be used"


class IndexNotFound(IndexStoreError):
    public_reason = "no index has been built; build it with `qa ingest`"


class IndexCorrupted(IndexStoreError):
    public_reason = "the index is damaged (a file is missing or fails its checksum); rebuild it with `qa ingest`"


class IndexMismatch(IndexStoreError):
    public_reason = "the index was built with another model or settings; rebuild it with `qa ingest`"


@dataclass(frozen=True)
class IndexManifest:
    model: str
    dimension: int
    chunking: dict[str, Any]
    corpus_fingerprint: str
    documents: list[dict[str, Any]]
    chunk_count: int
    created_at: str
    package_version: str
    lexical: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # relative path -> sha256
    embedding_variant: str = "torch-fp32"  # encoder backend-precision; older indexes were all torch fp32
    vector_index: str = "flat"  # FAISS structure chosen by size (vector_stores/chooser.py): flat or hnsw; none
    format_version: int = FORMAT_VERSION
    dense: str = DENSE_COMPLETE  # DENSE_PENDING: a lexical version, its vectors not made yet

    @property
    def pending(self) -> bool:
        return self.dense == DENSE_PENDING

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "IndexManifest":
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


@dataclass
class StoredVersion:
    """A version's chunks and raw vectors (row i belongs to chunk i), without the search structures."""

    directory: Path
    manifest: IndexManifest
    chunks: list[Chunk]
    vectors: np.ndarray | None  # (len(chunks), dimension) float32; None: a lexical version (no vectors yet)


@dataclass
class LoadedIndex:
    directory: Path  # the version directory that was loaded
    manifest: IndexManifest
    chunks: list[Chunk]
    vectors: VectorStore | None  # flat or HNSW by size; mmap=True maps it read-only; None: a lexical version
    bm25: BM25Index
    terms: TermVectors | None = None  # a vector per BM25 term (None: a version written before them, or lexical)

    @property
    def lexical_only(self) -> bool:
        """A lexical version: BM25 answers alone until its complete version is switched in."""
        return self.vectors is None


# Files this process has hashed, by (device, inode, size, mtime): a file shared by hard links between
# versions is hashed once per process, not at every write and load. Only files last modified SETTLED_SECONDS
# before they were hashed are remembered: file times are coarse (a few ms), and a file changed within that
# window after its hash could keep its mtime; a later change gives it a new one.
_hashed: dict[tuple[int, int, int, int], str] = {}
_HASHED_MAX = 4096
SETTLED_SECONDS = 2.0


def file_sha256(path: Path) -> str:
    before = os.stat(path)
    key = (before.st_dev, before.st_ino, before.st_size, before.st_mtime_ns)
    known = _hashed.get(key)
    if known is not None:
        return known
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    after = os.stat(path)
    settled = time.time_ns() - after.st_mtime_ns > SETTLED_SECONDS * 1e9
    if settled and (after.st_dev, after.st_ino, after.st_size, after.st_mtime_ns) == key:
        if len(_hashed) >= _HASHED_MAX:
            _hashed.clear()
        _hashed[key] = digest.hexdigest()
    return digest.hexdigest()


def current_version_dir(index_dir: Path) -> Path | None:
    pointer = index_dir / CURRENT_FILE
    try:
        name = pointer.read_text().strip()
    except FileNotFoundError:
        return None
    if not name or "/" in name or name.startswith("."):
        raise IndexCorrupted(f"{pointer} is damaged; rebuild with `qa ingest --index {index_dir}`")
    return index_dir / name


def read_manifest(index_dir: Path) -> IndexManifest | None:
    """Manifest of the active version, or None when there is no index yet."""
    version = current_version_dir(index_dir)
    if version is None:
        return None
    try:
        return IndexManifest.from_dict(json.loads((version / MANIFEST_FILE).read_text()))
    except (OSError, ValueError, TypeError) as exc:
        raise IndexCorrupted(f"{version / MANIFEST_FILE} cannot be read ({exc}); rebuild with "
                             f"`qa ingest --index {index_dir}`") from exc


def _verified_version(index_dir: Path, verify_checksums: bool = True) -> tuple[Path, IndexManifest]:
    version = current_version_dir(index_dir)
    if version is None or not version.is_dir():
        raise IndexNotFound(f"no index at {index_dir}; build it with `qa ingest data/corpus --index {index_dir}`")
    manifest = read_manifest(index_dir)
    assert manifest is not None
    if manifest.dense not in (DENSE_COMPLETE, DENSE_PENDING):
        raise IndexMismatch(f"index at {index_dir} has dense state {manifest.dense!r}, which this version does not "
                            f"know; rebuild with `qa ingest --index {index_dir}`")
    if manifest.format_version != FORMAT_VERSION:
        raise IndexMismatch(f"index at {index_dir} has format {manifest.format_version}, this version reads "
                            f"{FORMAT_VERSION}; rebuild with `qa ingest --index {index_dir}`")
    if verify_checksums:
        for name, expected in manifest.files.items():
            path = version / name
            if not path.exists() or file_sha256(path) != expected:
                raise IndexCorrupted(f"{path} is missing or damaged (checksum mismatch); rebuild with "
                                     f"`qa ingest --index {index_dir}`")
    return version, manifest


def _read_chunks(version: Path) -> list[Chunk]:
    return read_chunks(version / CHUNKS_FILE)


def _check_counts(version: Path, index_dir: Path, chunks: int, vectors: int, manifest: IndexManifest) -> None:
    if not chunks == vectors == manifest.chunk_count:
        raise IndexCorrupted(f"index at {version} is inconsistent ({chunks} chunks, {vectors} vectors, "
                             f"manifest says {manifest.chunk_count}); rebuild with `qa ingest --index {index_dir}`")


def load_index(index_dir: Path, verify_checksums: bool = True, mmap: bool = False) -> LoadedIndex:
    """Load the active version; raise IndexNotFound / IndexCorrupted with what to do.

    `mmap` maps vectors.faiss read-only and shared (several server workers hold one copy of it);
    versions are never rewritten in place, which is what makes that safe."""
    version, manifest = _verified_version(index_dir, verify_checksums)
    try:
        chunks = _read_chunks(version)
        vectors = None if manifest.pending else load_vector_store(version, manifest.dimension, mmap=mmap)
        bm25 = BM25Index.load(version, len(chunks))
        terms = TermVectors.load(version)  # a lexical version has them once the background has made them
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise IndexCorrupted(f"index at {version} cannot be loaded ({exc}); rebuild with "
                             f"`qa ingest --index {index_dir}`") from exc
    _check_counts(version, index_dir, len(chunks), len(bm25) if vectors is None else len(vectors), manifest)
    return LoadedIndex(directory=version, manifest=manifest, chunks=chunks, vectors=vectors, bm25=bm25, terms=terms)


def read_version(index_dir: Path) -> StoredVersion:
    """The active version's chunks and vectors (None for a lexical version), checksums verified, to carry
    unchanged documents over."""
    version, manifest = _verified_version(index_dir)
    try:
        chunks = _read_chunks(version)
        vectors = None if manifest.pending else all_vectors(faiss.read_index(str(version / VECTORS_FILE)))
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise IndexCorrupted(f"index at {version} cannot be read ({exc}); rebuild with "
                             f"`qa ingest --rebuild --index {index_dir}`") from exc
    if vectors is None:
        _check_counts(version, index_dir, len(chunks), len(chunks), manifest)
        return StoredVersion(version, manifest, chunks, None)
    _check_counts(version, index_dir, len(chunks), int(vectors.shape[0]), manifest)
    return StoredVersion(version, manifest, chunks, np.asarray(vectors, dtype=np.float32))


def all_vectors(store: "faiss.Index") -> np.ndarray:
    """Every stored vector, row for row (inverted-file indexes need their direct map first)."""
    if store.ntotal == 0:
        return np.zeros((0, store.d), dtype=np.float32)
    try:
        return store.reconstruct_n(0, store.ntotal)
    except RuntimeError:
        ivf = faiss.try_extract_index_ivf(store)
        if ivf is None:
            raise
        ivf.make_direct_map()
        return store.reconstruct_n(0, store.ntotal)


def pointer_stamp(index_dir: Path) -> tuple[int, int, int] | None:
    """Identity of the CURRENT pointer (inode, mtime, size): it changes with every new version. None: no index."""
    try:
        st = os.stat(index_dir / CURRENT_FILE)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def version_dirs(index_dir: Path) -> list[Path]:
    """Every complete version directory present (the current one and those kept for readers)."""
    return sorted(p for p in index_dir.glob("v-*") if p.is_dir())
