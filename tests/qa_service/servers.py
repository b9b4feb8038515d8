"""Real loopback HTTP servers for tests: our app, and a scripted OpenAI-compatible LLM endpoint."""
from __future__ import annotations

import threading
import time
from collections import deque
from contextlib import contextmanager
from typing import Iterator

from flask import Flask, jsonify, request
from werkzeug.serving import make_server


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


class ScriptedLLM:
    """Speaks POST /v1/chat/completions; each request takes the next scripted step.

    A step is ("reply", text), ("status", code) or ("sleep", seconds, text). Requests are recorded.
    """

    def __init__(self) -> None:
        self.steps: deque[tuple] = deque()
        self.requests: list[dict] = []
        self.app = Flask("scripted-llm")
        self.app.add_url_rule("/v1/chat/completions", view_func=self._complete, methods=["POST"])

    def script(self, *steps: tuple) -> None:
        self.steps.clear()
        self.steps.extend(steps)
        self.requests.clear()

    def _complete(self):
        self.requests.append(request.get_json())
        step = self.steps.popleft() if self.steps else ("status", 500)
        if step[0] == "status":
            return jsonify({"error": {"message": "scripted failure", "type": "server_error"}}), step[1]
        if step[0] == "sleep":
            time.sleep(step[1])
            step = ("reply", step[2])
        return jsonify({
            "id": "chatcmpl-scripted", "object": "chat.completion", "created": int(time.time()), "model": "scripted",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": step[1]}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        })
