"""The narrow retriever interfaces: a query in, ranked passages out; and a retriever fusion can combine."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import fields
from typing import Sequence

import numpy as np

from documents.models import Chunk
from qa_service.types import Passage, RetrievalScores
from qa_service.understanding.query import Query

SCORE_NAMES = frozenset(f.name for f in fields(RetrievalScores))


class Retriever(ABC):
    name: str

    @abstractmethod
    def retrieve(self, query: Query) -> list[Passage]:
        """The query.retrieve_k best passages for the query, best first."""


class ScoringRetriever(Retriever):
    """A retriever that can also score any row of the index for a query, which is what fusion needs: the
    candidates of several retrievers pooled, each candidate scored by every one of them. Rows are positions in
    the loaded chunk list. Its name is the RetrievalScores field its scores go to."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        if self.name not in SCORE_NAMES:
            raise TypeError(f"{type(self).__name__}.name {self.name!r} is not a field of RetrievalScores")
        self._chunks = chunks

    @abstractmethod
    def candidates(self, query: Query, n: int) -> list[tuple[int, float]]:
        """(row, score) of at most n best rows for the query, best first."""

    @abstractmethod
    def scores(self, query: Query, rows: np.ndarray) -> np.ndarray:
        """This retriever's score of each of the rows for the query."""

    def retrieve(self, query: Query) -> list[Passage]:
        return [Passage(self._chunks[row], score, RetrievalScores(**{self.name: score}))
                for row, score in self.candidates(query, query.retrieve_k)]
