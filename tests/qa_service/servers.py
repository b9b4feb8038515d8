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

    A step is ("reply", text), ("status", code), ("sleep", seconds, text), ("length", text): the reply ends
    with finish_reason "length", ("runaway", text): `text` repeated until the request's max_tokens (one
    token per character) and then cut with "length", ("break", text): the connection drops after text (a
    stream without its finish; a plain reply with half its body), or ("hold", before, after): `before`, then
    nothing until the test sets `gate` (at most HOLD_SECONDS), then `after` ("" before = a stall before the
    first token). A request with "stream": true gets the reply as SSE chunks of a few characters, the way
    OpenAI-compatible servers send tokens, and a usage chunk when stream_options.include_usage asks.
    Requests are recorded; every reply reports usage as one prompt token per message character and one
    completion token per reply character.
    """

    HOLD_SECONDS = 30.0
    RUNAWAY_UNCAPPED = 20_000  # characters a runaway step writes when no max_tokens is sent

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
        body = request.get_json()
        self.requests.append(body)
        step = self.steps.popleft() if self.steps else ("status", 500)
        if step[0] == "status":
            return jsonify({"error": {"message": "scripted failure", "type": "server_error"}}), step[1]
        if step[0] == "sleep":
            time.sleep(step[1])
            step = ("reply", step[2])
        if step[0] == "runaway":
            limit = body.get("max_tokens") or self.RUNAWAY_UNCAPPED
            step = ("length", (step[1] * (limit // len(step[1]) + 1))[:limit])
        if step[0] == "hold" and not body.get("stream"):
            self.gate.wait(self.HOLD_SECONDS)
            step = ("reply", step[1] + step[2])
        prompt = sum(len(m.get("content") or "") for m in body.get("messages", []))
        with_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        if step[0] == "hold":
            return Response(self._held(step[1], step[2], prompt, with_usage), mimetype="text/event-stream")
        finish = {"reply": "stop", "length": "length", "break": None}[step[0]]
        if body.get("stream"):
            return Response(self._chunks(step[1], finish, prompt, with_usage), mimetype="text/event-stream")
        reply = json.dumps({
            "id": "chatcmpl-scripted", "object": "chat.completion", "created": int(time.time()), "model": "scripted",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": step[1]}, "finish_reason": finish}],
            "usage": _usage(prompt, len(step[1])),
        }, ensure_ascii=False)
        if finish is None:
            return Response(_half(reply), mimetype="application/json")
        return Response(reply, mimetype="application/json")

    def _held(self, before: str, after: str, prompt: int, with_usage: bool):
        yield from list(self._chunks(before, "stop", prompt, False))[:-2]  # the role chunk and `before`, unfinished
        self.gate.wait(self.HOLD_SECONDS)
        yield from list(self._chunks(after, "stop", prompt, with_usage))[1:]  # `after`, the finish and [DONE]

    @staticmethod
    def _chunks(text: str, finish: str | None, prompt: int, with_usage: bool):
        def event(delta: dict, reason: str | None = None) -> str:
            chunk = {"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": int(time.time()),
                     "model": "scripted", "choices": [{"index": 0, "delta": delta, "finish_reason": reason}]}
            return "data: " + json.dumps(chunk, ensure_ascii=False) + "\n\n"

        yield event({"role": "assistant", "content": ""})
        for start in range(0, len(text), 3):
            yield event({"content": text[start:start + 3]})
        if finish is None:
            raise ConnectionAbortedError("scripted break-off")  # the server drops the connection mid-stream
        yield event({}, finish)
        if with_usage:
            chunk = {"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": int(time.time()),
                     "model": "scripted", "choices": [], "usage": _usage(prompt, len(text))}
            yield "data: " + json.dumps(chunk) + "\n\n"
        yield "data: [DONE]\n\n"


def _usage(prompt: int, completion: int) -> dict:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _half(body: str):
    yield body[: len(body) // 2]
    raise ConnectionAbortedError("scripted break-off")  # the connection drops in the middle of the body
