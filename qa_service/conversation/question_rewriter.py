"""Turn a follow-up ("那南京大学呢？") into a standalone question before retrieval.

Retrieval sees one question, not a conversation: a follow-up that leans on earlier turns retrieves
nothing useful. With an LLM configured, the earlier turns and the follow-up are sent to it with the
instruction to write one self-contained question; if it fails, the follow-up is used as it is.

What reaches the LLM is bounded whatever the client sends (six earlier turns of 50,000 characters each
once made a 150,000-character prompt): the newest turns are kept, at most HistoryLimits.turns of them and
HistoryLimits.chars characters in all, a turn too long for what is left cut to its beginning. Chat front
ends send the whole conversation, long answers included, with every follow-up, so an over-long turn is cut
rather than refused. A rewrite longer than the question limit is not used.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qa_service.types import Deadline

if TYPE_CHECKING:
    import openai

log = logging.getLogger(__name__)

REWRITE_PROMPT = (
    "根据下面的对话历史，把用户的最后一个问题改写成一个不依赖上下文、意思完整的独立问题，"
    "补全其中省略或指代的对象。只输出改写后的问题，不要回答它。"
)
ELLIPSIS = "…"
MIN_TURN_CHARS = 20  # a turn cut shorter than this says nothing useful: older turns stop there
REWRITE_SHARE = 0.5  # of the time left: the rewrite may not take the answer's time
# A standalone question is one line: 100 Chinese characters take at most ~150 tokens in the tokenizers of
# common open models (cl100k: about one per character). A rewrite cut at the cap (finish_reason length) is a
# cut question and is not used; without a cap a looping model holds the endpoint until the timeout (issue 23).
REWRITE_MAX_TOKENS = 200


@dataclass(frozen=True)
class Turn:
    role: str  # "user" or "assistant"
    text: str


@dataclass(frozen=True)
class HistoryLimits:
    turns: int = 6  # earlier turns sent (QA_CHAT_HISTORY_TURNS)
    chars: int = 4000  # characters of those turns in all (QA_CHAT_HISTORY_CHARS)
    question_chars: int = 2000  # a longer rewrite is not used (QA_MAX_QUESTION_CHARS)


def bounded_history(history: list[Turn], limits: HistoryLimits) -> list[Turn]:
    """The newest turns within the limits, oldest first; a turn too long for what is left is cut to its start."""
    kept: list[Turn] = []
    left = limits.chars
    for turn in reversed(history[-limits.turns:] if limits.turns > 0 else []):
        if left < MIN_TURN_CHARS:
            break
        text = turn.text if len(turn.text) <= left else turn.text[:left - len(ELLIPSIS)] + ELLIPSIS
        kept.append(Turn(turn.role, text))
        left -= len(text)
    kept.reverse()
    return kept


class LLMQuestionRewriter:
    def __init__(self, client: openai.OpenAI, model: str, limits: HistoryLimits | None = None,
                 timeout: float = 30.0, max_retries: int = 2) -> None:
        self._client = client.with_options(max_retries=0)  # retries within the deadline: llm_calls
        self._model = model
        self.limits = limits or HistoryLimits()
        self._timeout = timeout
        self._max_retries = max_retries

    def prompt(self, history: list[Turn], question: str) -> list[dict[str, str]]:
        transcript = "\n".join(f"{'用户' if t.role == 'user' else '助手'}：{t.text}"
                               for t in bounded_history(history, self.limits))
        return [{"role": "system", "content": REWRITE_PROMPT},
                {"role": "user", "content": f"对话历史：\n{transcript}\n\n最后一个问题：{question}"}]

    def rewrite(self, history: list[Turn], question: str, deadline: Deadline | None = None) -> str:
        if not any(t.role == "user" for t in history):
            return question
        # The rewrite gets at most half of the time left, so that the answer keeps the other half.
        left = (deadline or Deadline.none()).remaining()
        budget = Deadline.after(left * REWRITE_SHARE) if left != float("inf") else Deadline.none()
        import openai  # here: a service without an LLM never loads the SDK (about 1 s per process)

        from qa_service.answerers.llm_calls import create_completion

        try:
            reply = create_completion(self._client, budget, self._timeout, self._max_retries, model=self._model,
                                      messages=self.prompt(history, question), temperature=0,
                                      max_tokens=REWRITE_MAX_TOKENS)
            if reply.choices and reply.choices[0].finish_reason == "length":
                log.warning("question rewrite cut at %d tokens; using the follow-up as it is", REWRITE_MAX_TOKENS)
                return question
            rewritten = (reply.choices[0].message.content or "").strip().splitlines()
        except openai.OpenAIError as exc:  # OutOfTime included: no time left for the rewrite
            log.warning("question rewrite failed (%s); using the follow-up as it is", exc)
            return question
        first = rewritten[0].strip() if rewritten else ""
        if len(first) > self.limits.question_chars:
            log.warning("question rewrite of %d characters is longer than the question limit; using the follow-up",
                        len(first))
            return question
        return first or question
