"""The keyed vector store contract, run against both engines: embedded FAISS and Milvus (Milvus Lite).

Real m3e-small vectors of real corpus excerpts; Milvus through pymilvus against milvus-lite in-process.
"""
from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from embeddings.vector_stores.faiss_keyed import FaissKeyedStore
from embeddings.vector_stores.faiss_store import FaissFlatStore
from embeddings.vector_stores.keyed_base import KeyedVectorStore, RowSelection
from tests.conftest import needs_milvus

QUESTIONS = ["海淀区有多少所高等院校？", "中国电科双创示范基地的建设目标是什么？", "海淀区如何支持创业孵化？",
             "中关村科学城", "军民融合", "人才引进政策"]
_names = itertools.count()


@pytest.fixture(scope="module")
def milvus_file(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("milvus") / "lite.db"


def _milvus(milvus_file: Path, dimension: int, **options) -> KeyedVectorStore:
    from embeddings.vector_stores.milvus_store import MilvusVectorStore

    return MilvusVectorStore(str(milvus_file), dimension, collection=f"c{next(_names)}", **options)


@pytest.fixture(params=["faiss", pytest.param("milvus", marks=needs_milvus)])
def make_store(request, milvus_file):
    """An empty store of the parametrised engine (a fresh Milvus collection per store)."""
    made: list[KeyedVectorStore] = []

    def make(dimension: int) -> KeyedVectorStore:
        store = FaissKeyedStore(dimension=dimension) if request.param == "faiss" else _milvus(milvus_file, dimension)
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()


@pytest.fixture(scope="module")
def corpus(excerpt_chunks, excerpt_vectors):
    return [c.id for c in excerpt_chunks], [c.doc for c in excerpt_chunks], excerpt_vectors


def _flat_reference(ids, docs, vectors) -> FaissKeyedStore:
    reference = FaissKeyedStore(dimension=vectors.shape[1])
    reference.add(ids, docs, vectors)
    return reference


def test_add_search_count(make_store, corpus):
    ids, docs, vectors = corpus
    store = make_store(vectors.shape[1])
    store.add(ids, docs, vectors)
    assert len(store) == len(ids)
    for row in (0, len(ids) // 2, len(ids) - 1):
        best = store.search(vectors[row], 3)
        assert best[0].chunk_id == ids[row] and best[0].score == pytest.approx(1.0, abs=1e-5)
        assert best[0].score >= best[1].score >= best[2].score
    assert store.search(vectors[0], 0) == []


def test_top_k_and_scores_equal_exact_faiss(make_store, corpus, encoder):
    ids, docs, vectors = corpus
    store = make_store(vectors.shape[1])
    store.add(ids, docs, vectors)
    reference = _flat_reference(ids, docs, vectors)
    for question in QUESTIONS:
        query = encoder.encode_query(question)
        got, expected = store.search(query, 10), reference.search(query, 10)
        assert [h.chunk_id for h in got] == [h.chunk_id for h in expected], question
        assert np.allclose([h.score for h in got], [h.score for h in expected], atol=1e-5)


def test_exact_similarities_equal_faiss_in_the_order_asked(make_store, corpus, encoder):
    ids, docs, vectors = corpus
    store = make_store(vectors.shape[1])
    store.add(ids, docs, vectors)
    reference = FaissFlatStore(vectors.shape[1])
    reference.add(vectors)
    query = encoder.encode_query(QUESTIONS[0])
    rows = np.random.default_rng(7).permutation(len(ids))[:30]
    got = store.similarities(query, [ids[r] for r in rows])
    assert np.abs(got - reference.similarities(query, rows)).max() <= 1e-5
    with pytest.raises(KeyError, match="not in the store"):
        store.similarities(query, [ids[0], "no-such-chunk"])


def test_incremental_add_and_delete_by_document(make_store, corpus, encoder):
    ids, docs, vectors = corpus
    first_doc = docs[0]
    mine = [i for i, d in enumerate(docs) if d == first_doc]
    others = [i for i, d in enumerate(docs) if d != first_doc]
    assert mine and others
    store = make_store(vectors.shape[1])
    store.add([ids[i] for i in mine], [docs[i] for i in mine], vectors[mine])
    store.add([ids[i] for i in others], [docs[i] for i in others], vectors[others])  # a second ingest run
    assert len(store) == len(ids)
    query = encoder.encode_query(QUESTIONS[0])
    assert [h.chunk_id for h in store.search(query, 8)] == [h.chunk_id for h in
                                                           _flat_reference(ids, docs, vectors).search(query, 8)]

    assert store.delete_documents([first_doc, "never-indexed.txt"]) == len(mine)
    assert len(store) == len(others)
    remaining = store.search(query, len(ids))
    assert {h.chunk_id for h in remaining} == {ids[i] for i in others}
    expected = _flat_reference([ids[i] for i in others], [docs[i] for i in others], vectors[others])
    assert [h.chunk_id for h in store.search(query, 8)] == [h.chunk_id for h in expected.search(query, 8)]
    with pytest.raises(KeyError):
        store.similarities(query, [ids[mine[0]]])
    assert store.delete_documents([first_doc]) == 0

    store.add([ids[i] for i in mine], [docs[i] for i in mine], vectors[mine])  # the document comes back
    assert len(store) == len(ids)
    assert store.search(vectors[mine[0]], 1)[0].chunk_id == ids[mine[0]]


def test_adding_an_existing_id_replaces_its_vector(make_store, corpus):
    ids, docs, vectors = corpus
    store = make_store(vectors.shape[1])
    store.add(ids[:5], docs[:5], vectors[:5])
    store.add([ids[0]], [docs[0]], vectors[10:11])
    assert len(store) == 5
    assert store.similarities(vectors[10], [ids[0]])[0] == pytest.approx(1.0, abs=1e-5)
    assert store.search(vectors[10], 1)[0].chunk_id == ids[0]


def test_bad_batches_are_refused_before_writing(make_store, corpus):
    ids, docs, vectors = corpus
    store = make_store(vectors.shape[1])
    for bad in [(ids[:2], docs[:2], vectors[:3]), (ids[:2], docs[:2], vectors[:2, :10]),
                ([ids[0], ids[0]], docs[:2], vectors[:2]), (["", ids[1]], docs[:2], vectors[:2]),
                (ids[:2], docs[:2], np.full((2, vectors.shape[1]), np.nan, dtype=np.float32))]:
        with pytest.raises(ValueError):
            store.add(*bad)
    assert len(store) == 0


def test_faiss_keyed_store_keys_an_existing_index(corpus):
    """The adapter over an index as saved today: row i of vectors.faiss is chunk i of the chunk store."""
    ids, docs, vectors = corpus
    rows = FaissFlatStore(vectors.shape[1])
    rows.add(vectors)
    store = FaissKeyedStore(rows, ids, docs)
    assert store.search(vectors[3], 1)[0].chunk_id == ids[3]
    store.delete_documents([docs[0]])
    assert list(store.live_rows()) == [i for i, d in enumerate(docs) if d != docs[0]]
    with pytest.raises(ValueError, match="rows"):
        FaissKeyedStore(rows, ids[:-1], docs[:-1])


@needs_milvus
def test_milvus_full_text_bm25_finds_the_chunk_for_a_chinese_question(milvus_file, excerpt_chunks, excerpt_texts,
                                                                       excerpt_vectors):
    store = _milvus(milvus_file, excerpt_vectors.shape[1], full_text=True)
    try:
        store.add([c.id for c in excerpt_chunks], [c.doc for c in excerpt_chunks], excerpt_vectors,
                  texts=excerpt_texts)
        hits = store.full_text_search("海淀区有多少所高等院校", 5)
        assert len(hits) == 5 and all(h.score > 0 for h in hits)
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        by_id = {c.id: c for c in excerpt_chunks}
        assert "高等院校" in by_id[hits[0].chunk_id].text
        assert store.full_text_search("   ", 5) == []
        with pytest.raises(ValueError, match="one text per chunk"):
            store.add([excerpt_chunks[0].id], [excerpt_chunks[0].doc], excerpt_vectors[:1])
        store.delete_documents([by_id[hits[0].chunk_id].doc])
        assert hits[0].chunk_id not in {h.chunk_id for h in store.full_text_search("海淀区有多少所高等院校", 5)}
    finally:
        store.close()


@needs_milvus
def test_milvus_refuses_a_collection_of_another_dimension_and_a_bad_uri(milvus_file, tmp_path):
    from embeddings.vector_stores.milvus_store import MilvusVectorStore

    MilvusVectorStore(str(milvus_file), 8, collection="dims").close()
    with pytest.raises(ValueError, match="8-dimensional"):
        MilvusVectorStore(str(milvus_file), 512, collection="dims")
    with pytest.raises(ValueError, match=r"\.db"):
        MilvusVectorStore(str(tmp_path / "folder"), 8)


@needs_milvus
def test_milvus_document_ids_with_quotes_are_deleted_exactly(milvus_file):
    store = _milvus(milvus_file, 4)
    try:
        docs = ['a"b.txt', 'a\\b.txt', "a'b.txt"]
        store.add(["x", "y", "z"], docs, np.eye(4, dtype=np.float32)[:3])
        assert store.delete_documents(['a"b.txt']) == 1
        assert store.delete_documents(["a\\b.txt"]) == 1
        assert [h.chunk_id for h in store.search(np.eye(4, dtype=np.float32)[2], 3)] == ["z"]
    finally:
        store.close()


@needs_milvus
def test_milvus_collection_reopened_is_searchable(milvus_file):
    """A collection opened again (another process, a restart) starts released in Milvus: the store loads it."""
    from embeddings.vector_stores.milvus_store import MilvusVectorStore

    first = MilvusVectorStore(str(milvus_file), 4, collection="reopened")
    first.add(["x", "y"], ["d", "d"], np.eye(4, dtype=np.float32)[:2])
    first._client.release_collection("reopened")  # what a fresh process finds
    first.close()
    again = MilvusVectorStore(str(milvus_file), 4, collection="reopened")
    try:
        assert len(again) == 2 and again.search(np.eye(4, dtype=np.float32)[1], 1)[0].chunk_id == "y"
    finally:
        again.close()


def _exact_top(vectors: np.ndarray, query: np.ndarray, rows: np.ndarray, k: int) -> list[int]:
    scores = vectors[rows] @ query
    return [int(rows[i]) for i in np.lexsort((rows, -scores))[:k]]


@pytest.mark.parametrize("by", ["keys", "documents"])
def test_a_selection_is_searched_inside_the_engine_and_gives_its_own_top_k(make_store, corpus, encoder, by):
    """Filters: the k best of the selected rows come back (not the k best of all, less those outside)."""
    ids, docs, vectors = corpus
    store = make_store(vectors.shape[1])
    store.add(ids, docs, vectors)
    query = encoder.encode_query(QUESTIONS[1])
    everywhere = [h.chunk_id for h in store.search(query, 10)]
    # the selection leaves out the best rows of the whole store: a post-filter of the top 10 would leave few
    outside = {docs[ids.index(everywhere[0])]}
    rows = np.array([r for r in range(len(ids)) if docs[r] not in outside], dtype=np.int64)
    assert len(rows) >= 10
    only = RowSelection(rows, ids, frozenset(docs[r] for r in rows) if by == "documents" else None)
    got = store.search(query, 10, only)
    assert [h.chunk_id for h in got] == [ids[r] for r in _exact_top(vectors, query, rows, 10)]
    assert sum(1 for c in everywhere if docs[ids.index(c)] not in outside) < 10
    assert store.search(query, 10, RowSelection(np.zeros(0, dtype=np.int64), ids)) == []


def test_milvus_selection_expressions_name_documents_or_the_fewer_keys():
    from embeddings.vector_stores.milvus_store import selection_expression

    keys = [f"d{i % 2}-c{i}" for i in range(6)]
    assert selection_expression(None) == ""
    assert selection_expression(RowSelection(np.array([0, 2, 4]), keys, frozenset({"d0"}))) == 'doc in ["d0"]'
    assert selection_expression(RowSelection(np.array([1, 4]), keys)) == 'id in ["d1-c1", "d0-c4"]'
    assert selection_expression(RowSelection(np.array([0, 1, 2, 3, 5]), keys)) == 'id not in ["d0-c4"]'
    assert selection_expression(RowSelection(np.arange(6), keys)) == ""
