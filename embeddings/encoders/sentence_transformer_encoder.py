"""Encoder backed by any sentence-transformers model (default m3e-small from its wheel)."""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from embeddings.encoders.base import TextEncoder
from embeddings.model_fetch import resolve_model_path

log = logging.getLogger(__name__)


class SentenceTransformerEncoder(TextEncoder):
    def __init__(self, model: str, cache_dir: Path, batch_size: int = 16, torch_threads: int = 0,
                 wheel: Path | None = None) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        if torch_threads > 0:
            torch.set_num_threads(torch_threads)
        path = resolve_model_path(model, cache_dir, wheel)
        log.info("loading embedding model %s from %s", model, path)
        self._model = SentenceTransformer(path, device="cpu")
        self._model.eval()
        self._batch_size = batch_size
        self._lock = threading.Lock()  # the fast tokenizer, and whole batch encodes
        # Query forward passes running at once: as many as the cores hold at torch's thread count. Two
        # 2-thread passes on 2 cores make torch's OpenMP threads wait on each other and run several times
        # slower; with one thread each, two passes run side by side (docs/performance.md).
        self._forward_slots = threading.BoundedSemaphore(max(1, len(os.sched_getaffinity(0)) // torch.get_num_threads()))
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

    def batch_plan(self, texts: Sequence[str]) -> list[list[int]]:
        """sentence-transformers' own grouping: longest texts first (by characters), batch_size at a time."""
        order = [int(i) for i in np.argsort([-len(t) for t in texts])]
        return [order[start:start + self._batch_size] for start in range(0, len(order), self._batch_size)]

    def encode_query(self, text: str) -> np.ndarray:
        """The steps `encode` takes for one text (same vector, bit for bit), without its per-call set-up:
        for a short query that set-up (argument handling, switching every module to eval mode, device
        look-ups) cost about a tenth of the encoding. Only tokenising holds the lock: the fast tokenizer
        reconfigures itself on every call and fails when two threads do so at once, while the forward
        pass of a module in inference mode may run in several threads (up to the forward slots)."""
        import torch

        with self._lock:
            features = self._model.preprocess([text])
        with self._forward_slots, torch.inference_mode():
            embedding = self._model(features)["sentence_embedding"]
            embedding = torch.nn.functional.normalize(embedding, p=2, dim=1)
        return np.ascontiguousarray(embedding[0].numpy(), dtype=np.float32)
