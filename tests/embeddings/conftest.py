"""Real corpus excerpt chunks and their real m3e-small vectors, made once for the store and encoder tests."""
from __future__ import annotations

import numpy as np
import pytest

from documents.models import Chunk
from documents.pipeline import DocumentPipeline


@pytest.fixture(scope="session")
def excerpt_chunks(small_corpus) -> list[Chunk]:
    """The chunks of the two excerpt documents (中国电科 plan, 海淀区 section), as ingest makes them."""
    return DocumentPipeline().run([small_corpus]).chunks


@pytest.fixture(scope="session")
def excerpt_texts(excerpt_chunks) -> list[str]:
    from embeddings.index_spec import indexable_text

    return [indexable_text(c) for c in excerpt_chunks]


@pytest.fixture(scope="session")
def excerpt_vectors(base_settings, encoder, excerpt_texts) -> np.ndarray:
    """Through the session's embedding cache: the test index (built_index) embeds these same 125 passages, so
    whichever of the two comes second reads them from there (embedding them took 9 s of a quiet suite run)."""
    from embeddings.encoders.cached_encoder import CachedEncoder

    return CachedEncoder(encoder, base_settings.embedding_cache_file).encode_documents(excerpt_texts)
