"""Embedding on Ray (local instance, 2 actors, small batches) gives the plain encoder's vectors, in order."""
from __future__ import annotations

import functools

import numpy as np
import pytest

pytest.importorskip("ray.data", reason="ray is not installed: pip install '.[distributed]' to run the Ray encoder tests")

from embeddings.encoders.ray_encoder import RayEncoder  # noqa: E402
from embeddings.encoders.factory import build_encoder  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # raised inside ray.data itself
TEXTS = 24  # enough for several batches per actor, few enough to keep the test short


@pytest.fixture(scope="module")
def ray_encoder(base_settings, encoder, local_ray):
    factory = functools.partial(build_encoder, base_settings.encoder_spec)
    ray_encoder = RayEncoder(factory, encoder, address="", actors=2, batches_per_task=1)
    yield ray_encoder
    ray_encoder.close()


def test_ray_vectors_equal_the_plain_encoders_in_input_order(ray_encoder, encoder, excerpt_texts, monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)  # a local instance, whatever the environment says
    # Interleave the two documents and reverse, so that input order differs from any natural order.
    texts = excerpt_texts[:TEXTS // 2] + excerpt_texts[-(TEXTS // 2):]
    texts = texts[::-2] + texts[::2]
    expected = encoder.encode_documents(texts)
    got = ray_encoder.encode_documents(texts)
    assert got.shape == (len(texts), encoder.dimension) and got.dtype == np.float32
    assert np.abs(got - expected).max() <= 1e-5
    # Each row is its own text's vector: swapping any two rows would break this.
    assert (np.argmax(got @ expected.T, axis=1) == np.arange(len(texts))).all()


def test_queries_and_small_batches_stay_local(ray_encoder, encoder):
    assert ray_encoder.model_id == encoder.model_id and ray_encoder.dimension == encoder.dimension
    query = "海淀区有多少所高等院校？"
    assert np.array_equal(ray_encoder.encode_query(query), encoder.encode_query(query))
    assert ray_encoder.encode_documents([]).shape == (0, encoder.dimension)


def test_bad_pool_settings_are_refused(encoder):
    with pytest.raises(ValueError):
        RayEncoder(lambda: encoder, encoder, actors=0)
