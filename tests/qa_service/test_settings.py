from pathlib import Path

import pytest

from qa_service.settings import Settings, SettingsError


def test_env_then_overrides():
    env = {"QA_RETRIEVER": "bm25", "QA_TOP_K": "7", "QA_INDEX_DIR": "/tmp/x"}
    s = Settings.from_env(env)
    assert (s.retriever, s.top_k, s.index_dir) == ("bm25", 7, Path("/tmp/x"))
    assert Settings.from_env(env, retriever="dense", top_k=None).retriever == "dense"


@pytest.mark.parametrize("env", [{"QA_RETRIEVER": "magic"}, {"QA_TOP_K": "seven"}, {"QA_TOP_K": "0"},
                                 {"QA_CHUNK_OVERLAP_TOKENS": "9999"}])
def test_bad_values_name_the_variable(env):
    with pytest.raises(SettingsError, match="QA_"):
        Settings.from_env(env)
