"""The narrow reranker interface: reorder a retriever's candidates for a query."""
from __future__ import annotations

from abc import ABC, abstractmethod

from qa_service.types import Passage
from qa_service.understanding.query import Query


class Reranker(ABC):
    name: str

    @abstractmethod
    def rerank(self, query: Query, passages: list[Passage]) -> list[Passage]:
        """The best query.top_k of the candidates, best first."""
