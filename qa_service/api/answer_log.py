"""The id every HTTP answer carries, and the knowledge base it is recorded under.

Each answer of /v1/ask (plain and streamed), of /v1/chat/completions (its completion id) and so of the web page
is stored under a fresh unguessable id (qa_service/feedback/store.py) as it is sent, so that POST /v1/feedback
can name it. A store that fails (disk full, locked too long) costs the answer nothing: it is sent, its id
logged as unrecorded, and rating it gets 404.
"""
from __future__ import annotations

import logging
import sqlite3

from qa_service.api.kb_context import current_kb
from qa_service.feedback.store import FeedbackStore, new_answer_id
from qa_service.types import Answer

log = logging.getLogger(__name__)


class AnswerLog:
    """`store` None: QA_FEEDBACK_DB=off, answers are not recorded and /v1/ask sends no answer_id."""

    def __init__(self, store: FeedbackStore | None) -> None:
        self.store = store

    def record(self, question: str, answer: Answer, index_version: str | None,
               answer_id: str | None = None) -> str | None:
        """Store the answer under `answer_id` (a new one when None) in the current knowledge base; its id."""
        if self.store is None:
            return None
        answer_id = answer_id or new_answer_id()
        try:
            self.store.record(answer_id, current_kb().name, index_version, question, answer)
        except (sqlite3.Error, OSError) as exc:
            log.warning("answer %s not recorded for feedback: %s", answer_id, exc)
        return answer_id
