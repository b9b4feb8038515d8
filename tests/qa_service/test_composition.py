"""The composition root: each face gets its objects from one place, and heavy state waits for warm_up()."""
from __future__ import annotations

import io

import pytest

from embeddings.encoders.lazy_encoder import LazyEncoder
from embeddings.index_store import IndexStoreError
from qa_service.api.app import create_app
from qa_service.composition import ServiceRoot
from tests.qa_service.intake_testlib import CORPUS_QUESTION, copy_index


class CountingFactory:
    """Builds the encoder by handing out the session's loaded one, counting how often it is asked to."""

    def __init__(self, encoder) -> None:
        self.encoder, self.calls = encoder, 0

    def __call__(self):
        self.calls += 1
        return self.encoder


def test_a_command_root_loads_no_model_to_list_documents(built_index, encoder):
    factory = CountingFactory(encoder)
    root = ServiceRoot(built_index, encoder=LazyEncoder(factory))
    names = [r.name for r in root.documents.list()]
    assert names and factory.calls == 0 and not root.encoder.loaded  # `qa docs list` loads no model
    assert not root.qa.ready  # built, not loaded


def test_a_serving_root_loads_the_model_once_for_questions_and_uploads(built_index, encoder, tmp_path):
    factory = CountingFactory(encoder)
    settings = copy_index(built_index, tmp_path / "idx")
    root = ServiceRoot(settings, serving=True, encoder=LazyEncoder(factory))
    assert factory.calls == 0
    root.warm_up(strict=True)
    assert root.qa.ready and factory.calls == 1
    client = create_app(root).test_client()
    client.environ_base["HTTP_X_REQUESTED_WITH"] = "test"  # a write without keys must carry it
    note = "海淀区的示范基地有一座新的图书馆，名为知行馆。".encode()
    resp = client.post("/v1/documents", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(note), "新馆.txt")})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    answer = client.post("/v1/ask", json={"question": "海淀区新的图书馆叫什么名字？"}).get_json()
    assert "知行馆" in answer["answer"]  # the upload is served at once, by this process
    assert factory.calls == 1  # the upload embedded with the query encoder: one model per process
    assert client.post("/v1/ask", json={"question": CORPUS_QUESTION}).status_code == 200


def test_warm_up_without_a_usable_index(base_settings, encoder, tmp_path):
    settings = base_settings.with_overrides(index_dir=tmp_path / "none")
    root = ServiceRoot(settings, serving=True, encoder=encoder).warm_up()
    assert not root.qa.ready and "qa ingest" in root.qa.readiness()  # served, answering 503 with the reason
    with pytest.raises(IndexStoreError):
        ServiceRoot(settings, encoder=encoder).warm_up(strict=True)  # a command fails at once


def test_one_vector_backend_per_process(built_index, encoder):
    root = ServiceRoot(built_index, serving=True, encoder=encoder)
    assert root.qa.vector_backend is root.vector_backend
    assert root.documents.ingestion.vector_backend is root.vector_backend
