"""Encoding queries: the direct path gives sentence-transformers' own vectors, also from many threads."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from qa_service.api.gunicorn_server import worker_settings

QUERIES = ["海淀区有多少所高等院校？", "中国电科双创示范基地启动阶段的起止时间是什么？", "红烧肉怎么做才好吃？",
           "IPv6 规模部署", "", "海淀区" * 300]  # empty, and longer than the model's 512 tokens


@pytest.fixture(scope="module")
def encoder(base_settings):
    """The torch encoder, whatever the default backend: this file checks its direct query path."""
    from embeddings.encoders.factory import build_encoder

    torch = base_settings.with_overrides(embedding_backend="torch", embedding_precision="fp32")
    return build_encoder(torch.encoder_spec)


def _reference(encoder, text: str) -> np.ndarray:
    vector = encoder._model.encode([text], batch_size=1, show_progress_bar=False, convert_to_numpy=True,
                                   normalize_embeddings=True)[0]
    return np.ascontiguousarray(vector, dtype=np.float32)


def test_query_vector_is_that_of_model_encode_bit_for_bit(encoder):
    for text in QUERIES:
        vector = encoder.encode_query(text)
        assert vector.dtype == np.float32 and vector.shape == (encoder.dimension,)
        assert np.array_equal(vector, _reference(encoder, text)), text


def test_concurrent_queries_get_the_vectors_of_sequential_ones(encoder):
    expected = {q: encoder.encode_query(q) for q in QUERIES}
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda q: (q, encoder.encode_query(q)), QUERIES * 6))
    for text, vector in got:
        assert np.array_equal(vector, expected[text]), text


def test_gunicorn_workers_share_the_cores_unless_threads_are_set(base_settings):
    import os

    cores = len(os.sched_getaffinity(0))
    assert worker_settings(base_settings.with_overrides(torch_threads=0), 2).torch_threads == max(1, cores // 2)
    assert worker_settings(base_settings.with_overrides(torch_threads=0), 64).torch_threads == 1
    assert worker_settings(base_settings.with_overrides(torch_threads=3), 2).torch_threads == 3
