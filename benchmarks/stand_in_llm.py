"""A stand-in for an OpenAI-compatible model, for smoke runs of benchmarks.llm_endpoint where no model is at hand.

It is not a language model and its figures say nothing of any model's quality: it answers each chat
completion with the sentence of the prompt's passages that shares the most character pairs with the question,
written without a [n] marker (as the small instruct models tried in issue 23 answered), so a run exercises
the service's LLM path end to end (prompt, call, citation by content, usage) over real HTTP. Usage counts one
token per character.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from contextlib import contextmanager
from typing import Iterator

from flask import Flask, jsonify, request
from werkzeug.serving import make_server

_PASSAGE = re.compile(r"^\[\d+\] 《[^》]*》[^\n]*\n(.*?)(?=\n\n\[\d+\] 《|\n\n问题：)", re.S | re.M)
_SENTENCE = re.compile(r"[^。！？；\n]+[。！？；]?")


def _pairs(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


def reply_to(prompt: str) -> str:
    """The passage sentence closest to the question (character pairs shared), unmarked."""
    question = prompt.rsplit("问题：", 1)[-1].strip()
    asked = _pairs(question)
    best, best_score = "资料中没有相关信息", 0
    for passage in _PASSAGE.findall(prompt):
        for sentence in _SENTENCE.findall(passage):
            sentence = sentence.strip()
            score = len(asked & _pairs(sentence))
            if len(sentence) >= 6 and score > best_score:
                best, best_score = sentence, score
    return best if best.endswith(("。", "！", "？", "；")) else best + "。"


def app() -> Flask:
    stand_in = Flask("stand-in-llm")

    @stand_in.post("/v1/chat/completions")
    def complete():
        body = request.get_json(silent=True) or {}
        messages = body.get("messages") or []
        prompt = str(messages[-1].get("content", "")) if messages else ""
        text = reply_to(prompt)
        used = sum(len(str(m.get("content", ""))) for m in messages)
        return jsonify({"id": "chatcmpl-stand-in", "object": "chat.completion", "created": int(time.time()),
                        "model": body.get("model", "stand-in"),
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                     "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": used, "completion_tokens": len(text),
                                  "total_tokens": used + len(text)}})

    return stand_in


@contextmanager
def serving() -> Iterator[str]:
    """The stand-in on a loopback port, in a thread of this process: its base URL (…/v1)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request would bury the run's own log
    server = make_server("127.0.0.1", 0, app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1"
    finally:
        server.shutdown()
        thread.join(timeout=10)
