"""The narrow retriever interface: a query in, ranked passages out."""
from __future__ import annotations

from abc import ABC, abstractmethod

from qa_service.types import Passage


class Retriever(ABC):
    name: str

    @abstractmethod
    def retrieve(self, query: str, top_k: int) -> list[Passage]:
        """The top_k passages for the query, best first."""
