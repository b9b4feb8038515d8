"""An encoder built on first use, so that holding one costs nothing until something is encoded.

The composition root hands the same `LazyEncoder` to the query service and to uploads: a serving process
loads the model once, when it warms up, and a command that never encodes (`qa docs list`) never loads it.
"""
from __future__ import annotations

import threading
from typing import Callable, Sequence

import numpy as np

from embeddings.encoders.base import TextEncoder


class LazyEncoder(TextEncoder):
    def __init__(self, factory: Callable[[], TextEncoder]) -> None:
        self._factory = factory
        self._inner: TextEncoder | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._inner is not None

    def load(self) -> TextEncoder:
        """The real encoder, built now if it was not yet (once, whatever the number of threads asking)."""
        inner = self._inner
        if inner is None:
            with self._lock:
                if self._inner is None:
                    self._inner = self._factory()
                inner = self._inner
        return inner

    @property
    def model_id(self) -> str:  # type: ignore[override]
        return self.load().model_id

    @property
    def dimension(self) -> int:  # type: ignore[override]
        return self.load().dimension

    def encode_documents(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        return self.load().encode_documents(texts, show_progress=show_progress)

    def encode_query(self, text: str) -> np.ndarray:
        return self.load().encode_query(text)

    def batch_plan(self, texts: Sequence[str]) -> list[list[int]]:
        return self.load().batch_plan(texts)

    def __getattr__(self, name: str):  # anything else a concrete encoder offers (max_seq_length, ...)
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.load(), name)
