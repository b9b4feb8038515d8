"""Writing index versions: the lexical side (BM25, term vectors), the files of a version, the atomic switch.

A version is written in full (and fsynced) under a temporary name, renamed to `v-<stamp>`, and only then is
CURRENT switched to it (os.replace), so a crash, Ctrl-C or a full disk during a write leaves the previous
version in service and untouched; a failed write removes whatever it had made (the staging directory, or a
renamed version CURRENT does not name). Callers hold `embeddings.index_lock.writer_lock`. The layout is
described in index_store.py, which reads it.

The steps are separate so that the lexical side can be built without the model (`bm25`), the model's part
(`term_vectors`) after it, and the version written from both (`write`). Written without vectors, a version is
lexical (manifest `dense: "pending"`, index_store.py): chunks, BM25 and the manifest, switched in the same way.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from documents.models import Chunk
from embeddings.chunk_lines import write_chunks
from embeddings.index_spec import IndexSpec
from embeddings.index_store import (CHUNKS_FILE, CURRENT_FILE, DENSE_COMPLETE, DENSE_PENDING, MANIFEST_FILE,
                                   IndexManifest, IndexStoreError, current_version_dir, file_sha256,
                                   read_manifest)
from embeddings.lexical.bm25_index import DIR_NAME as BM25_DIR, BM25Index, load_rows
from embeddings.lexical.term_rows import FILES as ROW_FILES, TermRows
from embeddings.lexical.term_vectors import TermVectors
from embeddings.lexical.token_cache import CACHE_FILE as TOKEN_CACHE_FILE, TokenCache
from embeddings.vector_stores.chooser import EXACT_SEARCH_MAX_ROWS, choose_vector_store, store_kind

log = logging.getLogger(__name__)
ROWS_KEYS_FILE = ROW_FILES["keys"]

KEEP_PREVIOUS_VERSIONS = 1


class IndexWriter:
    """Writes versions of one index directory for one specification (embeddings/index_spec.py)."""

    def __init__(self, index_dir: Path, spec: IndexSpec) -> None:
        self.index_dir = index_dir
        self.spec = spec
        self._tokenizer = spec.tokenizer

    def texts(self, chunks: Sequence[Chunk]) -> list[str]:
        """What is embedded and BM25-indexed for these passages (the spec's indexed text mode)."""
        return [self.spec.text_of(c) for c in chunks]

    def bm25(self, chunks: Sequence[Chunk]) -> BM25Index:
        """BM25 over every passage of the version (its statistics are corpus-wide). The token counts of passages
        the current version holds are taken from it (term_rows.py), so only new passages are cut; without usable
        rows there, the jieba tokens of passages an earlier version held come from the token cache."""
        texts = self.texts(chunks)
        base = self._base_rows()
        if base is not None:
            return BM25Index.from_rows(base.updated(texts, self._tokenize_new), self._tokenizer)
        tokens = TokenCache(self.index_dir / TOKEN_CACHE_FILE, self._tokenizer).tokenize_all(texts)
        return BM25Index.from_tokens(tokens, self._tokenizer, texts=texts)

    def _tokenize_new(self, texts: list[str]) -> list[list[str]]:
        """Tokens of passages the current version does not hold (the cache is not pruned: it is the full builds')."""
        if not texts:
            return []
        return TokenCache(self.index_dir / TOKEN_CACHE_FILE, self._tokenizer).tokenize_all(texts, prune=False)

    def _base_rows(self) -> TermRows | None:
        """The current version's token rows when it was cut by this tokenizer and its files pass their checksums
        (rows of a damaged version are never carried into a new one); None otherwise."""
        try:
            version = current_version_dir(self.index_dir)
            manifest = read_manifest(self.index_dir)
            if version is None or manifest is None or dict(manifest.lexical) != dict(self.spec.lexical):
                return None
            names = [n for n in manifest.files if n.startswith(f"{BM25_DIR}/")]
            if not any(n.endswith(ROWS_KEYS_FILE) for n in names):
                return None
            for name in names:
                if file_sha256(version / name) != manifest.files[name]:
                    log.warning("%s fails its checksum: BM25 is counted again from all passages", version / name)
                    return None
            return load_rows(version)
        except (IndexStoreError, OSError, ValueError) as exc:
            log.warning("token rows of the current version not used (%s): BM25 is counted again", exc)
            return None

    @staticmethod
    def term_vectors(bm25: BM25Index, encode: Callable[[list[str]], np.ndarray]) -> TermVectors:
        """A vector per BM25 term by the passage encoder (embeddings/lexical/term_vectors.py)."""
        return TermVectors.build(bm25.vocabulary, encode)

    def write(self, chunks: list[Chunk], vectors: np.ndarray | None, bm25: BM25Index, terms: TermVectors | None,
              documents: list[dict[str, Any]], corpus_fingerprint: str) -> Path:
        """Write a version of this specification and switch CURRENT to it; the version directory. Without
        `vectors` the version is lexical (its vectors follow in a later, complete version)."""
        fields = {**self.spec.manifest_fields(), "corpus_fingerprint": corpus_fingerprint, "documents": documents}
        return write_index(self.index_dir, chunks, vectors, bm25, fields, terms=terms)


def package_version() -> str:
    try:
        from importlib.metadata import version
        return version("qa-service")
    except Exception:  # not installed (running from a source tree)
        return "0+unknown"


def write_index(index_dir: Path, chunks: list[Chunk], vectors: np.ndarray | None, bm25: BM25Index,
                manifest_fields: dict[str, Any], exact_max_rows: int = EXACT_SEARCH_MAX_ROWS,
                terms: TermVectors | None = None) -> Path:
    """Write a new version and switch CURRENT to it; return the version directory.

    The vectors go into exact search up to `exact_max_rows` rows and an HNSW graph above
    (vector_stores/chooser.py has the measurements); the manifest records which. `vectors=None` writes a
    lexical version (chunks, BM25, manifest `dense: "pending"`)."""
    if (vectors is not None and len(chunks) != vectors.shape[0]) or len(chunks) != len(bm25):
        raise ValueError("chunks, vectors and BM25 rows must line up")
    index_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(index_dir)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    staging = index_dir / f".tmp-v-{stamp}"
    final = index_dir / f"v-{stamp}"
    pointer_tmp = index_dir / f".{CURRENT_FILE}.tmp-{os.getpid()}"
    staging.mkdir()
    try:
        _write_version_files(staging, chunks, vectors, bm25, manifest_fields, exact_max_rows, terms)
        _fsync_tree(staging)
        os.replace(staging, final)
        with open(pointer_tmp, "w") as fh:
            fh.write(final.name + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(pointer_tmp, index_dir / CURRENT_FILE)
        _fsync_dir(index_dir)
    except BaseException:
        _remove_unfinished(index_dir, staging, final, pointer_tmp)
        raise
    _prune_old_versions(index_dir, keep=final.name)
    log.info("index version %s written (%d chunks)", final.name, len(chunks))
    return final


def _write_version_files(directory: Path, chunks: list[Chunk], vectors: np.ndarray | None, bm25: BM25Index,
                         manifest_fields: dict[str, Any], exact_max_rows: int, terms: TermVectors | None) -> None:
    write_chunks(directory / CHUNKS_FILE, chunks)
    if vectors is None:  # lexical: no vectors; the term vectors when they are made (both are the model's)
        written = [CHUNKS_FILE, *bm25.save(directory), *(terms.save(directory) if terms is not None else [])]
        dense = {"dimension": 0, "vector_index": "none", "dense": DENSE_PENDING}
    else:
        store = choose_vector_store(len(chunks), int(vectors.shape[1]), exact_max_rows)
        store.add(vectors)
        written = [CHUNKS_FILE, *store.save(directory), *bm25.save(directory),
                   *(terms.save(directory) if terms is not None else [])]
        dense = {"dimension": int(vectors.shape[1]), "vector_index": store_kind(store), "dense": DENSE_COMPLETE}
    manifest = IndexManifest(
        chunk_count=len(chunks),
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        package_version=package_version(),
        files={name: file_sha256(directory / name) for name in written},
        **dense, **manifest_fields,
    )
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest.to_dict(), ensure_ascii=False, indent=2))


def _remove_unfinished(index_dir: Path, staging: Path, final: Path, pointer_tmp: Path) -> None:
    """After a failed write: its staging directory, its renamed version unless CURRENT already names it (the
    switch happened; only the final fsync failed), and its pointer file."""
    shutil.rmtree(staging, ignore_errors=True)
    try:
        current = current_version_dir(index_dir)
    except Exception:  # noqa: BLE001 (a damaged CURRENT: the version is not in service either way)
        current = None
    if final.exists() and (current is None or current.name != final.name):
        shutil.rmtree(final, ignore_errors=True)
    pointer_tmp.unlink(missing_ok=True)


def _fsync_tree(root: Path) -> None:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())
    for directory in [root, *[p for p in root.rglob("*") if p.is_dir()]]:
        _fsync_dir(directory)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_stale_temporaries(index_dir: Path) -> None:
    for path in index_dir.glob(".tmp-v-*"):
        shutil.rmtree(path, ignore_errors=True)
    for path in index_dir.glob(f".{CURRENT_FILE}.tmp-*"):
        path.unlink(missing_ok=True)


def _prune_old_versions(index_dir: Path, keep: str) -> None:
    """Keep the new version and the one before it (a server may still be reading it)."""
    versions = sorted((p for p in index_dir.glob("v-*") if p.is_dir() and p.name != keep),
                      key=lambda p: p.stat().st_mtime, reverse=True)
    for old in versions[KEEP_PREVIOUS_VERSIONS:]:
        shutil.rmtree(old, ignore_errors=True)
