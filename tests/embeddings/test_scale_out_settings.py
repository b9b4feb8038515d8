"""Settings for the scale-out pieces: chosen by QA_* variables, bad values refused with the variable named."""
from __future__ import annotations

import pytest

from qa_service.settings import Settings, SettingsError


def test_scale_out_settings_read_from_the_environment():
    settings = Settings.from_env({"QA_VECTOR_STORE": "milvus", "QA_MILVUS_URI": "http://milvus:19530",
                                  "QA_MILVUS_TOKEN": "root:Milvus", "QA_MILVUS_DB": "qa", "QA_VECTOR_MMAP": "true",
                                  "QA_INGEST_EMBEDDING": "ray", "QA_RAY_ADDRESS": "ray://head:10001",
                                  "QA_RAY_ACTORS": "4"})
    assert (settings.vector_store, settings.milvus_uri, settings.milvus_token, settings.milvus_db) == \
        ("milvus", "http://milvus:19530", "root:Milvus", "qa")
    assert settings.vector_mmap and settings.ingest_embedding == "ray" and settings.ray_actors == 4
    assert settings.ray_address == "ray://head:10001"
    defaults = Settings.from_env({})
    assert defaults.vector_store == "faiss" and not defaults.vector_mmap and defaults.milvus_uri.endswith(".db")


@pytest.mark.parametrize("env, variable", [
    ({"QA_VECTOR_STORE": "qdrant"}, "QA_VECTOR_STORE"),
    ({"QA_VECTOR_STORE": "milvus", "QA_MILVUS_URI": "/srv/milvus-data"}, "QA_MILVUS_URI"),
    ({"QA_INGEST_EMBEDDING": "spark"}, "QA_INGEST_EMBEDDING"),
    ({"QA_RAY_ACTORS": "0"}, "QA_RAY_ACTORS"),
])
def test_bad_scale_out_settings_are_refused(env, variable):
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env(env)
