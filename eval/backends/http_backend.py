"""Score any running deployment through its HTTP API only (stdlib urllib, no extra dependency)."""
from __future__ import annotations

import json
import logging
import socket
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from eval.backends.base import BackendError, BackendUnavailable, check_ask_body, check_search_body, error_from_body

logger = logging.getLogger(__name__)


class HttpBackend:
    """Talks to `POST /v1/search`, `POST /v1/ask` and (optionally) `GET /v1/info` of a base URL."""

    name = "http"

    def __init__(self, base_url: str, timeout: float = 120.0, kb: str | None = None,
                 api_key: str | None = None) -> None:
        """`kb`: a knowledge base of the deployment; its routes are /v1/kbs/<kb>/... (docs/knowledge-bases.md).
        `api_key`: sent as a bearer key, for a deployment with QA_API_KEYS set (any role reads)."""
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise BackendUnavailable(f"not an http(s) URL: {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._api = f"/v1/kbs/{urllib.parse.quote(kb, safe='')}/" if kb else "/v1/"
        self._api_key = api_key
        self._info: dict[str, Any] | None = None
        self._probed = False
        # A proxy from the environment must not intercept a service on this machine.
        loopback = (parsed.hostname or "") in ("localhost", "::1") or (parsed.hostname or "").startswith("127.")
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({})) if loopback else urllib.request.build_opener()

    def _request(self, method: str, path: str, payload: dict[str, Any] | None = None) -> tuple[int, Any]:
        """Send one request; return (status, decoded JSON or None). Connection failure -> BackendUnavailable."""
        data = None
        headers = {"Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        if payload is not None:
            data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=utf-8"
        if path.startswith("/v1/"):
            path = self._api + path[len("/v1/"):]
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers, method=method)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except TimeoutError as exc:
            raise BackendError("timeout", f"{method} {path} took longer than {self.timeout:g}s") from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, (TimeoutError, socket.timeout)):
                raise BackendError("timeout", f"{method} {path} took longer than {self.timeout:g}s") from exc
            raise BackendUnavailable(f"cannot reach {self.base_url}: {exc.reason}") from exc
        except (ConnectionError, OSError) as exc:
            raise BackendUnavailable(f"cannot reach {self.base_url}: {exc}") from exc
        try:
            body = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = None
        return status, body

    def probe(self) -> None:
        """Fail fast (BackendUnavailable) if nothing answers; remember `/v1/info` if it answers 200."""
        try:
            status, body = self._request("GET", "/v1/info")
        except BackendError as exc:  # a slow /v1/info still proves the server is there
            logger.warning("GET /v1/info failed: %s", exc)
            status, body = 0, None
        self._probed = True
        if status == 200 and isinstance(body, dict):
            self._info = body
        else:
            logger.info("GET /v1/info answered %s: service configuration recorded as null", status)

    def search(self, query: str, top_k: int) -> list[dict[str, Any]]:
        status, body = self._request("POST", "/v1/search", {"query": query, "top_k": top_k})
        if status != 200:
            raise error_from_body(body, status)
        return check_search_body(body)

    def ask(self, question: str, top_k: int) -> dict[str, Any]:
        status, body = self._request("POST", "/v1/ask", {"question": question, "top_k": top_k})
        if status != 200:
            raise error_from_body(body, status)
        return check_ask_body(body)

    def info(self) -> dict[str, Any] | None:
        if not self._probed:
            self.probe()
        return self._info
