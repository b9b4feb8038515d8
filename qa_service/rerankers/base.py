"""The narrow reranker interface: reorder a retriever's candidates for a query."""
from __future__ import annotations

from abc import ABC, abstractmethod

from qa_service.types import Passage


class Reranker(ABC):
    name: str

    @abstractmethod
    def rerank(self, query: str, passages: list[Passage], top_k: int) -> list[Passage]:
        """The best top_k of the candidates, best first."""
