"""For the web page tests: headless Chromium through Playwright, and a scripted stand-in service.

The stand-in serves the real page and plays back /v1/ask answers step by step (slow pieces, a hang, an
error status), which a real index cannot produce on demand, and implements the document endpoints
(GET/POST /v1/documents, DELETE /v1/documents/<id>) the way the page expects them.
"""
from __future__ import annotations

import json
import threading
import time
from collections import deque
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from flask import Flask, Response, jsonify, request

from qa_service.api.web_page import register_web_page
from qa_service.settings import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "var" / "test-artifacts"
HOW_TO_ENABLE = "enable them with `apt-get install chromium` and `pip install playwright` (or `pip install -e '.[test]'`)"


@contextmanager
def chromium() -> Iterator:
    """A headless Debian Chromium driven by Playwright; skips the test when either is missing."""
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need {CHROMIUM}: {HOW_TO_ENABLE}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip(f"browser tests need the playwright package: {HOW_TO_ENABLE}")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM))
        try:
            yield browser
        finally:
            browser.close()


class ScriptedService:
    """The page plus stand-in endpoints; each POST /v1/ask takes the next scripted step.

    Steps: ("stream", pieces, seconds between pieces, final answer), ("status", code, headers, error code,
    message), ("hang", seconds) which answers nothing until released or timed out.
    """

    def __init__(self, uploads: bool = True) -> None:
        self.steps: deque[tuple] = deque()
        self.release = threading.Event()
        self.uploads = uploads
        self.documents = [{"id": "d1", "name": "中国电科双创示范基地建设方案.txt", "pages": 12, "chunks": 96,
                           "added_at": "2026-11-20T08:30:00+00:00"}]
        self.received: list[dict] = []  # uploads and deletions, as the server saw them
        self.app = Flask("scripted-service")
        register_web_page(self.app)
        self.app.add_url_rule("/v1/info", view_func=self._info)
        self.app.add_url_rule("/v1/documents", view_func=self._list)
        self.app.add_url_rule("/v1/documents", view_func=self._upload, methods=["POST"])
        self.app.add_url_rule("/v1/documents/<doc_id>", view_func=self._delete, methods=["DELETE"])
        self.app.add_url_rule("/v1/ask", view_func=self._ask, methods=["POST"])

    def script(self, *steps: tuple) -> None:
        self.steps.clear()
        self.steps.extend(steps)
        self.release.clear()

    def _info(self):
        return jsonify({"ready": True, "uploads": self.uploads,
                        "manifest": {"documents": [{"name": d["name"], "chunks": d["chunks"]} for d in self.documents]}})

    def _list(self):
        return jsonify({"documents": self.documents})

    def _upload(self):
        file = request.files["file"]
        body = file.read()
        self.received.append({"upload": file.filename, "bytes": len(body)})
        doc = {"id": f"d{len(self.documents) + 1}", "name": file.filename, "pages": None, "chunks": 3,
               "added_at": "2026-11-21T09:00:00+00:00"}
        self.documents.append(doc)
        return jsonify(doc), 201

    def _delete(self, doc_id: str):
        self.received.append({"delete": doc_id})
        self.documents = [d for d in self.documents if d["id"] != doc_id]
        return "", 204

    def _ask(self):
        step = self.steps.popleft()
        if step[0] == "status":
            _, status, headers, code, message = step
            return jsonify({"error": {"code": code, "message": message}}), status, headers
        if step[0] == "hang":
            self.release.wait(step[1])
            return jsonify({"error": {"code": "not_ready", "message": "released"}}), 503
        _, pieces, pause, final = step
        question = request.get_json()["question"]

        def events():
            for piece in pieces:
                yield "data: " + json.dumps({"type": "answer.delta", "text": piece}, ensure_ascii=False) + "\n\n"
                time.sleep(pause)
            done = {"type": "answer.done", "question": question, **final}
            yield "data: " + json.dumps(done, ensure_ascii=False) + "\n\n" + "data: [DONE]\n\n"

        return Response(events(), mimetype="text/event-stream")
