"""The narrow interface of a vector store: rows are chunk positions in the chunk store."""
from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np


class VectorStore(ABC):
    dimension: int

    @abstractmethod
    def add(self, vectors: np.ndarray) -> None:
        """Append vectors; row i of the store is the i-th vector ever added."""

    @abstractmethod
    def search(self, query: np.ndarray, top_k: int, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Scores and row numbers of the top_k nearest rows for one query vector; with `rows`, of the top_k
        nearest among those rows only."""

    @abstractmethod
    def similarities(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Exact scores of the given rows for one query vector (to rescore another retriever's candidates)."""

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def save(self, directory: Path) -> list[str]:
        """Write the store into `directory`; return the file names written."""

    @classmethod
    @abstractmethod
    def load(cls, directory: Path, dimension: int) -> "VectorStore": ...
