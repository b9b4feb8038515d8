"""Vectors in Milvus (QA_VECTOR_STORE=milvus; pip install '.[milvus]'): Milvus Lite for a local `.db` path,
a Milvus server or cluster for `http://host:19530`.

Ingest mirrors each new version into the collection before switching it on, by document: a document whose
content hash changed or that was removed is deleted from the collection, a new or changed one inserted.
What the collection holds is recorded in `<index>/milvus-sync.json` (URI, collection, the settings that
decide the vectors, document hashes); when that record is missing or names something else (first use,
another model, an ingest interrupted between the two writes) the collection is rebuilt from the version.
A server refuses to serve a version whose chunk count the collection does not match.

Milvus Lite's `.db` is opened by one process at a time: `qa ingest` and `qa serve` on one Lite file cannot
run together (uploads through the server work: they write from the server's own process). Several API
workers or replicas need a Milvus server.
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.index_store import LoadedIndex
from embeddings.vector_stores.keyed_base import KeyedVectorStore
from qa_service.vector_backends.base import IndexVectors, VectorBackend, VectorStoreUnavailable

log = logging.getLogger(__name__)

SYNC_RECORD = "milvus-sync.json"
ADD_BATCH = 4096  # rows per `add` call: each call ends with a flush, which seals one segment


class MilvusBackend(VectorBackend):
    name = "milvus"

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self._store: Any = None

    def _connect(self, dimension: int) -> Any:
        if self._store is not None and self._store.dimension == dimension:
            return self._store
        from embeddings.vector_stores.milvus_store import MilvusVectorStore

        s = self.settings
        try:
            self._store = MilvusVectorStore(s.milvus_uri, dimension, collection=s.milvus_collection,
                                            token=s.milvus_token, db_name=s.milvus_db)
        except ImportError as exc:
            raise VectorStoreUnavailable("QA_VECTOR_STORE=milvus needs pymilvus and milvus-lite: "
                                         "pip install '.[milvus]'") from exc
        except ValueError as exc:  # a collection of another dimension or not made by this service
            raise VectorStoreUnavailable(f"Milvus at {s.milvus_uri}: {exc}") from exc
        except Exception as exc:  # pymilvus raises its own MilvusException and gRPC errors
            raise VectorStoreUnavailable(f"Milvus at {s.milvus_uri} cannot be used ({exc})") from exc
        return self._store

    def _identity(self, settings: dict[str, Any]) -> dict[str, Any]:
        s = self.settings
        return json.loads(json.dumps({"uri": s.milvus_uri, "db": s.milvus_db, "collection": s.milvus_collection,
                                      "settings": settings}, sort_keys=True, ensure_ascii=False))

    # -- queries --------------------------------------------------------------------------------------

    def open(self, index: LoadedIndex, keys: list[str], doc_ids: list[str]) -> KeyedVectorStore:
        store = self._connect(index.manifest.dimension)
        held = len(store)
        if held != index.manifest.chunk_count:
            raise VectorStoreUnavailable(
                f"Milvus collection {self.settings.milvus_collection!r} at {self.settings.milvus_uri} holds {held} "
                f"chunks, index version {index.directory.name} {index.manifest.chunk_count}: run `qa ingest` with "
                f"QA_VECTOR_STORE=milvus to fill it")
        return store

    # -- ingest ---------------------------------------------------------------------------------------

    def _read_record(self, index_dir: Path) -> dict[str, Any] | None:
        try:
            return json.loads((index_dir / SYNC_RECORD).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def _write_record(self, index_dir: Path, record: dict[str, Any]) -> None:
        index_dir.mkdir(parents=True, exist_ok=True)
        tmp = index_dir / f".{SYNC_RECORD}.tmp-{os.getpid()}"
        tmp.write_text(json.dumps(record, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        os.replace(tmp, index_dir / SYNC_RECORD)

    def needs_sync(self, index_dir: Path, documents: dict[str, str], settings: dict[str, Any]) -> bool:
        record = self._read_record(index_dir)
        return record is None or record.get("identity") != self._identity(settings) \
            or record.get("documents") != documents

    def sync(self, index_dir: Path, vectors: IndexVectors) -> None:
        identity = self._identity(vectors.settings)
        record = self._read_record(index_dir)
        store = self._connect(vectors.dimension)
        rebuild = record is None or record.get("identity") != identity
        if not rebuild:
            held: dict[str, str] = record.get("documents", {})  # type: ignore[union-attr]
            changed = {d for d, sha in vectors.documents.items() if held.get(d) != sha}
            stale = changed | (set(held) - set(vectors.documents))
            if stale:
                store.delete_documents(stale)
            rows = np.flatnonzero(np.fromiter((d in changed for d in vectors.doc_ids), dtype=bool,
                                              count=len(vectors.doc_ids)))
            self._add(store, vectors, rows)
            held_after = len(store)  # a count(*) query
            if held_after != len(vectors.keys):
                log.warning("Milvus collection %s holds %d chunks after the update, the index %d: rebuilding it",
                            store.collection, held_after, len(vectors.keys))
                rebuild = True
            else:
                log.info("Milvus collection %s: %d document(s) removed or replaced, %d chunks written",
                         store.collection, len(stale), len(rows))
        if rebuild:
            store.drop()
            self._store = None
            store = self._connect(vectors.dimension)
            self._add(store, vectors, np.arange(len(vectors.keys)))
            log.info("Milvus collection %s rebuilt: %d chunks", store.collection, len(store))
        self._write_record(index_dir, {"identity": identity, "documents": vectors.documents})

    @staticmethod
    def _add(store: Any, vectors: IndexVectors, rows: np.ndarray) -> None:
        for start in range(0, len(rows), ADD_BATCH):
            part = rows[start:start + ADD_BATCH]
            store.add([vectors.keys[i] for i in part], [vectors.doc_ids[i] for i in part], vectors.vectors[part])

    def discard(self) -> None:
        from embeddings.vector_stores.milvus_store import drop_collection

        self.close()
        s = self.settings
        if drop_collection(s.milvus_uri, s.milvus_collection, token=s.milvus_token, db_name=s.milvus_db):
            log.info("Milvus collection %s dropped", s.milvus_collection)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
