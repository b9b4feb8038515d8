"""The narrow answerer interface: a question and retrieved passages in, an answer with citations out."""
from __future__ import annotations

from abc import ABC, abstractmethod

from qa_service.types import Answer, Passage

NOT_FOUND_ANSWER = "抱歉，现有文档中没有找到能够回答这个问题的内容。"


class Answerer(ABC):
    name: str

    @abstractmethod
    def answer(self, question: str, passages: list[Passage]) -> Answer:
        """Answer from the passages only; abstain (answerable=False) when they do not support an answer."""
