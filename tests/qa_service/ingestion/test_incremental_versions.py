"""Versions written incrementally (token rows carried, vectors linked): an upload, an update and a deletion search
exactly as a full ingest of the same files; a damaged carried file is never carried on; a kill during an upload's
write leaves the previous version in service; a deletion is served as soon as the request returns."""
from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from embeddings.carried_vectors import CARRIED_DIR
from embeddings.encoders.lazy_encoder import LazyEncoder
from embeddings.index_store import CURRENT_FILE, current_version_dir, load_index, read_manifest, read_version
from embeddings.lexical.bm25_index import BM25Index
from embeddings.index_spec import indexable_text
from embeddings.index_writer import IndexWriter
from qa_service.api.app import create_app
from qa_service.composition import ServiceRoot
from qa_service.document_service import DocumentService, KnowledgeBaseConflict
from qa_service.ingestion import IngestionService
from qa_service.service import QAService
from tests.conftest import CORPUS

PLAN = (CORPUS / "中国电科双创示范基地建设方案.txt").read_text(encoding="utf-8")
LIBRARY = "星河市立图书馆的开放时间为每周二至周日上午九点到晚上八点，周一闭馆整理。馆内设有少儿阅览区和创新实验室。"
QUESTIONS = ["中国电科双创示范基地的建设目标是什么？", "星河市立图书馆周一开放吗？", "创新实验室", "孵化 平台 建设"]


def _no_model():
    raise AssertionError("a lexical version must be written and served without the model")


def _folder(root, files: dict[str, str]):
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def _scratch(base_settings, tmp_path, files: dict[str, str], name: str):
    """The same files indexed from scratch (lexical: no model), in the same order."""
    settings = base_settings.with_overrides(index_dir=tmp_path / name / "idx")
    IngestionService(settings, LazyEncoder(_no_model)).sync([_folder(tmp_path / name / "docs", files)],
                                                           show_progress=False, lexical=True)
    return settings


def _same_search(ours, theirs) -> None:
    """Same passages in the same order, BM25 matrices equal bit for bit (corpus-wide statistics), same rankings."""
    a, b = load_index(ours.index_dir), load_index(theirs.index_dir)
    assert [indexable_text(c) for c in a.chunks] == [indexable_text(c) for c in b.chunks]
    for name in ("data", "indices", "indptr"):
        assert np.asarray(a.bm25._retriever.scores[name]).tobytes() == np.asarray(b.bm25._retriever.scores[name]).tobytes()
    fresh = BM25Index.build([indexable_text(c) for c in a.chunks], a.bm25.tokenize)
    assert np.asarray(fresh._retriever.scores["data"]).tobytes() == np.asarray(a.bm25._retriever.scores["data"]).tobytes()
    qa, qb = QAService(ours.with_overrides(retriever="bm25")), QAService(theirs.with_overrides(retriever="bm25"))
    qa.load(), qb.load()
    for question in QUESTIONS:
        assert np.array_equal(a.bm25.scores(question), b.bm25.scores(question))
        assert [(p.chunk.id, p.score) for p in qa.search(question, 5)] == [(p.chunk.id, p.score) for p in qb.search(question, 5)]


@pytest.fixture()
def complete(base_settings, encoder, tmp_path):
    """Two files indexed by a blocking ingest (a complete version, with token rows)."""
    settings = base_settings.with_overrides(index_dir=tmp_path / "ours" / "idx")
    IngestionService(settings, encoder).run([_folder(tmp_path / "ours" / "docs", {"a.txt": PLAN[:900],
                                                                                 "b.txt": PLAN[900:1800]})],
                                            show_progress=False)
    return settings


def test_upload_update_and_delete_search_as_a_full_ingest_of_the_same_files(complete, base_settings, encoder, tmp_path):
    documents = DocumentService(complete, encoder)
    documents.lexical = True
    documents.add("c.txt", LIBRARY.encode())
    assert read_manifest(complete.index_dir).pending
    assert (complete.index_dir / CARRIED_DIR).is_dir()  # the complete version's vectors, linked for the embedder
    _same_search(complete, _scratch(base_settings, tmp_path, {"a.txt": PLAN[:900], "b.txt": PLAN[900:1800],
                                                              "c.txt": LIBRARY}, "added"))
    documents.add("c.txt", (LIBRARY + "周六延长开放至晚上十点。").encode())  # an update keeps its place
    _same_search(complete, _scratch(base_settings, tmp_path, {"a.txt": PLAN[:900], "b.txt": PLAN[900:1800],
                                                              "c.txt": LIBRARY + "周六延长开放至晚上十点。"}, "updated"))
    documents.remove("a.txt")
    _same_search(complete, _scratch(base_settings, tmp_path, {"b.txt": PLAN[900:1800],
                                                              "c.txt": LIBRARY + "周六延长开放至晚上十点。"}, "removed"))


def test_damaged_token_rows_are_not_carried_into_the_next_version(complete, caplog):
    """A damaged version is refused by uploads (its checksums), and the writer checks the rows it takes again."""
    index = load_index(complete.index_dir)
    counts = current_version_dir(complete.index_dir) / "bm25" / "rows.counts.npy"
    data = bytearray(counts.read_bytes())
    data[-1] ^= 0x01
    counts.write_bytes(bytes(data))
    documents = DocumentService(complete)
    documents.lexical = True
    with pytest.raises(KnowledgeBaseConflict):
        documents.add("c.txt", LIBRARY.encode())
    rebuilt = IndexWriter(complete.index_dir, complete.index_spec).bm25(index.chunks)
    assert "fails its checksum" in caplog.text
    fresh = BM25Index.build([indexable_text(c) for c in index.chunks], index.bm25.tokenize)
    for name in ("data", "indices", "indptr"):
        assert np.asarray(rebuilt._retriever.scores[name]).tobytes() == np.asarray(fresh._retriever.scores[name]).tobytes()


def test_a_kill_during_an_uploads_write_leaves_the_previous_version_in_service(complete):
    version = current_version_dir(complete.index_dir).name
    manifest = read_manifest(complete.index_dir)
    script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        import embeddings.index_writer as writer
        from qa_service.document_service import DocumentService, KnowledgeBaseConflict
        from qa_service.settings import Settings

        def stall(root):
            print("writing", flush=True)
            time.sleep(120)

        writer._fsync_tree = stall
        documents = DocumentService(Settings.from_env(index_dir=Path({str(complete.index_dir)!r}),
                                                      embedding_cache={complete.embedding_cache!r}))
        documents.lexical = True
        documents.add("c.txt", {LIBRARY!r}.encode())
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert proc.stdout.readline().strip() == "writing", "the upload did not reach its write"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    proc.stdout.close()
    assert (complete.index_dir / CURRENT_FILE).read_text().strip() == version
    assert read_manifest(complete.index_dir) == manifest
    assert len(load_index(complete.index_dir).chunks) == manifest.chunk_count  # every checksum holds
    documents = DocumentService(complete)
    documents.lexical = True
    documents.add("c.txt", LIBRARY.encode())  # the next write clears what the killed one left
    assert not list(complete.index_dir.glob(".tmp-v-*"))
    assert [r.name for r in documents.list()] == ["a.txt", "b.txt", "c.txt"]


def test_an_upload_and_a_deletion_are_served_when_the_request_returns(complete, encoder):
    root = ServiceRoot(complete, serving=True,
                       encoder=encoder).warm_up(strict=True)
    try:
        client = create_app(root).test_client()
        posted = client.post("/v1/documents", data={"file": (io.BytesIO(LIBRARY.encode()), "c.txt")},
                             headers={"X-Requested-With": "test"})
        assert posted.status_code in (200, 201), posted.get_data(as_text=True)
        asked = client.post("/v1/ask", json={"question": "星河市立图书馆周一开放吗？"}).get_json()
        assert asked["retrieval"] == "lexical" and asked["citations"][0]["doc"] == "c.txt"
        upload_id = next(d["id"] for d in client.get("/v1/documents").get_json()["documents"] if d["name"] == "c.txt")
        assert client.delete(f"/v1/documents/{upload_id}", headers={"X-Requested-With": "test"}).status_code == 204
        after = client.post("/v1/ask", json={"question": "星河市立图书馆周一开放吗？"}).get_json()
        assert all(c["doc"] != "c.txt" for c in after["citations"])
        found = client.post("/v1/search", json={"query": "星河市立图书馆的开放时间与双创示范基地", "top_k": 5}).get_json()
        assert found["results"] and all(p["doc"] != "c.txt" for p in found["results"])
    finally:
        root.close()


class _Counting:
    """The real encoder, counting the texts it is asked to embed."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.texts: list[str] = []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def encode_documents(self, texts, *args, **kwargs):
        self.texts.extend(texts)
        return self.inner.encode_documents(texts, *args, **kwargs)


def test_the_background_takes_the_carried_vectors_and_embeds_only_what_is_new(base_settings, encoder, tmp_path):
    settings = base_settings.with_overrides(index_dir=tmp_path / "idx", embedding_cache="off")
    IngestionService(settings, encoder).run([_folder(tmp_path / "docs", {"a.txt": PLAN[:900],
                                                                        "b.txt": PLAN[900:1800]})], show_progress=False)
    held = load_index(settings.index_dir)
    held_vectors = read_version(settings.index_dir).vectors
    documents = DocumentService(settings, encoder)
    documents.lexical = True
    documents.add("c.txt", LIBRARY.encode())
    assert (settings.index_dir / CARRIED_DIR).is_dir()
    counting = _Counting(encoder)
    assert IngestionService(settings, counting).complete_pending() is not None
    assert not (settings.index_dir / CARRIED_DIR).exists()
    complete = load_index(settings.index_dir)
    assert not complete.lexical_only and len(complete.chunks) > len(held.chunks)
    assert not set(counting.texts) & {indexable_text(c) for c in held.chunks}  # no passage embedded again
    assert not set(counting.texts) & set(held.terms.vocabulary)  # nor a word
    new = [c for c in complete.chunks if c.doc == "c.txt"]
    assert {indexable_text(c) for c in new} <= set(counting.texts)
    stored = read_version(settings.index_dir)  # the carried rows are the vectors held before, bit for bit
    after = {c.id: v for c, v in zip(stored.chunks, stored.vectors)}
    assert all(np.array_equal(after[c.id], v) for c, v in zip(held.chunks, held_vectors))
