"""Chat-completion calls whose total time, retries included, stays within a request's deadline.

The openai SDK applies its timeout to each attempt and then retries: with a 2 s timeout and 2 retries an
endpoint that never answered cost 7.3 s (three attempts and two back-offs). Here the SDK's own retries
are off and this loop retries instead, giving each attempt at most what is left of the deadline (and at
most the configured per-attempt timeout), and never starting an attempt or a back-off it could not
finish. The SDK's timeout bounds each read from the socket, so a reply that arrives in one piece (a
non-streamed completion) cannot outlast the deadline; a stream is checked against it between events by
its reader.
"""
from __future__ import annotations

import logging
import time
from typing import Any

import openai

from qa_service.types import Deadline

log = logging.getLogger(__name__)

MIN_ATTEMPT_SECONDS = 0.5  # an attempt with less time left could not get an answer from any real LLM
FIRST_BACKOFF_SECONDS = 0.5  # the SDK's own back-off: 0.5 s, doubling, at most 8 s
MAX_BACKOFF_SECONDS = 8.0


class OutOfTime(openai.OpenAIError):
    """The deadline left no time for (another) attempt."""


def create_completion(client: openai.OpenAI, deadline: Deadline, timeout: float, max_retries: int,
                      **request: Any) -> Any:
    """client.chat.completions.create(**request) within the deadline: at most max_retries retries of the
    errors the SDK retries (connection errors, timeouts, 408, 409, 429, 5xx), with its back-off or the
    server's Retry-After. `client` must have its own retries off (client.with_options(max_retries=0))."""
    attempt = 0
    while True:
        left = deadline.remaining()
        if left < MIN_ATTEMPT_SECONDS:
            raise OutOfTime(f"the request deadline left {left:.1f} s for the LLM")
        try:
            return client.chat.completions.create(timeout=min(timeout, left), **request)
        except openai.APIError as exc:
            if attempt >= max_retries or not _retryable(exc):
                raise
            pause = _backoff(exc, attempt)
            if deadline.remaining() - pause < MIN_ATTEMPT_SECONDS:
                raise
            log.info("LLM call failed (%s); retry %d of %d in %.1f s", type(exc).__name__, attempt + 1,
                     max_retries, pause)
            time.sleep(pause)
            attempt += 1


def _retryable(exc: openai.APIError) -> bool:
    if isinstance(exc, openai.APIConnectionError):  # timeouts included
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in (408, 409, 429) or exc.status_code >= 500
    return False


def _backoff(exc: openai.APIError, attempt: int) -> float:
    if isinstance(exc, openai.APIStatusError):
        try:
            retry_after = float(exc.response.headers.get("retry-after", ""))
        except ValueError:
            retry_after = 0.0
        if 0.0 < retry_after <= 60.0:
            return retry_after
    return min(FIRST_BACKOFF_SECONDS * 2 ** attempt, MAX_BACKOFF_SECONDS)
