"""The approximate vector stores (HNSW, IVF), opening any saved store, and the store chosen by size.

Vectors are real m3e-small passage vectors from the test index, grown to a few thousand rows by
perturbed copies (the same recipe as benchmarks/growth.py uses at 100x), with real encoded questions
as queries: neighbours then sit in the same clumpy space as in production, unlike uniform noise.
"""
from __future__ import annotations

import faiss
import numpy as np
import pytest

from embeddings.index_store import current_version_dir
from embeddings.vector_stores.chooser import (EXACT_SEARCH_MAX_ROWS, choose_vector_store, load_vector_store,
                                              store_kind)
from embeddings.vector_stores.faiss_hnsw_store import FaissHNSWStore
from embeddings.vector_stores.faiss_ivf_store import FaissIVFStore
from embeddings.vector_stores.faiss_store import FaissFlatStore

QUESTIONS = ["海淀区有多少所高等院校？", "中国电科双创示范基地启动阶段的起止时间是什么？", "中关村创业大街是哪一年建设的？",
             "海淀区股权投资机构管理资本量有多大？", "中国电科新型智慧城市建设企业联盟有多少家企业？",
             "首都科技条件平台开放了多少个实验室？", "双创示范基地的核心价值观是什么？", "红烧肉怎么做才好吃？"]


@pytest.fixture(scope="module")
def real_vectors(built_index) -> np.ndarray:
    index = faiss.read_index(str(current_version_dir(built_index.index_dir) / "vectors.faiss"))
    return index.reconstruct_n(0, index.ntotal)


@pytest.fixture(scope="module")
def grown(real_vectors) -> np.ndarray:
    rng = np.random.default_rng(7)
    n, d = real_vectors.shape
    copies = [real_vectors]
    while sum(len(c) for c in copies) < 6000:
        block = real_vectors + 0.3 * real_vectors[rng.integers(0, n, n)] + rng.normal(0, 0.02, (n, d))
        copies.append((block / np.linalg.norm(block, axis=1, keepdims=True)).astype(np.float32))
    return np.vstack(copies)


@pytest.fixture(scope="module")
def queries(encoder) -> np.ndarray:
    return np.vstack([encoder.encode_query(q) for q in QUESTIONS])


def _recall_at_10(store, exact: FaissFlatStore, queries: np.ndarray) -> float:
    hits = []
    for q in queries:
        _, got = store.search(q, 10)
        _, truth = exact.search(q, 10)
        hits.append(len(set(got.tolist()) & set(truth.tolist())) / 10)
    return float(np.mean(hits))


@pytest.fixture(scope="module")
def exact(grown) -> FaissFlatStore:
    store = FaissFlatStore(grown.shape[1])
    store.add(grown)
    return store


def test_hnsw_finds_nearly_all_exact_neighbours(grown, exact, queries):
    store = FaissHNSWStore(grown.shape[1])
    store.add(grown)
    assert len(store) == len(grown)
    assert _recall_at_10(store, exact, queries) >= 0.95


def test_ivf_finds_most_exact_neighbours(grown, exact, queries):
    store = FaissIVFStore(grown.shape[1])
    store.add(grown)
    assert len(store) == len(grown)
    assert _recall_at_10(store, exact, queries) >= 0.9


def test_approximate_stores_score_candidates_exactly(grown, exact, queries):
    """Hybrid fusion rescores another retriever's rows with `similarities`: it must not be approximate."""
    rows = np.array([0, 17, 999, len(grown) - 1])
    for store in (FaissHNSWStore(grown.shape[1]), FaissIVFStore(grown.shape[1])):
        store.add(grown)
        np.testing.assert_allclose(store.similarities(queries[0], rows), exact.similarities(queries[0], rows),
                                   rtol=1e-5, atol=1e-6)
        scores, found = store.search(queries[0], 5)
        np.testing.assert_allclose(scores, exact.similarities(queries[0], found), rtol=1e-5, atol=1e-6)


def test_hnsw_returns_top_k_even_beyond_its_search_breadth(grown, queries):
    store = FaissHNSWStore(grown.shape[1], ef_search=16)
    store.add(grown)
    scores, rows = store.search(queries[0], 300)
    assert len(rows) == 300 and len(set(rows.tolist())) == 300
    assert np.all(np.diff(scores) <= 1e-6)  # best first


@pytest.mark.parametrize("make", [FaissFlatStore, FaissHNSWStore, FaissIVFStore], ids=["flat", "hnsw", "ivf"])
def test_save_and_load_round_trip_keeps_kind_and_results(make, grown, queries, tmp_path):
    store = make(grown.shape[1])
    store.add(grown)
    written = store.save(tmp_path)
    assert written == ["vectors.faiss"]
    loaded = load_vector_store(tmp_path, grown.shape[1])
    assert type(loaded) is make and store_kind(loaded) == store_kind(store) and len(loaded) == len(grown)
    for q in queries:
        before, after = store.search(q, 20), loaded.search(q, 20)
        np.testing.assert_array_equal(before[1], after[1])
        np.testing.assert_allclose(before[0], after[0], rtol=1e-6)


def test_load_refuses_another_dimension(grown, tmp_path):
    store = FaissHNSWStore(grown.shape[1])
    store.add(grown[:100])
    store.save(tmp_path)
    with pytest.raises(ValueError, match="dimensional"):
        load_vector_store(tmp_path, 256)


def test_load_refuses_an_unsupported_faiss_index(tmp_path):
    faiss.write_index(faiss.IndexFlatL2(8), str(tmp_path / "vectors.faiss"))  # L2, not inner product
    with pytest.raises(ValueError, match="unsupported"):
        load_vector_store(tmp_path, 8)


def test_ivf_store_cannot_be_saved_before_it_has_vectors(tmp_path):
    with pytest.raises(ValueError, match="add them"):
        FaissIVFStore(8).save(tmp_path)


def test_wrong_shape_is_refused():
    for store in (FaissHNSWStore(8), FaissIVFStore(8)):
        with pytest.raises(ValueError, match="shape"):
            store.add(np.zeros((3, 7), dtype=np.float32))


def test_chooser_is_exact_up_to_the_threshold_and_hnsw_above():
    assert store_kind(choose_vector_store(10, 512)) == "flat"
    assert store_kind(choose_vector_store(EXACT_SEARCH_MAX_ROWS, 512)) == "flat"
    assert store_kind(choose_vector_store(EXACT_SEARCH_MAX_ROWS + 1, 512)) == "hnsw"
    assert store_kind(choose_vector_store(5000, 512, exact_max_rows=1000)) == "hnsw"
    assert store_kind(choose_vector_store(5000, 512, exact_max_rows=10_000)) == "flat"
    assert choose_vector_store(10, 384).dimension == 384


@pytest.mark.parametrize("make", [FaissFlatStore, FaissHNSWStore, FaissIVFStore], ids=["flat", "hnsw", "ivf"])
def test_mapped_store_searches_alike_and_refuses_writes(make, grown, queries, tmp_path):
    store = make(grown.shape[1])
    store.add(grown)
    store.save(tmp_path)
    mapped = load_vector_store(tmp_path, grown.shape[1], mmap=True)
    assert type(mapped) is make and mapped.read_only
    np.testing.assert_array_equal(mapped.search(queries[0], 20)[1], store.search(queries[0], 20)[1])
    with pytest.raises(ValueError, match="read-only"):
        mapped.add(grown[:3])


@pytest.mark.parametrize("make", [FaissFlatStore, FaissHNSWStore, FaissIVFStore], ids=["flat", "hnsw", "ivf"])
def test_a_row_selection_is_searched_through_an_id_selector(make, grown, exact, queries):
    """Filters reach FAISS as an id selector: every hit is a selected row and k come back; a flat store gives
    the exact top k of the selection, approximate ones nearly; a selection too small for HNSW's walk to meet
    is scored exactly."""
    store = make(grown.shape[1])
    store.add(grown)
    rows = np.arange(3, len(grown), 5, dtype=np.int64)
    tiny = np.array([11, 2000, 4321], dtype=np.int64)
    overlap = []
    for q in queries:
        _, got = store.search(q, 10, rows=rows)
        assert len(got) == 10 and set(got.tolist()) <= set(rows.tolist())
        truth = rows[np.argsort(-exact.similarities(q, rows), kind="stable")[:10]]
        overlap.append(len(set(got.tolist()) & set(truth.tolist())) / 10)
        scores, few = store.search(q, 10, rows=tiny)
        assert sorted(few.tolist()) == sorted(tiny.tolist())
        assert np.allclose(scores, exact.similarities(q, few), atol=1e-5)
        assert store.search(q, 10, rows=np.zeros(0, dtype=np.int64))[1].size == 0
    assert np.mean(overlap) == 1.0 if make is FaissFlatStore else np.mean(overlap) >= 0.8
