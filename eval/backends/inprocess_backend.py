"""Score the local service in process, through the real Flask app's test client.

Going through the app (not calling the service object directly) keeps in-process and HTTP runs
on exactly the same interface. `qa_service` is imported lazily so `eval` loads without it.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eval.backends.base import BackendError, BackendUnavailable, check_ask_body, check_search_body, error_from_body

logger = logging.getLogger(__name__)


class InProcessBackend:
    """Wraps a Flask app (test client) plus a callable giving the service configuration."""

    name = "in-process"

    def __init__(self, app: Any, info_provider: Callable[[], dict[str, Any] | None] | None = None) -> None:
        self.app = app
        self._client = app.test_client()
        self._info_provider = info_provider

    @classmethod
    def from_settings(cls, index_dir: Path | None = None, retriever: str | None = None) -> InProcessBackend:
        """Build the real service and app from the service's composition root, as `qa serve` does; any failure
        becomes BackendUnavailable."""
        try:
            from qa_service.api.app import create_app
            from qa_service.composition import ServiceRoot
            from qa_service.settings import Settings
        except ImportError as exc:
            raise BackendUnavailable(f"the QA service is not available in this installation: {exc}") from exc
        try:
            # Scores the index as it is: a lexical one is not completed in the background halfway through the run;
            # its answers are not users' and are not recorded for feedback (they would push users' out).
            settings = Settings.from_env(index_dir=index_dir, retriever=retriever, background_embedding=False,
                                         feedback_db="off")
            root = ServiceRoot(settings, serving=True).warm_up(strict=True)
            app = create_app(root)
        except Exception as exc:  # noqa: BLE001 - any startup failure is "unusable input" for the CLI
            logger.debug("service startup failed", exc_info=True)
            raise BackendUnavailable(f"cannot start the QA service: {exc}") from exc
        return cls(app, info_provider=root.qa.info)

    def _post(self, path: str, payload: dict[str, Any]) -> Any:
        try:
            response = self._client.post(path, json=payload)
        except Exception as exc:  # noqa: BLE001 - an app that propagates errors must not end the whole run
            logger.debug("in-process request failed", exc_info=True)
            raise BackendError("exception", f"{type(exc).__name__}: {exc}") from exc
        body = response.get_json(silent=True)
        if response.status_code != 200:
            raise error_from_body(body, response.status_code)
        return body

    def search(self, query: str, top_k: int) -> list[dict[str, Any]]:
        return check_search_body(self._post("/v1/search", {"query": query, "top_k": top_k}))

    def ask(self, question: str, top_k: int) -> dict[str, Any]:
        return check_ask_body(self._post("/v1/ask", {"question": question, "top_k": top_k}))

    def info(self) -> dict[str, Any] | None:
        if self._info_provider is None:
            return None
        try:
            info = self._info_provider()
        except Exception as exc:  # noqa: BLE001 - the configuration is informative, not worth failing a run
            logger.warning("service.info() failed: %s", exc)
            return None
        if info is None:
            return None
        # Round-trip so the report only ever holds JSON values (paths etc. become strings).
        return json.loads(json.dumps(info, ensure_ascii=False, default=str))


__all__ = ["InProcessBackend", "BackendError", "BackendUnavailable"]
