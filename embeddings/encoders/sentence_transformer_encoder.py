"""Encoder backed by any sentence-transformers model (default m3e-small from its wheel)."""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from embeddings.encoders.base import TextEncoder
from embeddings.model_fetch import resolve_model_path

log = logging.getLogger(__name__)


class SentenceTransformerEncoder(TextEncoder):
    def __init__(self, model: str, cache_dir: Path, batch_size: int = 16, torch_threads: int = 0) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        if torch_threads > 0:
            torch.set_num_threads(torch_threads)
        path = resolve_model_path(model, cache_dir)
        log.info("loading embedding model %s from %s", model, path)
        self._model = SentenceTransformer(path, device="cpu")
        self._model.eval()
        self._batch_size = batch_size
        self._lock = threading.Lock()  # torch modules are not documented as thread-safe for inference
        self.model_id = model
        self.dimension = int(self._model.get_embedding_dimension())
        self.max_seq_length = int(self._model.max_seq_length or 512)

    def encode_documents(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts), batch_size=self._batch_size, show_progress_bar=show_progress,
                convert_to_numpy=True, normalize_embeddings=True,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        with self._lock:
            vector = self._model.encode(
                [text], batch_size=1, show_progress_bar=False, convert_to_numpy=True, normalize_embeddings=True,
            )
        return np.ascontiguousarray(vector[0], dtype=np.float32)
