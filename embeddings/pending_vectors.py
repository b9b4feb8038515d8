"""Vectors of a lexical version as they are made: a SQLite table in the index directory, and a progress note.

A lexical version (index_store.py, `dense: "pending"`) is served by BM25 while its passages are embedded in the
background; each batch of vectors is committed here as it is made, so a kill loses at most the batch being
encoded and the next start carries on from the rest. Rows are keyed by the model, encoder variant and the text,
not by version: an upload that writes another lexical version in the meantime loses none of them, and the
vectors a complete version already held are put here when a lexical version is written over it.

Nothing here is served: when every row is here, a complete version is written from these vectors (with its
checksums, like any version) and CURRENT switched to it; then the table is emptied. A damaged file is only a
work area: it is discarded and the vectors are made again. A row whose vector is not a unit vector of the
expected size (a damaged page SQLite did not notice) is treated as missing.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import time
from contextlib import closing
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

log = logging.getLogger(__name__)

STORE_FILE = ".pending-vectors.sqlite"
PROGRESS_FILE = ".embedding-progress.json"
_UNIT_TOLERANCE = 1e-2  # stored vectors are L2-normalised; float32 and float16 (term vectors) rounding stay below it


class PendingVectors:
    """The vectors made so far for lexical versions of one index directory, by (model, variant, text)."""

    def __init__(self, index_dir: Path, model: str, variant: str) -> None:
        self.path = index_dir / STORE_FILE
        self._prefix = f"{model}\x00{variant}\x00"

    def key(self, text: str) -> str:
        return hashlib.sha256((self._prefix + text).encode()).hexdigest()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = sqlite3.connect(self.path, timeout=30)
            db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
            return db
        except sqlite3.DatabaseError as exc:
            log.warning("pending vectors %s are unreadable (%s); starting again", self.path, exc)
            self.path.unlink(missing_ok=True)
            db = sqlite3.connect(self.path, timeout=30)
            db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
            return db

    def get(self, keys: Sequence[str], dimension: int | None = None) -> dict[str, np.ndarray]:
        """The stored vectors of these keys (those missing or damaged are absent)."""
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        try:
            with closing(self._connect()) as db:
                for start in range(0, len(unique), 500):
                    part = unique[start:start + 500]
                    rows = db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(part))})",
                                      part).fetchall()
                    for key, blob in rows:
                        vector = np.frombuffer(blob, dtype=np.float32)
                        if _usable(vector, dimension):
                            found[key] = vector
        except sqlite3.DatabaseError as exc:
            log.warning("pending vectors %s cannot be read (%s); they will be made again", self.path, exc)
            self.path.unlink(missing_ok=True)
            return {}
        return found

    def put(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Store these rows in one transaction (committed and synced before this returns)."""
        if not len(keys):
            return
        rows = [(k, np.ascontiguousarray(v, dtype=np.float32).tobytes()) for k, v in zip(keys, vectors)]
        with closing(self._connect()) as db:
            db.execute("PRAGMA synchronous=FULL")
            with db:
                db.executemany("INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)", rows)

    def clear(self) -> None:
        """Forget everything (a complete version holds the vectors now)."""
        self.path.unlink(missing_ok=True)
        for suffix in ("-journal", "-wal", "-shm"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)


def _usable(vector: np.ndarray, dimension: int | None) -> bool:
    if vector.size == 0 or (dimension is not None and vector.size != dimension):
        return False
    norm = float(np.linalg.norm(vector))
    return bool(np.isfinite(norm)) and abs(norm - 1.0) < _UNIT_TOLERANCE


@dataclass(frozen=True)
class EmbeddingProgress:
    """How far the background embedding of a lexical version has come, as any process of the index can read it."""

    version: str  # the lexical version being completed
    embedded: int  # passages with their vector
    total: int  # passages of the version
    phase: str  # "model" (fetching / loading it), "terms" (close words, served first), "passages", "switching"
    started_at: float  # unix time this run began
    seconds_left: float | None  # for the passages, when the note was written (None: not measured yet)
    updated_at: float

    def to_public(self) -> dict[str, object]:
        left = None if self.seconds_left is None else max(self.seconds_left - (time.time() - self.updated_at), 0.0)
        return {"state": "embedding", "phase": self.phase, "embedded": self.embedded, "total": self.total,
                "seconds_left": None if left is None else round(left, 1),
                "updated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.updated_at))}


def write_progress(index_dir: Path, progress: EmbeddingProgress) -> None:
    """Replace the progress note atomically (readers never see half of one)."""
    tmp = index_dir / f"{PROGRESS_FILE}.tmp-{os.getpid()}"
    tmp.write_text(json.dumps(asdict(progress)))
    os.replace(tmp, index_dir / PROGRESS_FILE)


def read_progress(index_dir: Path) -> EmbeddingProgress | None:
    try:
        data = json.loads((index_dir / PROGRESS_FILE).read_text())
        return EmbeddingProgress(**{k: data[k] for k in EmbeddingProgress.__dataclass_fields__})
    except (OSError, ValueError, KeyError, TypeError):
        return None

