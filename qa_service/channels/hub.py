"""What the three channels share: the service they face, the message ids taken, the answering threads, the
outbound client, and each chat's recent turns; and the steps every channel takes with a message."""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque
from typing import Callable

from flask import g, request

from qa_service.answerers.base import GeneratorError
from qa_service.api.errors import ApiError
from qa_service.channels.dedup import SeenMessages
from qa_service.channels.outbound import HttpClient
from qa_service.channels.rendering import notice
from qa_service.channels.sender import AnswerSender
from qa_service.conversation.question_rewriter import Turn
from qa_service.llm_client import llm_configured
from qa_service.query_limits import QueryRefused
from qa_service.service import QAService, ServiceNotReady
from qa_service.settings import Settings
from qa_service.types import Answer

log = logging.getLogger(__name__)

MAX_CHATS = 500  # chats whose recent turns are kept for follow-ups; the least recently active is forgotten
EMPTY_QUESTION = "请在消息中写下您的问题。"  # "please write your question in the message"


class RecentTurns:
    """The last turns of each chat, for rewriting a follow-up (only kept when an LLM can rewrite): at most
    MAX_CHATS chats of QA_CHAT_HISTORY_TURNS turns, each cut to QA_MAX_QUESTION_CHARS characters."""

    def __init__(self, turns: int, chars: int) -> None:
        self.turns, self.chars = turns, chars
        self._chats: OrderedDict[str, deque[Turn]] = OrderedDict()
        self._lock = threading.Lock()

    def of(self, chat: str) -> list[Turn]:
        with self._lock:
            return list(self._chats.get(chat, ()))

    def add(self, chat: str, question: str, answer: str) -> None:
        if self.turns <= 0:
            return
        with self._lock:
            turns = self._chats.pop(chat, None) or deque(maxlen=self.turns)
            turns.extend((Turn("user", question[:self.chars]), Turn("assistant", answer[:self.chars])))
            self._chats[chat] = turns
            while len(self._chats) > MAX_CHATS:
                self._chats.popitem(last=False)


class ChannelHub:
    def __init__(self, qa: QAService, settings: Settings) -> None:
        self.qa = qa
        self.settings = settings
        self.seen = SeenMessages(settings.channel_dedup_file, settings.channel_replay_window_seconds,
                                 settings.channel_dedup_entries)
        self.sender = AnswerSender(settings.channel_answer_workers, settings.channel_answer_queue)
        self.http = HttpClient(settings.channel_http_timeout)
        self.history = RecentTurns(settings.chat_history_turns if llm_configured(settings) else 0,
                                   settings.max_question_chars)
        self.on_refused: Callable[[str], None] | None = None  # told the client address of each refused signature

    def refuse(self, channel: str, why: str) -> ApiError:
        """A request whose signature (or token) does not hold: logged, counted like a wrong API key, 401."""
        client = g.get("client", request.remote_addr or "")
        log.warning("%s channel: refused a request from %s: %s", channel, client, why)
        if self.on_refused is not None:
            self.on_refused(client)
        return ApiError(401, "bad_signature", f"the request is not signed by the {channel} app this service "
                                              "is configured for")

    def fresh(self, channel: str, timestamp_seconds: float) -> None:
        """Refuse a signed request whose timestamp is outside the replay window (a captured request replayed)."""
        if abs(time.time() - timestamp_seconds) > self.settings.channel_replay_window_seconds:
            raise self.refuse(channel, "timestamp outside the replay window (QA_CHANNEL_REPLAY_WINDOW_SECONDS)")

    def take(self, message_id: str, job: Callable[[], None], what: str) -> bool:
        """Answer a message once: False for a duplicate (nothing done), True when its answer is under way;
        503 when no thread is free, the id released so that the platform's retry is taken."""
        if not self.seen.claim(message_id):
            log.info("duplicate delivery of %s ignored", what)
            return False
        if not self.sender.submit(job, what):
            self.seen.release(message_id)
            raise ApiError(503, "overloaded", "all channel answer threads are busy; the platform will retry",
                           headers={"Retry-After": "5"})
        return True

    def answer(self, chat: str, question: str) -> Answer:
        """The service's answer to a chat's question (a follow-up rewritten with the chat's recent turns when an
        LLM is configured), or a notice saying why there is none; never raises for a refused question."""
        question = question.strip()
        if not question:
            return notice(EMPTY_QUESTION)
        try:
            deadline = self.qa.deadline()
            standalone = self.qa.standalone_question(self.history.of(chat), question, deadline)
            answer = self.qa.ask(standalone, self.settings.top_k, deadline)
        except QueryRefused as exc:
            return notice(exc.message)
        except ServiceNotReady:
            return notice("服务暂不可用（索引未加载），请稍后再试。")
        except GeneratorError as exc:
            log.warning("channel answer: the LLM failed: %s", exc)
            return notice("暂时无法生成回答，请稍后再试。")
        self.history.add(chat, question, answer.answer)
        return answer

    def close(self) -> None:
        self.sender.close()
