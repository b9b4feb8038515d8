"""The narrow answerer interface: a query and retrieved passages in, an answer with citations out."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Iterator

from qa_service.types import Answer, Deadline, Passage
from qa_service.understanding.query import Query

NOT_FOUND_ANSWER = "抱歉，现有文档中没有找到能够回答这个问题的内容。"
STREAM_PIECE_CHARS = 12


class GeneratorError(RuntimeError):
    """The LLM could not produce an answer; status is the HTTP status to report (502 or 504)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Answerer(ABC):
    name: str

    @abstractmethod
    def answer(self, query: Query, passages: list[Passage], deadline: Deadline | None = None) -> Answer:
        """Answer from the passages only; abstain (answerable=False) when they do not support an answer.

        Work that can wait or retry (a call to an LLM) ends by the deadline; bounded local work ignores it."""

    def stream(self, query: Query, passages: list[Passage],
               deadline: Deadline | None = None) -> Iterator[str | Answer]:
        """Text pieces of the answer as they become available, then the complete Answer.

        The default computes the answer first; a generator that produces text incrementally overrides it.
        """
        yield from stream_pieces(self.answer(query, passages, deadline))


def stream_pieces(answer: Answer) -> Iterator[str | Answer]:
    """A finished answer as text pieces, then the answer itself."""
    for start in range(0, len(answer.answer), STREAM_PIECE_CHARS):
        yield answer.answer[start:start + STREAM_PIECE_CHARS]
    yield answer
