"""Admission control: a rate limit per API key or client address, and a bound on requests in flight.

Rate limiting is a token bucket per caller (QA_RATE_LIMIT requests per minute, bursts up to the same
number); an empty bucket answers 429 with Retry-After. Beyond QA_MAX_IN_FLIGHT concurrent requests the
service answers 503 at once, so a burst cannot pile up work that would time out anyway. Health checks and
the question page's static files are exempt from both: they cost nothing, and one page load fetches about ten
of them, which would otherwise spend a small budget before the first question.
"""
from __future__ import annotations

import hashlib
import math
import threading
import time
from dataclasses import dataclass

from flask import Flask, g, request

from qa_service.api.access import OPEN_PATHS, is_page, presented_key
from qa_service.api.errors import ApiError


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, per_minute: int, max_callers: int = 100_000) -> None:
        self._rate = per_minute / 60.0
        self._capacity = float(per_minute)
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()
        self._max_callers = max_callers

    def acquire(self, caller: str, now: float | None = None) -> float:
        """0 when the request may go ahead, else the seconds until it may."""
        now = time.monotonic() if now is None else now
        with self._lock:
            bucket = self._buckets.get(caller)
            if bucket is None:
                if len(self._buckets) >= self._max_callers:
                    self._buckets.clear()  # bounded memory: forgetting callers only ever lets requests through
                bucket = self._buckets[caller] = _Bucket(self._capacity, now)
            bucket.tokens = min(self._capacity, bucket.tokens + (now - bucket.updated) * self._rate)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self._rate


def _caller() -> str:
    key = presented_key(request)
    if key:
        return "key:" + hashlib.sha256(key.encode()).hexdigest()[:16]
    return "addr:" + (request.remote_addr or "unknown")


def register_admission(app: Flask, rate_per_minute: int, max_in_flight: int) -> None:
    limiter = RateLimiter(rate_per_minute) if rate_per_minute > 0 else None
    slots = threading.BoundedSemaphore(max_in_flight) if max_in_flight > 0 else None

    @app.before_request
    def _admit() -> None:
        if request.path in OPEN_PATHS or is_page(request.path):
            return
        if limiter is not None:
            wait = limiter.acquire(_caller())
            if wait > 0:
                raise ApiError(429, "rate_limited", f"too many requests; retry in {math.ceil(wait)} s",
                               headers={"Retry-After": str(math.ceil(wait))})
        if slots is not None:
            if not slots.acquire(blocking=False):
                raise ApiError(503, "overloaded", "the service is at capacity; retry shortly",
                               headers={"Retry-After": "1"})
            g.admission_slot = slots

    @app.teardown_request
    def _release(_exc: BaseException | None) -> None:
        slot = g.pop("admission_slot", None)
        if slot is not None:
            slot.release()
