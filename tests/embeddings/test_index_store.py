import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from embeddings.index_store import (CURRENT_FILE, IndexCorrupted, IndexMismatch, IndexNotFound, current_version_dir,
                                    load_index, read_manifest)
from qa_service.service import QAService, check_compatible
from tests.conftest import CORPUS, haidian_section


def test_round_trip_keeps_chunks_vectors_and_manifest(built_index, service):
    index = load_index(built_index.index_dir)
    manifest = index.manifest
    assert manifest.model == "m3e-small" and manifest.dimension == 512
    assert manifest.chunk_count == len(index.chunks) == len(index.vectors) > 20
    assert manifest.chunking["chunk_tokens"] == built_index.chunk_tokens
    assert len(manifest.corpus_fingerprint) == 64 and manifest.created_at and manifest.package_version
    assert {d["name"] for d in manifest.documents} == {"中国电科双创示范基地建设方案.txt", "北京市海淀区双创经验总结.txt"}
    assert set(manifest.files) >= {"chunks.jsonl", "vectors.faiss"}
    assert len({c.id for c in index.chunks}) == len(index.chunks)
    row = np.array([3])
    vector = index.vectors.similarities(np.eye(512, dtype=np.float32)[0], row)
    assert vector.shape == (1,)


def test_missing_index_says_how_to_build_it(tmp_path):
    with pytest.raises(IndexNotFound, match="qa ingest"):
        load_index(tmp_path / "nothing")


def test_index_from_another_model_is_refused(built_index):
    index = load_index(built_index.index_dir)
    other = built_index.with_overrides(embedding_model="BAAI/bge-small-zh-v1.5")
    with pytest.raises(IndexMismatch, match="QA_EMBEDDING_MODEL=m3e-small"):
        check_compatible(index, other)
    with pytest.raises(IndexMismatch, match="chunking"):
        check_compatible(index, built_index.with_overrides(chunk_tokens=built_index.chunk_tokens + 64))


def test_an_index_of_other_lexical_or_indexed_text_settings_is_served_as_built_with_a_warning(built_index, caplog):
    """The server compares with the writer's specification (embeddings/index_spec.py): BM25 queries use the
    tokenizer saved with the version, so another tokenizer or indexed text is served, and said."""
    index = load_index(built_index.index_dir)
    with caplog.at_level("WARNING", logger="qa_service.service"):
        check_compatible(index, built_index.with_overrides(bm25_tokenizer="precise", indexed_text="text"))
    assert "served as built" in caplog.text and "lexical" in caplog.text and "chunking" in caplog.text
    assert built_index.index_spec.matches(index.manifest)  # and the index is what the settings ask for


def _copy_index(src, dst):
    import shutil
    shutil.copytree(src, dst)
    return dst


def test_damaged_file_is_detected_by_checksum(built_index, tmp_path):
    copy = _copy_index(built_index.index_dir, tmp_path / "idx")
    version = current_version_dir(copy)
    with open(version / "vectors.faiss", "r+b") as fh:
        fh.seek(200)
        fh.write(b"\x00\x01\x02\x03")
    with pytest.raises(IndexCorrupted, match="vectors.faiss"):
        load_index(copy)
    service = QAService.from_settings(built_index.with_overrides(index_dir=copy), strict=False)
    assert not service.ready and "damaged" in service.load_error
    assert str(copy) not in service.load_error  # clients never see server paths


def test_truncated_chunk_store_is_detected(built_index, tmp_path):
    copy = _copy_index(built_index.index_dir, tmp_path / "idx")
    chunks = current_version_dir(copy) / "chunks.jsonl"
    chunks.write_bytes(chunks.read_bytes()[:1000])
    with pytest.raises(IndexCorrupted):
        load_index(copy)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_interrupted_ingest_leaves_previous_index_in_service(built_index, small_corpus, tmp_path, sig):
    copy = _copy_index(built_index.index_dir, tmp_path / "idx")
    before = read_manifest(copy)
    before_version = current_version_dir(copy).name
    # A fresh embedding cache and --rebuild (an unchanged corpus is otherwise carried over): it must really
    # be embedding when it is interrupted.
    env = {**os.environ, "QA_INDEX_DIR": str(copy), "QA_EMBEDDING_CACHE": str(tmp_path / "fresh.sqlite")}
    # SIGINT restored to its default in the child: a runner started in the background of a non-interactive shell
    # passes SIGINT down ignored, and Ctrl-C is what this test is about.
    proc = subprocess.Popen([sys.executable, "-m", "qa_service.cli", "ingest", str(small_corpus), "--quiet",
                             "--rebuild"],
                            stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    # Wait until embedding has started, then interrupt mid-way.
    started = False
    for line in proc.stderr:
        if "new passages" in line:
            started = True
            break
    assert started, "ingest never started embedding"
    time.sleep(1.0)
    assert proc.poll() is None, "ingest finished before it could be interrupted"
    proc.send_signal(sig)
    proc.wait(timeout=60)
    proc.stderr.close()
    if sig == signal.SIGINT:
        assert proc.returncode == 130
    assert current_version_dir(copy).name == before_version
    assert read_manifest(copy) == before
    loaded = load_index(copy)
    assert len(loaded.chunks) == before.chunk_count
    # The next ingest cleans any staging left by a hard kill and switches atomically.
    assert (copy / CURRENT_FILE).read_text().strip() == before_version
    if sig == signal.SIGINT:
        assert not list(copy.glob(".tmp-v-*"))


def test_killing_ingest_at_random_points_never_damages_the_index(built_index, tmp_path):
    """SIGKILL at seeded random moments of a whole run (start-up, chunking, embedding, writing)."""
    import random

    # Both documents of small_corpus cut to 30 passages (and 998 BM25 terms), so moments up to 8 s spread over
    # start-up and embedding as moments up to 14 s did over the whole small_corpus (125 passages, 2,263 terms):
    # a full run of it took 48 s at load 8.5 on 2 cores (14 s start-up, 18 s passages, 11 s terms), so roughly
    # 12 s on a quiet machine. The sleeps were 29 s of the test's 30 s.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    plan = (CORPUS / "中国电科双创示范基地建设方案.txt").read_text(encoding="utf-8")
    (corpus / "中国电科双创示范基地建设方案.txt").write_text(plan[:3000], encoding="utf-8")
    (corpus / "北京市海淀区双创经验总结.txt").write_text(haidian_section()[:3000], encoding="utf-8")
    copy = _copy_index(built_index.index_dir, tmp_path / "idx")
    rng = random.Random(20261121)
    env = {**os.environ, "QA_INDEX_DIR": str(copy)}
    outcomes = []
    for attempt in range(4):
        env["QA_EMBEDDING_CACHE"] = str(tmp_path / f"cache-{attempt}.sqlite")  # fresh: it really embeds
        proc = subprocess.Popen([sys.executable, "-m", "qa_service.cli", "ingest", str(corpus), "--quiet",
                                 "--rebuild"], stderr=subprocess.DEVNULL, env=env)
        time.sleep(rng.uniform(0.2, 8.0))
        finished = proc.poll() is not None
        proc.kill()
        proc.wait(timeout=60)
        outcomes.append("finished" if finished else "killed")
        loaded = load_index(copy)  # always loadable, checksums included
        assert len(loaded.chunks) == loaded.manifest.chunk_count == len(loaded.vectors)
    assert "killed" in outcomes


def test_large_indexes_get_hnsw_and_load_mapped(tmp_path):
    """Above the exact-search threshold the version holds an HNSW graph; it loads (mapped or not), searches,
    and gives its vectors back row for row for the next incremental write."""
    from documents.models import Chunk
    from embeddings.index_store import read_version
    from embeddings.index_writer import write_index
    from embeddings.lexical.bm25_index import BM25Index
    from embeddings.lexical.chinese_tokenizer import ChineseTokenizer
    from embeddings.vector_stores.faiss_hnsw_store import FaissHNSWStore

    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(300, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    chunks = [Chunk(id=f"c{i}", doc="a.txt", title="甲", section="", text=f"第{i}段 创新创业", start=i, end=i + 1,
                    line_start=1, line_end=1) for i in range(300)]
    tokenizer = ChineseTokenizer()
    bm25 = BM25Index.from_tokens([tokenizer(c.text) for c in chunks], tokenizer)
    fields = {"model": "m", "chunking": {}, "corpus_fingerprint": "f", "documents": []}
    write_index(tmp_path / "small", chunks, vectors, bm25, fields, exact_max_rows=300)
    assert read_manifest(tmp_path / "small").vector_index == "flat"
    write_index(tmp_path / "big", chunks, vectors, bm25, fields, exact_max_rows=299)
    assert read_manifest(tmp_path / "big").vector_index == "hnsw"
    for mmap in (False, True):
        index = load_index(tmp_path / "big", mmap=mmap)
        assert isinstance(index.vectors, FaissHNSWStore) and index.vectors.read_only == mmap
        scores, rows = index.vectors.search(vectors[17], 5)
        assert rows[0] == 17 and scores[0] == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_array_equal(read_version(tmp_path / "big").vectors, vectors)
