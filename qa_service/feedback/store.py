"""The answers given over HTTP and their ratings, in one SQLite file (QA_FEEDBACK_DB), both bounded.

Every answer is stored under its id when it is sent (one small INSERT, in the same transaction as the pruning
of the oldest beyond QA_FEEDBACK_MAX_ANSWERS), so that a rating only has to name the id: the question, the
answer and its citations are the server's own record, not what a client claims it was shown. A rating copies
what it rates, so it outlives the answer's pruning; ratings are bounded by QA_FEEDBACK_MAX_RATINGS.

Rating an answer again replaces the earlier rating and comment (one row per answer); a changed rating clears a
review (review.py). The file is shared by the workers of one host (WAL; each write is one short transaction).
"""
from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa_service.types import Answer

log = logging.getLogger(__name__)

RATINGS = ("up", "down")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, kb TEXT NOT NULL, index_version TEXT,
    answered_at REAL NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, answerable INTEGER NOT NULL,
    citations TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ratings (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, answer_id TEXT NOT NULL UNIQUE, kb TEXT NOT NULL, index_version TEXT,
    answered_at REAL NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, answerable INTEGER NOT NULL,
    citations TEXT NOT NULL, rating TEXT NOT NULL, comment TEXT NOT NULL, rated_at REAL NOT NULL,
    review TEXT);
CREATE INDEX IF NOT EXISTS ratings_kb ON ratings (kb, seq);
"""
_ANSWER_COLUMNS = "kb, index_version, answered_at, question, answer, answerable, citations"


def new_answer_id(prefix: str = "ans_") -> str:
    """An id no client can guess (128 random bits), so nobody rates an answer that was not given to them."""
    return prefix + secrets.token_urlsafe(16)


@dataclass(frozen=True)
class CitedQuote:
    """What an answer cited: the document, the passage and the sentence it rests on."""

    ref: int
    doc: str
    passage_id: str
    section: str
    quote: str


@dataclass(frozen=True)
class Rating:
    """A rating with the answer it rates, as stored."""

    answer_id: str
    kb: str
    index_version: str | None
    answered_at: float
    question: str
    answer: str
    answerable: bool
    citations: tuple[CitedQuote, ...]
    rating: str
    comment: str
    rated_at: float
    review: dict[str, Any] | None  # what a reviewer settled (review.py); None: not reviewed

    def public(self) -> dict[str, Any]:
        return {"answer_id": self.answer_id, "kb": self.kb, "index_version": self.index_version,
                "answered_at": _iso(self.answered_at), "question": self.question, "answer": self.answer,
                "answerable": self.answerable,
                "citations": [{"ref": c.ref, "doc": c.doc, "passage_id": c.passage_id, "section": c.section,
                               "quote": c.quote} for c in self.citations],
                "rating": self.rating, "comment": self.comment, "rated_at": _iso(self.rated_at),
                "reviewed": self.review is not None}


def _iso(when: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


def _citations(answer: Answer) -> str:
    return json.dumps([{"ref": c.ref, "doc": c.passage.chunk.doc, "passage_id": c.passage.chunk.id,
                        "section": c.passage.chunk.section, "quote": c.quote} for c in answer.citations],
                      ensure_ascii=False)


class FeedbackStore:
    """One connection per process, opened on first use (after a gunicorn fork), behind a lock."""

    def __init__(self, path: Path, max_answers: int, max_ratings: int) -> None:
        self.path = Path(path)
        self.max_answers = max_answers
        self.max_ratings = max_ratings
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(str(self.path), timeout=5.0, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # WAL stays consistent; a power cut may lose the last answers
            db.execute(f"PRAGMA journal_size_limit={16 << 20}")  # the WAL file is cut back after a checkpoint
            db.executescript(_SCHEMA)
            self._db = db
        return self._db

    def record(self, answer_id: str, kb: str, index_version: str | None, question: str, answer: Answer) -> None:
        """Store an answer as it is sent; the oldest beyond the cap go in the same transaction."""
        row = (answer_id, kb, index_version, time.time(), question, answer.answer, int(answer.answerable),
               _citations(answer))
        with self._lock:
            db = self._connection()
            with _transaction(db):
                seq = db.execute(f"INSERT INTO answers (id, {_ANSWER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                 row).lastrowid
                db.execute("DELETE FROM answers WHERE seq <= ?", (seq - self.max_answers,))

    def rate(self, answer_id: str, kb: str, rating: str, comment: str) -> tuple[Rating, bool] | None:
        """Record (or replace) the rating of an answer of knowledge base `kb`: the rating and whether it is new;
        None when there is no such answer in `kb` (never given, given in another knowledge base, or pruned and
        never rated)."""
        now = time.time()
        with self._lock:
            db = self._connection()
            with _transaction(db):
                updated = db.execute(
                    "UPDATE ratings SET review = CASE WHEN rating = ? THEN review END, rating = ?, comment = ?, "
                    "rated_at = ? WHERE answer_id = ? AND kb = ?", (rating, rating, comment, now, answer_id, kb))
                if updated.rowcount == 0:
                    inserted = db.execute(
                        f"INSERT INTO ratings (answer_id, {_ANSWER_COLUMNS}, rating, comment, rated_at) "
                        f"SELECT id, {_ANSWER_COLUMNS}, ?, ?, ? FROM answers WHERE id = ? AND kb = ?",
                        (rating, comment, now, answer_id, kb))
                    if inserted.rowcount == 0:
                        return None
                    db.execute("DELETE FROM ratings WHERE seq <= ?", (inserted.lastrowid - self.max_ratings,))
            return self._get(db, answer_id), updated.rowcount == 0

    def ratings(self, kb: str | None = None, rating: str | None = None, reviewed_only: bool = False,
                limit: int | None = None) -> list[Rating]:
        """Ratings, newest first; `kb` None: of every knowledge base."""
        where, args = ["1"], []
        if kb is not None:
            where.append("kb = ?")
            args.append(kb)
        if rating is not None:
            where.append("rating = ?")
            args.append(rating)
        if reviewed_only:
            where.append("review IS NOT NULL")
        sql = f"SELECT * FROM ratings WHERE {' AND '.join(where)} ORDER BY seq DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._lock:
            return [_rating(r) for r in self._connection().execute(sql, args)]

    def rating_of(self, answer_id: str, kb: str) -> Rating | None:
        with self._lock:
            row = self._connection().execute("SELECT * FROM ratings WHERE answer_id = ? AND kb = ?",
                                             (answer_id, kb)).fetchone()
            return None if row is None else _rating(row)

    def set_review(self, answer_id: str, review: dict[str, Any] | None) -> Rating | None:
        with self._lock:
            db = self._connection()
            db.execute("UPDATE ratings SET review = ? WHERE answer_id = ?",
                       (None if review is None else json.dumps(review, ensure_ascii=False), answer_id))
            return self._get(db, answer_id)

    def count(self, table: str) -> int:
        assert table in ("answers", "ratings")
        with self._lock:
            return self._connection().execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]

    def _get(self, db: sqlite3.Connection, answer_id: str) -> Rating | None:
        row = db.execute("SELECT * FROM ratings WHERE answer_id = ?", (answer_id,)).fetchone()
        return None if row is None else _rating(row)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


class _transaction:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error): the write lock taken at once, so no upgrade deadlock."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind, value, traceback) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")


def _rating(row: tuple) -> Rating:
    (_, answer_id, kb, index_version, answered_at, question, answer, answerable, citations, rating, comment,
     rated_at, review) = row
    return Rating(answer_id, kb, index_version, answered_at, question, answer, bool(answerable),
                  tuple(CitedQuote(**c) for c in json.loads(citations)), rating, comment, rated_at,
                  None if review is None else json.loads(review))

