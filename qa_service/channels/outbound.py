"""Calls to a platform's token and message APIs: JSON over HTTP with a timeout, a bounded response, and an access
token cached until shortly before it expires.

The standard library's client is enough for a few small JSON calls per answer and adds no dependency.
"""
from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from typing import Any, Callable

log = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 1 << 20  # the platforms' replies are a few hundred bytes; a larger one is not read whole
TOKEN_MARGIN_SECONDS = 300  # a token is renewed this long before the expiry the platform gave (7,200 s for all three)


class PlatformError(RuntimeError):
    """A platform API could not be reached or refused a call; the message names the call, never a secret."""


class HttpClient:
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout

    def get_json(self, url: str, headers: dict[str, str] | None = None, *, name: str) -> dict[str, Any]:
        return self._call(urllib.request.Request(url, headers=headers or {}, method="GET"), name)

    def post_json(self, url: str, body: dict[str, Any], headers: dict[str, str] | None = None, *,
                  name: str) -> dict[str, Any]:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(url, data=data, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", **(headers or {})})
        return self._call(request, name)

    def _call(self, request: urllib.request.Request, name: str) -> dict[str, Any]:
        if not request.full_url.startswith(("https://", "http://")):
            raise PlatformError(f"{name}: not an http(s) URL")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - scheme checked
                raw = response.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise PlatformError(f"{name}: HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise PlatformError(f"{name}: {getattr(exc, 'reason', exc)}") from None
        if len(raw) > MAX_RESPONSE_BYTES:
            raise PlatformError(f"{name}: response larger than {MAX_RESPONSE_BYTES} bytes")
        try:
            body = json.loads(raw.decode("utf-8")) if raw.strip() else {}
        except ValueError:
            raise PlatformError(f"{name}: the response is not JSON") from None
        if not isinstance(body, dict):
            raise PlatformError(f"{name}: the response is not a JSON object")
        return body


class AccessToken:
    """One platform token shared by the answering threads: fetched on first need, renewed before it expires or
    when the platform says it is no longer valid (`invalidate`)."""

    def __init__(self, fetch: Callable[[], tuple[str, float]]) -> None:
        self._fetch = fetch  # returns (token, seconds it is valid)
        self._lock = threading.Lock()
        self._token = ""
        self._until = 0.0

    def get(self) -> str:
        with self._lock:
            if not self._token or time.monotonic() >= self._until:
                token, valid_for = self._fetch()
                self._token = token
                self._until = time.monotonic() + valid_for - min(TOKEN_MARGIN_SECONDS, valid_for / 2)
            return self._token

    def invalidate(self, token: str) -> None:
        with self._lock:
            if self._token == token:
                self._token = ""
