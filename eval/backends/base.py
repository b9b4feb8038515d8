"""The interface the runner scores: the service's public endpoints and nothing else."""
from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


class BackendError(Exception):
    """One request failed (4xx/5xx, timeout, malformed body); the run records it and goes on."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}" + (f" (HTTP {status})" if status is not None else ""))
        self.code = code
        self.message = message
        self.status = status


class BackendUnavailable(Exception):
    """The service cannot be reached or started at all; the run stops (exit code 2)."""


@runtime_checkable
class Backend(Protocol):
    """What the runner needs: `/v1/search`, `/v1/ask` and, if the deployment has it, `/v1/info`."""

    name: str

    def search(self, query: str, top_k: int) -> list[dict[str, Any]]:
        """Return the `results` list of `POST /v1/search`, in the service's order."""
        ...

    def ask(self, question: str, top_k: int) -> dict[str, Any]:
        """Return the body of `POST /v1/ask` (`answer`, `answerable`, `citations`)."""
        ...

    def info(self) -> dict[str, Any] | None:
        """Return the service configuration (`GET /v1/info` or the service object), None if unknown."""
        ...


def error_from_body(body: Any, status: int) -> BackendError:
    """Build a BackendError from the contract's `{"error": {"code", "message"}}` body, if present."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        return BackendError(str(err.get("code", "http_error")), str(err.get("message", "")), status)
    return BackendError("http_error", "request failed", status)


def check_search_body(body: Any) -> list[dict[str, Any]]:
    """Return the results list, or raise BackendError if the body does not follow the contract."""
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise BackendError("bad_response", "/v1/search body has no 'results' list")
    return [r if isinstance(r, dict) else {} for r in body["results"]]


def check_ask_body(body: Any) -> dict[str, Any]:
    """Return the ask body, or raise BackendError if it is not a JSON object."""
    if not isinstance(body, dict):
        raise BackendError("bad_response", "/v1/ask body is not a JSON object")
    return body
