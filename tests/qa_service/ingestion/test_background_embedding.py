"""Lexical versions: served by BM25 at once, their vectors made in the background (resumed after a kill), then a
complete version switched in that is the one a blocking `qa ingest` writes, file for file."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from embeddings.encoders.lazy_encoder import LazyEncoder
from embeddings.index_lock import EMBEDDER_LOCK_FILE, writer_lock
from embeddings.index_store import IndexCorrupted, current_version_dir, load_index, read_manifest
from embeddings.pending_vectors import PendingVectors
from qa_service.composition import ServiceRoot
from qa_service.api.app import create_app
from qa_service.ingestion import IngestionService
from qa_service.ingestion.background import BackgroundEmbedding
from qa_service.service import QAService
from qa_service.settings import PROJECT_ROOT
from tests.conftest import CORPUS

PLAN = (CORPUS / "中国电科双创示范基地建设方案.txt").read_text(encoding="utf-8")
QUESTION = "中国电科双创示范基地的建设目标是什么？"
BATCH = 2  # small batches: the vectors of this tiny corpus are made in several, and a kill falls between two


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    (root / "甲.txt").write_text(PLAN[:600], encoding="utf-8")
    (root / "乙.txt").write_text(PLAN[600:1200], encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def small_batches(base_settings, tmp_path_factory):
    """Settings without an embedding cache (every vector is the model's) and with batches of BATCH passages."""
    return base_settings.with_overrides(index_dir=tmp_path_factory.mktemp("ref") / "idx", embedding_cache="off",
                                        embedding_batch_size=BATCH)


@pytest.fixture(scope="module")
def batch_encoder(small_batches):
    from embeddings.encoders.factory import build_encoder

    return build_encoder(small_batches.encoder_spec)


@pytest.fixture(scope="module")
def reference(small_batches, batch_encoder, tiny_corpus):
    """The tiny corpus indexed by a blocking `qa ingest` (vectors made before the version is written)."""
    IngestionService(small_batches, batch_encoder).run([tiny_corpus], show_progress=False)
    return small_batches


def _no_model():
    raise AssertionError("a lexical version must be written and served without the model")


def _lexical(settings, corpus) -> None:
    service = IngestionService(settings, LazyEncoder(_no_model))
    report = service.sync([corpus], show_progress=False, lexical=True)
    assert report.written and read_manifest(settings.index_dir).pending


def _same_version(settings, reference) -> None:
    """The current versions of two index directories hold the same files (by their checksums) and manifest, but for
    the times they were made."""
    def comparable(index_dir):
        manifest = read_manifest(index_dir).to_dict()
        for record in manifest["documents"]:
            record.pop("added_at"), record.pop("updated_at")
        return {k: v for k, v in manifest.items() if k != "created_at"}

    ours, theirs = comparable(settings.index_dir), comparable(reference.index_dir)
    assert ours["dense"] == "complete" and ours["files"]["vectors.faiss"] and ours["files"]["terms/vectors.npy"]
    assert ours == theirs


def _docs_list(settings, capsys) -> str:
    from qa_service.cli import main

    capsys.readouterr()
    assert main(["docs", "list", "--index", str(settings.index_dir)]) == 0
    return capsys.readouterr().out.splitlines()[-1]


def test_a_lexical_version_is_served_by_bm25_at_once_then_switched_to_hybrid(reference, batch_encoder, tiny_corpus,
                                                                               tmp_path, capsys):
    settings = reference.with_overrides(index_dir=tmp_path / "idx")
    _lexical(settings, tiny_corpus)
    served = QAService(settings, LazyEncoder(_no_model))
    served.load()
    client = create_app(ServiceRoot(settings, serving=True, qa=served)).test_client()
    assert client.get("/readyz").status_code == 200
    info = client.get("/v1/info").get_json()
    assert info["retrieval"] == "lexical" and info["manifest"]["dense"] == "pending"
    assert info["embedding"] == {"state": "waiting", "embedded": None, "total": read_manifest(
        settings.index_dir).chunk_count, "seconds_left": None}
    found = client.post("/v1/search", json={"query": QUESTION, "top_k": 3}).get_json()
    assert found["retrieval"] == "lexical" and found["results"]
    assert all(set(r["scores"]) & {"bm25", "dense"} == {"bm25"} for r in found["results"])
    asked = client.post("/v1/ask", json={"question": QUESTION}).get_json()
    assert asked["retrieval"] == "lexical" and asked["citations"]

    total = read_manifest(settings.index_dir).chunk_count
    assert _docs_list(settings, capsys) == (f"vectors: not made yet for {total} passages (lexical retrieval; a "
                                            "running `qa serve` makes them, or `qa ingest`)")
    lexical_version = current_version_dir(settings.index_dir).name
    written = IngestionService(settings, batch_encoder).complete_pending()
    assert written is not None and written.name != lexical_version
    _same_version(settings, reference)
    assert not PendingVectors(settings.index_dir, "", "").path.exists()  # emptied once complete
    assert load_index(settings.index_dir).vectors is not None
    assert _docs_list(settings, capsys) == f"vectors: complete ({total} passages; hybrid retrieval)"

    hybrid = QAService(settings, batch_encoder)
    hybrid.load()
    client = create_app(ServiceRoot(settings, serving=True, qa=hybrid)).test_client()
    found = client.post("/v1/search", json={"query": QUESTION, "top_k": 3}).get_json()
    assert found["retrieval"] == "hybrid" and {"bm25", "dense"} <= set(found["results"][0]["scores"])
    info = client.get("/v1/info").get_json()
    assert info["retrieval"] == "hybrid" and info["embedding"]["state"] == "complete"


def test_a_damaged_lexical_version_is_refused(reference, tiny_corpus, tmp_path):
    settings = reference.with_overrides(index_dir=tmp_path / "idx")
    _lexical(settings, tiny_corpus)
    bm25 = next((current_version_dir(settings.index_dir) / "bm25").glob("*.npy"))
    bm25.write_bytes(bm25.read_bytes()[:-8] + b"\0" * 8)
    with pytest.raises(IndexCorrupted):
        load_index(settings.index_dir)


KILLED_EMBEDDER = """
import sys, time
from pathlib import Path
import qa_service.ingestion.background as background
from qa_service.ingestion import IngestionService
from qa_service.settings import Settings

noted = background.write_progress
def note_then_hang(index_dir, progress):
    noted(index_dir, progress)
    if progress.phase == "passages" and progress.embedded:  # the first batch of passages is committed: be killed
        Path(sys.argv[2]).write_text(str(progress.embedded))
        time.sleep(600)
background.write_progress = note_then_hang
settings = Settings.from_env(index_dir=Path(sys.argv[1]), embedding_cache="off", embedding_batch_size=%d)
IngestionService(settings).complete_pending()
""" % BATCH


def test_a_kill_during_background_embedding_loses_one_batch_and_the_next_run_ends_identical(
        reference, batch_encoder, tiny_corpus, tmp_path, caplog):
    settings = reference.with_overrides(index_dir=tmp_path / "idx")
    _lexical(settings, tiny_corpus)
    total = read_manifest(settings.index_dir).chunk_count
    assert total > 2 * BATCH
    marker = tmp_path / "first-batch"
    child = subprocess.Popen([sys.executable, "-c", KILLED_EMBEDDER, str(settings.index_dir), str(marker)],
                             cwd=PROJECT_ROOT, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 300
        while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), child.stderr.read().decode(errors="replace")[-2000:] if child.poll() else "timeout"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert marker.read_text() == str(BATCH)
    manifest = read_manifest(settings.index_dir)
    assert manifest.pending and "terms/vectors.npy" in manifest.files  # lexical, with the term vectors made first
    assert load_index(settings.index_dir).terms is not None
    version = current_version_dir(settings.index_dir).name

    # Another process holds the embedder lock: this one's background thread leaves the index alone ...
    done = threading.Event()
    background = BackgroundEmbedding(IngestionService(settings, batch_encoder).completer, on_complete=done.set,
                                     poll_seconds=0.1)
    with writer_lock(settings.index_dir, lock_file=EMBEDDER_LOCK_FILE):
        background.start()
        time.sleep(1.0)
        assert not background.embedding and read_manifest(settings.index_dir).pending
    # ... until it is gone; then it carries on from the committed batch.
    with caplog.at_level("INFO", logger="qa_service.ingestion.background"):
        assert done.wait(300), "the background embedding did not finish"
    background.stop(timeout=10)
    assert f"passages of {version}: {total - BATCH} to embed, {BATCH} already made" in caplog.text
    _same_version(settings, reference)


def test_an_upload_is_answerable_lexically_when_the_request_returns_then_hybrid(reference, encoder, tmp_path):
    settings = reference.with_overrides(index_dir=tmp_path / "idx")
    shutil.copytree(reference.index_dir, settings.index_dir)
    root = ServiceRoot(settings, serving=True, encoder=encoder).warm_up(strict=True)
    try:
        client = create_app(root).test_client()
        text = "星河市立图书馆的开放时间为每周二至周日上午九点到晚上八点，周一闭馆整理。"
        upload = client.post("/v1/documents", data={"file": (__import__("io").BytesIO(text.encode()), "馆规.txt")},
                             headers={"X-Requested-With": "test"})
        assert upload.status_code in (200, 201), upload.get_data(as_text=True)
        asked = client.post("/v1/ask", json={"question": "星河市立图书馆周一开放吗？"}).get_json()
        assert asked["retrieval"] == "lexical" and asked["citations"][0]["doc"] == "馆规.txt"
        deadline = time.monotonic() + 300
        while client.get("/v1/info").get_json()["retrieval"] != "hybrid" and time.monotonic() < deadline:
            time.sleep(0.2)
        asked = client.post("/v1/ask", json={"question": "星河市立图书馆周一开放吗？"}).get_json()
        assert asked["retrieval"] == "hybrid" and asked["citations"][0]["doc"] == "馆规.txt"
        listed = client.get("/v1/documents").get_json()["documents"]
        upload_id = next(d["id"] for d in listed if d["name"] == "馆规.txt")
        assert client.delete(f"/v1/documents/{upload_id}", headers={"X-Requested-With": "test"}).status_code == 204
        after = client.post("/v1/ask", json={"question": "星河市立图书馆周一开放吗？"}).get_json()
        assert after["retrieval"] == "hybrid" and all(c["doc"] != "馆规.txt" for c in after["citations"])
    finally:
        root.close()
