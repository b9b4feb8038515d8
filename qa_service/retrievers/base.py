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


class QueryScores(ABC):
    """One scoring retriever's scores for one query: its best rows, and its score of any row. Rows are
    positions in the loaded chunk list. Whatever the scoring computes once per query (BM25's sums over
    every row) is held here for the length of the request, not remembered across requests."""

    @abstractmethod
    def top(self, n: int) -> list[tuple[int, float]]:
        """(row, score) of at most n best rows, best first."""

    @abstractmethod
    def of(self, rows: np.ndarray) -> np.ndarray:
        """The score of each of the rows."""


class ScoringRetriever(Retriever):
    """A retriever that can score any row for a query, which is what fusion needs: the candidates of several
    retrievers pooled, each candidate scored by every one of them. Its name is the RetrievalScores field its
    scores go to."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        if self.name not in SCORE_NAMES:
            raise TypeError(f"{type(self).__name__}.name {self.name!r} is not a field of RetrievalScores")
        self._chunks = chunks

    @abstractmethod
    def scores_for(self, query: Query) -> QueryScores:
        """This retriever's scores for the query."""

    def retrieve(self, query: Query) -> list[Passage]:
        return [Passage(self._chunks[row], score, RetrievalScores(**{self.name: score}))
                for row, score in self.scores_for(query).top(query.retrieve_k)]
