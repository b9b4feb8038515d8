"""Answers are worked out and sent after the platform has been acknowledged, on a bounded pool of threads.

Every platform wants its push acknowledged within seconds (WeCom 5 s, Feishu 3 s) and retries otherwise, while
an answer may take up to QA_ASK_DEADLINE_SECONDS with an LLM. So a message is acknowledged at once and its answer
sent through the platform's message API from here. At most `workers` answers run and `queue` wait; a message
finding no room is refused (503) so that the platform delivers it again later, rather than held in memory.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

log = logging.getLogger(__name__)


class AnswerSender:
    def __init__(self, workers: int, queue: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="channel-answer")
        self._room = threading.BoundedSemaphore(workers + queue)
        self._pending = 0
        self._idle = threading.Condition()

    def submit(self, job: Callable[[], None], what: str) -> bool:
        """Run `job` on the pool; False (nothing run) when the pool and its queue are full."""
        if not self._room.acquire(blocking=False):
            log.warning("channel answer refused, every thread and queue place taken: %s", what)
            return False
        with self._idle:
            self._pending += 1
        self._pool.submit(self._run, job, what)
        return True

    def _run(self, job: Callable[[], None], what: str) -> None:
        try:
            job()
        except Exception:  # a failed answer must not take the thread down; the platform got its acknowledgement
            log.exception("channel answer failed: %s", what)
        finally:
            self._room.release()
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Whether every submitted answer has finished within `timeout` seconds (for shutdown and tests)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
