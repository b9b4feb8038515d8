"""The registry of knowledge bases on disk: names, atomic create/rename/delete under concurrent callers, and the
settings each one gets (no model needed)."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest

from qa_service.knowledge_bases import DEFAULT_KB, KnowledgeBaseNotFound, KnowledgeBaseStore
from qa_service.knowledge_bases.names import (DefaultKnowledgeBaseFixed, InvalidKnowledgeBase, KnowledgeBaseExists,
                                              checked_name)
from qa_service.settings import Settings
from tests.conftest import needs_milvus


@pytest.fixture()
def store(tmp_path) -> KnowledgeBaseStore:
    return KnowledgeBaseStore(Settings.from_env(index_dir=tmp_path / "index"))


@pytest.mark.parametrize("name", ["", "A", "a b", "..", "../a", "a/b", "a\\b", ".a", "-a", "_a", "a" * 65, "ａ",
                                  "中文", "a\n", "a\x00", None, 3])
def test_names_outside_the_slug_are_refused(name):
    with pytest.raises(InvalidKnowledgeBase):
        checked_name(name)


def test_a_knowledge_base_lives_beside_the_index_with_its_own_settings(store, tmp_path):
    record = store.create("hr", {"chunk_tokens": 200, "chunk_overlap_tokens": 40})
    assert store.names() == [DEFAULT_KB, "hr"] and store.root == tmp_path / "kbs"
    settings = store.settings_for(record)
    assert settings.index_dir == tmp_path / "kbs" / "hr" / "index"
    assert (settings.chunk_tokens, settings.chunk_overlap_tokens) == (200, 40)
    assert settings.milvus_collection.endswith(record.id)
    assert store.settings_for(store.get(DEFAULT_KB)) is store.settings


@pytest.mark.parametrize("overrides", [{"top_k": 3}, {"chunk_tokens": "200"}, {"chunk_overlap_tokens": 500},
                                       {"cleaning": "html"}, {"bm25_stop_words": 1}])
def test_settings_a_knowledge_base_cannot_have(store, overrides):
    with pytest.raises(InvalidKnowledgeBase):
        store.create("x", overrides)
    assert store.names() == [DEFAULT_KB]  # nothing left behind


def test_default_is_fixed_and_names_are_unique(store):
    store.create("a")
    for name in ("a", "default", "qa-service"):
        with pytest.raises(KnowledgeBaseExists):
            store.create(name)
    with pytest.raises(DefaultKnowledgeBaseFixed):
        store.rename(DEFAULT_KB, "b")
    with pytest.raises(DefaultKnowledgeBaseFixed):
        store.delete(DEFAULT_KB)
    with pytest.raises(KnowledgeBaseNotFound):
        store.rename("nope", "b")


def test_concurrent_creates_of_one_name_make_one(store):
    results: list[str] = []

    def create() -> None:
        try:
            store.create("same")
            results.append("created")
        except KnowledgeBaseExists:
            results.append("exists")

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["created"] + ["exists"] * 7
    assert [p.name for p in store.root.iterdir() if not p.name.startswith(".kbs")] == ["same"]


def test_rename_and_delete_change_the_entry_at_once(store):
    record = store.create("old")
    index = store.settings_for(record).index_dir
    index.mkdir(parents=True)
    (index / "CURRENT").write_text("v-1")
    stamp = store.stamp("old")
    renamed = store.rename("old", "new")
    assert store.stamp("old") is None and store.stamp("new") == stamp  # the same entry, moved
    assert renamed.id == record.id and (store.settings_for(renamed).index_dir / "CURRENT").read_text() == "v-1"
    store.delete("new")
    assert store.names() == [DEFAULT_KB] and store.stamp("new") is None
    assert [p.name for p in store.root.iterdir()] == [".kbs.lock"]  # no folder left, hidden or not
    again = store.create("new")
    assert again.id != record.id


def test_a_folder_without_kb_json_is_not_a_knowledge_base(store):
    (store.root / "stray").mkdir(parents=True)
    (store.root / "Upper").mkdir()
    (Path(store.root) / "Upper" / "kb.json").write_text("{}")
    assert store.names() == [DEFAULT_KB]
    with pytest.raises(KnowledgeBaseNotFound):
        store.get("stray")


def test_a_leftover_folder_does_not_block_its_name(store):
    (store.root / "ghost" / "index").mkdir(parents=True)  # a late writer of a deleted knowledge base
    assert store.names() == [DEFAULT_KB]
    store.create("ghost")
    assert store.names() == [DEFAULT_KB, "ghost"] and not (store.root / "ghost" / "index").exists()


@needs_milvus
def test_deleting_a_knowledge_base_drops_its_milvus_collection_and_no_other(tmp_path):
    import numpy as np
    from pymilvus import MilvusClient

    from embeddings.vector_stores.milvus_store import MilvusVectorStore

    uri = str(tmp_path / "milvus.db")
    store = KnowledgeBaseStore(Settings.from_env(index_dir=tmp_path / "index", vector_store="milvus", milvus_uri=uri))
    collections = {}
    for name in ("sea", "town"):
        collection = store.settings_for(store.create(name)).milvus_collection
        held = MilvusVectorStore(uri, 4, collection=collection)
        held.add(["d-1"], ["d"], np.ones((1, 4), dtype=np.float32))
        held.close()
        collections[name] = collection

    store.delete("sea")

    client = MilvusClient(uri=uri)
    try:
        assert not client.has_collection(collections["sea"])
        assert client.has_collection(collections["town"])
    finally:
        client.close()
    assert store.names() == [DEFAULT_KB, "town"]
