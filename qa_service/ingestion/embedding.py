"""The embed step: passage vectors by the ingest encoder, through the embedding cache when there is one.

The encoder is built on first use (a sync with nothing to embed loads no model): the configured model here,
or, with QA_INGEST_EMBEDDING=ray, spread over a pool of Ray actors that each build the same model; the vectors
are the same either way.
"""
from __future__ import annotations

import dataclasses
import time
from typing import Sequence

import numpy as np

from documents.models import Chunk
from embeddings.encoders.base import TextEncoder
from embeddings.encoders.cached_encoder import CachedEncoder
from embeddings.index_spec import indexable_text
from qa_service.ingestion.records import IndexedDocument, StepTimes
from qa_service.settings import Settings


def ingest_encoder(settings: Settings) -> TextEncoder:
    """The passage encoder of an ingest: the configured model here, or spread over Ray actors that each build
    the same model (QA_INGEST_EMBEDDING=ray). Imported on first use: a sync with nothing to embed loads no model."""
    from embeddings.encoders.factory import build_encoder

    local = build_encoder(settings.encoder_spec)
    if settings.ingest_embedding != "ray":
        return local
    from functools import partial

    from embeddings.encoders.ray_encoder import RayEncoder

    return RayEncoder(partial(build_encoder, settings.encoder_spec), local, address=settings.ray_address,
                      actors=settings.ray_actors)


class PassageEmbedder:
    """Embeds passages as the index specification says (its indexed text) with the ingest encoder."""

    def __init__(self, settings: Settings, encoder: TextEncoder | None = None) -> None:
        self.settings = settings
        self.encoder = encoder  # built on first use when not given
        self._passage_misses = 0  # passages (not BM25 terms) the model itself embedded
        self._indexed_text = settings.index_spec.indexed_text

    def _ready(self) -> TextEncoder:
        if self.encoder is None:
            self.encoder = ingest_encoder(self.settings)
        cache_file = self.settings.embedding_cache_file
        if cache_file is not None and not isinstance(self.encoder, CachedEncoder):
            self.encoder = CachedEncoder(self.encoder, cache_file)
        return self.encoder

    def encode_texts(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        """Vectors of these texts (passages or BM25 terms), through the embedding cache when there is one."""
        return self._ready().encode_documents(texts, show_progress=show_progress)

    def model_and_cache(self) -> tuple[TextEncoder, CachedEncoder | None]:
        """The model (loaded now: fetched and exported first if needed) and the embedding cache in front of it,
        for the background embedder, which encodes batch by batch."""
        encoder = self._ready()
        cache = encoder if isinstance(encoder, CachedEncoder) else None
        model = cache.inner if cache is not None else encoder
        model.dimension  # noqa: B018 - a LazyEncoder builds the model here
        return model, cache

    def embed(self, chunks: Sequence[Chunk], show_progress: bool = False) -> np.ndarray:
        before = self._misses()
        vectors = self.encode_texts([indexable_text(c, self._indexed_text) for c in chunks], show_progress)
        self._passage_misses += (self._misses() or 0) - (before or 0)
        return vectors

    def _misses(self) -> int | None:
        return self.encoder.misses if isinstance(self.encoder, CachedEncoder) else None

    def embed_documents(self, documents: list[IndexedDocument], show_progress: bool = False,
                        timer: StepTimes | None = None) -> list[IndexedDocument]:
        """The documents with their vectors, embedded in one call: the encoder batches across documents (less
        padding), and a distributed encoder starts its workers once per ingest, not once per file."""
        timer = timer or StepTimes()
        t0 = time.perf_counter()
        vectors = self.embed([c for d in documents for c in d.chunks], show_progress)
        timer.embed += time.perf_counter() - t0
        out, row = [], 0
        for d in documents:
            out.append(dataclasses.replace(d, vectors=vectors[row:row + len(d.chunks)]))
            row += len(d.chunks)
        return out

    @property
    def model_calls(self) -> int | None:
        """Passages the model itself embedded so far (cache misses; the BM25 terms embedded for the term vectors
        are not passages and not counted); None without an embedding cache to tell."""
        if isinstance(self.encoder, CachedEncoder) or self.settings.embedding_cache_file is not None:
            return self._passage_misses
        return None
