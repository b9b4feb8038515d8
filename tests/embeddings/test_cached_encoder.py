import numpy as np

from embeddings.encoders.cached_encoder import CachedEncoder


def test_second_pass_embeds_nothing_and_gives_identical_vectors(encoder, tmp_path):
    cached = CachedEncoder(encoder, tmp_path / "cache.sqlite")
    texts = ["海淀区目前有北大、清华等高等院校 33 所", "中国电科开放仪器设备", "海淀区目前有北大、清华等高等院校 33 所"]
    first = cached.encode_documents(texts)
    assert cached.misses == 3 and cached.hits == 0
    again = CachedEncoder(encoder, tmp_path / "cache.sqlite").encode_documents(texts)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_allclose(first, encoder.encode_documents(texts), atol=1e-5)


def test_only_changed_text_is_embedded(encoder, tmp_path):
    cached = CachedEncoder(encoder, tmp_path / "cache.sqlite")
    cached.encode_documents(["甲文档的内容", "乙文档的内容"])
    cached.hits = cached.misses = 0
    cached.encode_documents(["甲文档的内容", "乙文档改过的内容"])
    assert (cached.hits, cached.misses) == (1, 1)


def test_damaged_cache_file_is_replaced(encoder, tmp_path):
    path = tmp_path / "cache.sqlite"
    path.write_bytes(b"this is not a sqlite database" * 100)
    cached = CachedEncoder(encoder, path)
    assert cached.encode_documents(["中国电科"]).shape == (1, 512)


def test_a_text_repeated_in_a_batch_is_embedded_once(encoder, tmp_path):
    asked: list[list[str]] = []

    class Counting:
        model_id, dimension = encoder.model_id, encoder.dimension

        def encode_documents(self, texts, show_progress=False):
            asked.append(list(texts))
            return encoder.encode_documents(texts)

    cached = CachedEncoder(Counting(), tmp_path / "cache.sqlite")
    texts = ["满盘测试文件：推进科技成果转化。"] * 5 + ["中国电科开放仪器设备", "满盘测试文件：推进科技成果转化。"]
    vectors = cached.encode_documents(texts)
    assert asked == [["满盘测试文件：推进科技成果转化。", "中国电科开放仪器设备"]]
    assert (cached.misses, cached.hits) == (7, 0)  # counted per passage, as before
    np.testing.assert_allclose(vectors, encoder.encode_documents(texts), atol=1e-5)
    assert all(np.array_equal(vectors[0], v) for v in vectors[[1, 2, 3, 4, 6]])
