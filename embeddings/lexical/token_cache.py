"""BM25 tokens of indexed passages, remembered by tokenizer and text, so a new index version cuts only new text.

BM25 statistics are corpus-wide, so every version rebuilds the index over all passages; cutting the
text with jieba is what costs (about 15 s for the 5,400 passages of the bundled corpus in one process),
and it depends only on the text and the tokenizer's settings. The cache is a SQLite file in the index
directory, written by the writer that holds the writer lock; like the embedding cache it is only a
cache: a damaged file is discarded and rebuilt.
"""
from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from pathlib import Path
from typing import Sequence

from embeddings.lexical.chinese_tokenizer import ChineseTokenizer
from embeddings.lexical.parallel_cut import cut_many

log = logging.getLogger(__name__)

CACHE_FILE = "tokens.sqlite"


class TokenCache:
    def __init__(self, path: Path, tokenizer: ChineseTokenizer) -> None:
        self.path = path
        self.tokenizer = tokenizer
        self._salt = json.dumps(tokenizer.to_dict(), sort_keys=True)
        self.hits = 0
        self.misses = 0

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self._salt}\x00{text}".encode("utf-8")).hexdigest()

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = sqlite3.connect(self.path)
            db.execute("CREATE TABLE IF NOT EXISTS tokens (key TEXT PRIMARY KEY, tokens TEXT NOT NULL)")
            db.execute("SELECT count(*) FROM tokens").fetchone()
            return db
        except sqlite3.DatabaseError as exc:
            log.warning("token cache %s is unreadable (%s); starting a new one", self.path, exc)
            self.path.unlink(missing_ok=True)
            db = sqlite3.connect(self.path)
            db.execute("CREATE TABLE IF NOT EXISTS tokens (key TEXT PRIMARY KEY, tokens TEXT NOT NULL)")
            return db

    def tokenize_all(self, texts: Sequence[str], prune: bool = True) -> list[list[str]]:
        """Tokens of every text, cut by the tokenizer only where the cache does not hold them; then (`prune`) the
        cache is pruned to these texts (what the new version holds)."""
        keys = [self._key(t) for t in texts]
        db = self._open()
        try:
            found: dict[str, list[str]] = {}
            for start in range(0, len(keys), 500):
                part = keys[start:start + 500]
                rows = db.execute(f"SELECT key, tokens FROM tokens WHERE key IN ({','.join('?' * len(part))})",
                                  part).fetchall()
                found.update((key, json.loads(value)) for key, value in rows)
            missing = {k: t for k, t in zip(keys, texts) if k not in found}
            self.hits += len(keys) - len(missing)
            self.misses += len(missing)
            fresh = dict(zip(missing, cut_many(self.tokenizer, list(missing.values()))))
            found.update(fresh)
            with db:
                db.executemany("INSERT OR REPLACE INTO tokens (key, tokens) VALUES (?, ?)",
                               [(k, json.dumps(v, ensure_ascii=False)) for k, v in fresh.items()])
                if prune:
                    db.execute("CREATE TEMP TABLE keep (key TEXT PRIMARY KEY)")
                    db.executemany("INSERT OR IGNORE INTO keep (key) VALUES (?)", [(k,) for k in keys])
                    db.execute("DELETE FROM tokens WHERE key NOT IN (SELECT key FROM keep)")
            return [list(found[k]) for k in keys]
        finally:
            db.close()
