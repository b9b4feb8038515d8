"""Admission control: what one client may cost the service, decided before any work is done.

Before authentication, by client address (clients.py): a throttle on wrong API keys, the per-address rate
limit (QA_RATE_LIMIT_PER_MINUTE), a bound on the address's concurrent requests (QA_MAX_REQUESTS_PER_CLIENT) and
the bound on all requests in flight (QA_MAX_IN_FLIGHT, 503 at once instead of queueing work that would time
out anyway). After authentication, by verified key: the per-key rate limit (QA_KEY_RATE_LIMIT_PER_MINUTE) and
the same concurrency bound per key. No bucket is ever keyed on an unchecked key: a client sending a random
key with each request would otherwise get a fresh budget each time.

Rate limits are token buckets (N requests per minute, bursts up to N); an empty bucket answers 429 with
Retry-After. Every table is bounded: buckets in least-recently-used order up to a maximum (a forgotten bucket
is a full one, which only ever lets a request through), concurrency counts only while requests are in flight.
Health checks, the OpenAPI document and the question page's static files are exempt: they cost nothing, and
one page load fetches about ten of them.
"""
from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from flask import Flask, g, request

from qa_service.api.access import OPEN_PATHS, is_page
from qa_service.api.clients import client_key, peer_address
from qa_service.api.errors import ApiError
from qa_service.settings import Settings

MAX_BUCKETS = 100_000  # per table; about 200 bytes each


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets per caller: `per_minute` requests a minute, bursts up to the same number."""

    def __init__(self, per_minute: int, max_callers: int = MAX_BUCKETS) -> None:
        self._rate = per_minute / 60.0
        self._capacity = float(per_minute)
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()
        self._max_callers = max_callers

    def __len__(self) -> int:
        return len(self._buckets)

    def _bucket(self, caller: str, now: float) -> _Bucket:
        bucket = self._buckets.get(caller)
        if bucket is None:
            while len(self._buckets) >= self._max_callers:
                self._buckets.popitem(last=False)  # the least recently used
            bucket = self._buckets[caller] = _Bucket(self._capacity, now)
        else:
            self._buckets.move_to_end(caller)
        bucket.tokens = min(self._capacity, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        return bucket

    def acquire(self, caller: str, now: float | None = None) -> float:
        """Take a token: 0 when the request may go ahead, else the seconds until it may."""
        now = time.monotonic() if now is None else now
        with self._lock:
            bucket = self._bucket(caller, now)
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self._rate

    def spend(self, caller: str, now: float | None = None) -> None:
        """Take a token if there is one (counting an event, such as a wrong key)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            bucket = self._bucket(caller, now)
            bucket.tokens = max(0.0, bucket.tokens - 1.0)

    def wait(self, caller: str, now: float | None = None) -> float:
        """Seconds until the caller has a token again, without taking one (0: it has one now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if caller not in self._buckets:
                return 0.0
            bucket = self._bucket(caller, now)
            return 0.0 if bucket.tokens >= 1.0 else (1.0 - bucket.tokens) / self._rate


class ConcurrencyLimit:
    """At most `per_caller` requests in flight per caller; a caller's entry lives only while it has some."""

    def __init__(self, per_caller: int) -> None:
        self._per_caller = per_caller
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def enter(self, caller: str) -> bool:
        with self._lock:
            count = self._counts.get(caller, 0)
            if count >= self._per_caller:
                return False
            self._counts[caller] = count + 1
            return True

    def leave(self, caller: str) -> None:
        with self._lock:
            count = self._counts.get(caller, 0) - 1
            if count > 0:
                self._counts[caller] = count
            else:
                self._counts.pop(caller, None)

    def in_flight(self, caller: str) -> int:
        with self._lock:
            return self._counts.get(caller, 0)


def _retry_after(wait: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(wait)))}


class Admission:
    """The limits of one app, as Flask hooks: `before_auth` and `after_auth` around access control."""

    def __init__(self, settings: Settings) -> None:
        self.trusted = settings.trusted_proxy_addresses
        self.by_address = RateLimiter(settings.rate_limit_per_minute) if settings.rate_limit_per_minute > 0 else None
        self.by_key = (RateLimiter(settings.key_rate_limit_per_minute)
                       if settings.key_rate_limit_per_minute > 0 else None)
        self.failures = (RateLimiter(settings.auth_failures_per_minute)
                         if settings.auth_failures_per_minute > 0 else None)
        per_client = settings.max_requests_per_client
        self.address_slots = ConcurrencyLimit(per_client) if per_client > 0 else None
        self.key_slots = ConcurrencyLimit(per_client) if per_client > 0 else None
        self.max_per_client = per_client
        self.slots = threading.BoundedSemaphore(settings.max_in_flight) if settings.max_in_flight > 0 else None

    def record_failure(self, client: str) -> None:
        """A wrong key from this client address (access.py calls this)."""
        if self.failures is not None:
            self.failures.spend(client)

    def before_auth(self) -> None:
        if request.path in OPEN_PATHS or is_page(request.path):
            return
        client = g.client
        if self.failures is not None:
            wait = self.failures.wait(client)
            if wait > 0:
                raise ApiError(429, "auth_throttled", f"too many wrong API keys from this address; retry in "
                                                      f"{math.ceil(wait)} s", headers=_retry_after(wait))
        if self.by_address is not None:
            wait = self.by_address.acquire(client)
            if wait > 0:
                raise ApiError(429, "rate_limited", f"too many requests; retry in {math.ceil(wait)} s",
                               headers=_retry_after(wait))
        if self.address_slots is not None:
            if not self.address_slots.enter(client):
                raise self._busy_client()
            g.address_slot = client
        if self.slots is not None:
            if not self.slots.acquire(blocking=False):
                raise ApiError(503, "overloaded", "the service is at capacity; retry shortly",
                               headers={"Retry-After": "1"})
            g.admission_slot = True

    def after_auth(self) -> None:
        key = g.get("api_key")
        if key is None:
            return
        if self.by_key is not None:
            wait = self.by_key.acquire(key.name)
            if wait > 0:
                raise ApiError(429, "rate_limited", f"too many requests with this API key; retry in "
                                                    f"{math.ceil(wait)} s", headers=_retry_after(wait))
        if self.key_slots is not None:
            if not self.key_slots.enter(key.name):
                raise self._busy_client()
            g.key_slot = key.name

    def _busy_client(self) -> ApiError:
        return ApiError(429, "too_many_concurrent", f"this client already has {self.max_per_client} requests in "
                        "progress (QA_MAX_REQUESTS_PER_CLIENT); retry when one has finished",
                        headers={"Retry-After": "1"})

    def release(self, _exc: BaseException | None) -> None:
        key_slot = g.pop("key_slot", None)
        if key_slot is not None and self.key_slots is not None:
            self.key_slots.leave(key_slot)
        if g.pop("admission_slot", None) and self.slots is not None:
            self.slots.release()
        address_slot = g.pop("address_slot", None)
        if address_slot is not None and self.address_slots is not None:
            self.address_slots.leave(address_slot)


def register_client_identity(app: Flask, settings: Settings) -> None:
    """g.client: the bucket key of the request's client address, for every hook after this one."""
    trusted = settings.trusted_proxy_addresses

    @app.before_request
    def _identify() -> None:
        g.client_address = peer_address(request.environ, trusted)
        g.client = client_key(g.client_address)
