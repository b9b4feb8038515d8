"""Turn a follow-up ("那南京大学呢？") into a standalone question before retrieval.

Retrieval sees one question, not a conversation: a follow-up that leans on earlier turns retrieves
nothing useful. With an LLM configured, the earlier turns and the follow-up are sent to it with the
instruction to write one self-contained question; if it fails, the follow-up is used as it is.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import openai

log = logging.getLogger(__name__)

REWRITE_PROMPT = (
    "根据下面的对话历史，把用户的最后一个问题改写成一个不依赖上下文、意思完整的独立问题，"
    "补全其中省略或指代的对象。只输出改写后的问题，不要回答它。"
)
MAX_HISTORY_TURNS = 6


@dataclass(frozen=True)
class Turn:
    role: str  # "user" or "assistant"
    text: str


class LLMQuestionRewriter:
    def __init__(self, client: openai.OpenAI, model: str) -> None:
        self._client = client
        self._model = model

    def rewrite(self, history: list[Turn], question: str) -> str:
        if not any(t.role == "user" for t in history):
            return question
        transcript = "\n".join(f"{'用户' if t.role == 'user' else '助手'}：{t.text}"
                               for t in history[-MAX_HISTORY_TURNS:])
        messages = [{"role": "system", "content": REWRITE_PROMPT},
                    {"role": "user", "content": f"对话历史：\n{transcript}\n\n最后一个问题：{question}"}]
        try:
            reply = self._client.chat.completions.create(model=self._model, messages=messages, temperature=0)
            rewritten = (reply.choices[0].message.content or "").strip().splitlines()
        except openai.OpenAIError as exc:
            log.warning("question rewrite failed (%s); using the follow-up as it is", exc)
            return question
        return rewritten[0].strip() if rewritten and rewritten[0].strip() else question
