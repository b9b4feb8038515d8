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
