"""The vector engines the retrieval tests run on: embedded FAISS, and Milvus through pymilvus against
milvus-lite (installed with '.[milvus]'; without it those cases skip and say so)."""
from __future__ import annotations

import shutil

import pytest

from tests.conftest import needs_milvus


@pytest.fixture(scope="session")
def milvus_index(built_index, encoder, tmp_path_factory):
    """A copy of the shared test index whose vectors are searched in a Milvus Lite collection (filled the way
    `qa ingest` fills it when QA_VECTOR_STORE=milvus meets an index built without it)."""
    from qa_service.ingestion import IngestionService

    root = tmp_path_factory.mktemp("milvus-index")
    shutil.copytree(built_index.index_dir, root / "idx")
    settings = built_index.with_overrides(index_dir=root / "idx", vector_store="milvus",
                                          milvus_uri=str(root / "lite.db"), milvus_collection="test_chunks")
    ingestion = IngestionService(settings, encoder)
    assert ingestion.mirror_current() is True
    ingestion.vector_backend.close()
    return settings


@pytest.fixture(scope="session", params=["faiss", pytest.param("milvus", marks=needs_milvus)])
def engine_settings(request, built_index):
    """The shared test index with its vectors in each engine in turn."""
    if request.param == "faiss":
        return built_index
    return request.getfixturevalue("milvus_index")


@pytest.fixture(scope="session")
def engine_service(engine_settings, encoder):
    from qa_service.service import QAService

    service = QAService.from_settings(engine_settings, encoder)
    yield service
    service.vector_backend.close()


@pytest.fixture(scope="session")
def analyse(service):
    """The service's own question analysis (the index's tokenizer and IDF, the encoder, entity finding):
    analyse(text, top_k=5) gives the Query every stage of the chain reads."""
    return service._require().chain.analyser.analyse


@pytest.fixture(scope="session")
def filter_settings(base_settings, encoder, small_corpus, tmp_path_factory):
    """An index of the filter corpus (tests/qa_service/filter_corpus.py): four documents, three formats, two
    stated dates."""
    from qa_service.ingestion import IngestionService
    from tests.qa_service.filter_corpus import write_filter_corpus

    root = tmp_path_factory.mktemp("filters")
    corpus = write_filter_corpus(root / "corpus", small_corpus)
    settings = base_settings.with_overrides(index_dir=root / "idx")
    IngestionService(settings, encoder).run([corpus], show_progress=False)
    return settings
