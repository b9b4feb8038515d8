"""The narrow interface every text encoder implements."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Sequence

import numpy as np


class TextEncoder(ABC):
    """Turns text into L2-normalised float32 vectors (inner product = cosine)."""

    model_id: str
    dimension: int

    @abstractmethod
    def encode_documents(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        """Vectors for passages, shape (len(texts), dimension)."""

    @abstractmethod
    def encode_query(self, text: str) -> np.ndarray:
        """Vector for one query, shape (dimension,)."""

    def batch_plan(self, texts: Sequence[str]) -> list[list[int]]:
        """The positions of `texts` that encode_documents runs through the model together, batch by batch.

        Another process that encodes these same groups gets the same vectors (padding and, with int8, the
        quantised activations depend on what shares a batch): RayEncoder hands them to its actors so.
        Default: consecutive runs of the encoder's batch size."""
        size = max(1, int(getattr(self, "_batch_size", 0) or len(texts) or 1))
        return [list(range(start, min(start + size, len(texts)))) for start in range(0, len(texts), size)]
