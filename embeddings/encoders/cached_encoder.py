"""An encoder wrapper that remembers passage vectors by model and text hash.

Re-ingesting an unchanged corpus then embeds nothing, and changing one document re-embeds only its
chunks. The cache is a SQLite file (stdlib, safe across processes); a damaged cache is only a cache:
it is discarded and rebuilt rather than failing an ingest.
"""
from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from embeddings.encoders.base import TextEncoder

log = logging.getLogger(__name__)


class CachedEncoder(TextEncoder):
    def __init__(self, inner: TextEncoder, cache_file: Path) -> None:
        self._inner = inner
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        self._path = cache_file
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = self._open()
        except sqlite3.DatabaseError as exc:
            log.warning("embedding cache %s is unreadable (%s); starting a new one", cache_file, exc)
            cache_file.unlink(missing_ok=True)
            self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self._path, check_same_thread=False)
        db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        db.execute("SELECT count(*) FROM vectors").fetchone()
        return db

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.model_id}\x00{self.dimension}\x00{text}".encode()).hexdigest()

    def _found(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                part = keys[start:start + 500]
                rows = self._db.execute(
                    f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(part))})", part).fetchall()
                for key, blob in rows:
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vector.size == self.dimension:
                        found[key] = vector
        return found

    def lookup(self, texts: Sequence[str]) -> dict[int, np.ndarray]:
        """The cached vectors of these texts, by position (the background embedder's first step)."""
        keys = [self._key(t) for t in texts]
        found = self._found(keys)
        return {i: found[k] for i, k in enumerate(keys) if k in found}

    def remember(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Cache vectors made elsewhere (the background embedder encodes batch by batch through the inner encoder)."""
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)",
                                 [(self._key(t), v.tobytes()) for t, v in zip(texts, vectors)])

    def encode_documents(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        keys = [self._key(t) for t in texts]
        found = self._found(keys)
        missing = [i for i, k in enumerate(keys) if k not in found]
        self.hits += len(keys) - len(missing)
        self.misses += len(missing)
        if missing:
            log.info("embedding %d new passages (%d from cache)", len(missing), len(keys) - len(missing))
            # A text repeated in the batch (boilerplate, a repetitive file: 111 passages of 2 distinct texts) is
            # embedded once; the counts above stay per passage. Without repeats the model gets the same batch as ever.
            first: dict[str, int] = {}
            for i in missing:
                first.setdefault(keys[i], i)
            fresh = self._inner.encode_documents([texts[i] for i in first.values()], show_progress=show_progress)
            with self._lock, self._db:
                self._db.executemany("INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)",
                                     [(key, fresh[j].tobytes()) for j, key in enumerate(first)])
            for j, key in enumerate(first):
                found[key] = fresh[j]
        if not keys:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.vstack([found[k] for k in keys]).astype(np.float32, copy=False)

    def encode_query(self, text: str) -> np.ndarray:
        return self._inner.encode_query(text)

    @property
    def inner(self) -> TextEncoder:
        return self._inner
