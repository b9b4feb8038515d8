import numpy as np


def test_m3e_small_vectors_are_normalised_and_meaningful(encoder):
    assert encoder.dimension == 512
    docs = encoder.encode_documents(["海淀区目前有北大、清华等高等院校 33 所", "红烧肉要先焯水再小火慢炖"])
    assert docs.shape == (2, 512) and docs.dtype == np.float32
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-4)
    query = encoder.encode_query("海淀区有多少所高等院校？")
    assert np.isclose(np.linalg.norm(query), 1.0, atol=1e-4)
    related, unrelated = docs @ query
    assert related > unrelated + 0.1


def test_empty_batch_gives_empty_matrix(encoder):
    assert encoder.encode_documents([]).shape == (0, 512)
