"""Real loopback HTTP servers for tests: our app, and a scripted OpenAI-compatible LLM endpoint."""
from __future__ import annotations

import json
import threading
import time
from collections import deque
from contextlib import contextmanager
from typing import Iterator

from flask import Flask, Response, jsonify, request
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


@contextmanager
def serve_uvicorn(config) -> Iterator[str]:
    """uvicorn with this `uvicorn.Config` (the MCP server's, on a loopback port), in a thread of this process."""
    import uvicorn

    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    if not server.started:
        raise RuntimeError("uvicorn did not start")
    try:
        yield f"http://{config.host}:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class ScriptedLLM:
    """Speaks POST /v1/chat/completions; each request takes the next scripted step.

    A step is ("reply", text), ("status", code), ("sleep", seconds, text), ("break", text): a stream
    that stops after text without finishing, or ("hold", before, after): `before`, then nothing until the
    test sets `gate` (at most HOLD_SECONDS), then `after` ("" before = a stall before the first token). A
    request with "stream": true gets the reply as SSE chunks of a few characters, the way
    OpenAI-compatible servers send tokens. Requests are recorded.
    """

    HOLD_SECONDS = 30.0

    def __init__(self) -> None:
        self.steps: deque[tuple] = deque()
        self.requests: list[dict] = []
        self.gate = threading.Event()  # releases a "hold" step
        self.app = Flask("scripted-llm")
        self.app.add_url_rule("/v1/chat/completions", view_func=self._complete, methods=["POST"])

    def script(self, *steps: tuple) -> None:
        self.steps.clear()
        self.steps.extend(steps)
        self.requests.clear()
        self.gate.clear()

    def _complete(self):
        self.requests.append(request.get_json())
        step = self.steps.popleft() if self.steps else ("status", 500)
        if step[0] == "status":
            return jsonify({"error": {"message": "scripted failure", "type": "server_error"}}), step[1]
        if step[0] == "sleep":
            time.sleep(step[1])
            step = ("reply", step[2])
        if step[0] == "hold" and not request.get_json().get("stream"):
            self.gate.wait(self.HOLD_SECONDS)
            step = ("reply", step[1] + step[2])
        if step[0] == "hold":
            return Response(self._held(step[1], step[2]), mimetype="text/event-stream")
        if request.get_json().get("stream"):
            return Response(self._chunks(step[1], finish=step[0] != "break"), mimetype="text/event-stream")
        return jsonify({
            "id": "chatcmpl-scripted", "object": "chat.completion", "created": int(time.time()), "model": "scripted",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": step[1]}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        })

    def _held(self, before: str, after: str):
        yield from list(self._chunks(before, finish=True))[:-2]  # the role chunk and `before`, unfinished
        self.gate.wait(self.HOLD_SECONDS)
        yield from list(self._chunks(after, finish=True))[1:]  # `after`, the finish and [DONE]

    @staticmethod
    def _chunks(text: str, finish: bool):
        def event(delta: dict, reason: str | None = None) -> str:
            chunk = {"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": int(time.time()),
                     "model": "scripted", "choices": [{"index": 0, "delta": delta, "finish_reason": reason}]}
            return "data: " + json.dumps(chunk, ensure_ascii=False) + "\n\n"

        yield event({"role": "assistant", "content": ""})
        for start in range(0, len(text), 3):
            yield event({"content": text[start:start + 3]})
        if not finish:
            raise ConnectionAbortedError("scripted break-off")  # the server drops the connection mid-stream
        yield event({}, "stop")
        yield "data: [DONE]\n\n"
