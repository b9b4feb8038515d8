"""Incremental `qa ingest`: only what changed is chunked and embedded; uploads survive folder syncs; bad files
in a batch are named while the rest goes in; nothing indexed is lost; a kill leaves the previous version."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from embeddings.index_store import CURRENT_FILE, MANIFEST_FILE, current_version_dir, load_index, read_manifest
from qa_service.document_records import FOLDER, UPLOAD, document_id
from qa_service.document_service import DocumentService
from embeddings.lexical.bm25_index import BM25Index
from embeddings.lexical.chinese_tokenizer import ChineseTokenizer
from qa_service.ingestion import IngestionService, indexable_text
from qa_service.service import QAService
from documents.sandbox import InProcessParser
from tests.conftest import CORPUS
from tests.documents.hostile_files import many_page_pdf, nested_html, random_gbk_pairs
from tests.documents.loaders.builders import make_corrupt_pdf, make_docx
from tests.qa_service.intake_testlib import PDF_NAME, two_page_pdf

PLAN = (CORPUS / "中国电科双创示范基地建设方案.txt").read_text(encoding="utf-8")
COMPILATION = (CORPUS / "首批双创示范基地经验总结汇编.txt").read_text(encoding="utf-8")


def _three_files(root):
    root.mkdir()
    (root / "甲.txt").write_text(PLAN[:2500], encoding="utf-8")
    (root / "乙.txt").write_text(PLAN[2500:5000], encoding="utf-8")
    (root / "丙.txt").write_text(PLAN[5000:7500], encoding="utf-8")
    return root


@pytest.fixture()
def corpus(tmp_path):
    return _three_files(tmp_path / "corpus")


@pytest.fixture()
def cold_settings(base_settings, tmp_path):
    """A fresh index and a fresh embedding cache: the cache's misses count what the model really embedded."""
    return base_settings.with_overrides(index_dir=tmp_path / "idx", embedding_cache=str(tmp_path / "cache.sqlite"))


@pytest.fixture(scope="module")
def first_sync(base_settings, encoder, tmp_path_factory):
    """The three files of `corpus` synced once per module into a fresh index with a fresh embedding cache: the
    settings, the folder, the report, and a copy of the cache as that sync left it. The cold sync is the first
    step of test_sync_adds_updates_... (its only user of the folder and index, which it goes on changing), and
    the cache copy is every other test's warm cache: embedding the files cold once is several seconds of model."""
    root = tmp_path_factory.mktemp("first")
    settings = base_settings.with_overrides(index_dir=root / "idx", embedding_cache=str(root / "cache.sqlite"))
    corpus = _three_files(root / "corpus")
    report = IngestionService(settings, encoder).sync([corpus], show_progress=False)
    shutil.copyfile(root / "cache.sqlite", root / "warm.sqlite")
    return settings, corpus, report, root / "warm.sqlite"


@pytest.fixture(scope="module")
def warm_cache(first_sync):
    """An embedding cache holding the passages and BM25 terms of the three files of `corpus`: nearly every test
    here syncs them first, and embedding them again in each was 3-5 s of model time."""
    return first_sync[3]


@pytest.fixture()
def settings(cold_settings, warm_cache):
    """A fresh index and a private copy of the warm embedding cache (the test that counts what the model embedded
    cold takes `first_sync`)."""
    shutil.copyfile(warm_cache, cold_settings.embedding_cache)
    return cold_settings


def _vectors_by_chunk(settings) -> dict[str, np.ndarray]:
    index = load_index(settings.index_dir)
    rows = index.vectors._index.reconstruct_n(0, len(index.chunks))
    return {c.id: rows[i] for i, c in enumerate(index.chunks)}


def _chunks_of(settings, name: str) -> int:
    return next(d["chunks"] for d in read_manifest(settings.index_dir).documents if d["name"] == name)


def test_sync_adds_updates_and_removes_embedding_only_what_changed(first_sync, encoder):
    settings, corpus, first, _ = first_sync  # a cold sync into a fresh index with a fresh cache
    ingest = IngestionService(settings, encoder)
    assert sorted(first.added) == ["丙.txt", "乙.txt", "甲.txt"] and first.written
    assert first.embedded_chunks == first.chunks == first.model_chunks > 6

    again = ingest.sync([corpus], show_progress=False)
    assert not again.written and again.embedded_chunks == 0 and again.index_version == first.index_version
    assert sorted(again.unchanged) == ["丙.txt", "乙.txt", "甲.txt"]
    before = _vectors_by_chunk(settings)

    (corpus / "乙.txt").write_text(PLAN[2500:5000] + "\n\n四、补充说明\n本方案自印发之日起施行，由中国电科负责解释。\n",
                                   encoding="utf-8")
    changed = ingest.sync([corpus], show_progress=False)
    assert changed.updated == ("乙.txt",) and sorted(changed.unchanged) == ["丙.txt", "甲.txt"]
    assert changed.embedded_chunks == _chunks_of(settings, "乙.txt")  # only the changed file was embedded
    assert 0 < changed.model_chunks <= changed.embedded_chunks  # its unchanged passages came from the cache
    after = _vectors_by_chunk(settings)
    index = load_index(settings.index_dir)
    carried = [c.id for c in index.chunks if c.doc in ("甲.txt", "丙.txt")]
    assert carried and all(np.array_equal(before[i], after[i]) for i in carried)  # vectors carried over as they were
    fresh = BM25Index.build([indexable_text(c) for c in index.chunks], ChineseTokenizer())  # cached tokens: same BM25
    for query in ("中国电科双创示范基地", "本方案自印发之日起施行"):
        assert np.array_equal(index.bm25.scores(query), fresh.scores(query))

    (corpus / "丙.txt").unlink()
    (corpus / "丁.txt").write_text(COMPILATION[:2000], encoding="utf-8")
    moved = ingest.sync([corpus], show_progress=False)
    assert moved.added == ("丁.txt",) and moved.removed == ("丙.txt",) and moved.updated == ()
    assert moved.embedded_chunks == _chunks_of(settings, "丁.txt")
    service = QAService.from_settings(settings, encoder)
    docs = {p.chunk.doc for p in service.search("北京市海淀区双创经验总结 基本情况", 10)}
    assert "丁.txt" in docs and "丙.txt" not in {c.doc for c in load_index(settings.index_dir).chunks}


def test_changed_settings_and_rebuild_process_everything(settings, encoder, corpus):
    IngestionService(settings, encoder).sync([corpus], show_progress=False)
    total = read_manifest(settings.index_dir).chunk_count
    rebuilt = IngestionService(settings, encoder).sync([corpus], rebuild=True, show_progress=False)
    assert rebuilt.written and rebuilt.rebuilt and rebuilt.embedded_chunks == total and rebuilt.model_chunks == 0
    smaller = settings.with_overrides(chunk_tokens=200, chunk_overlap_tokens=40)
    report = IngestionService(smaller, encoder).sync([corpus], show_progress=False)
    assert report.rebuilt and report.embedded_chunks == report.chunks > total
    assert read_manifest(settings.index_dir).chunking["chunk_tokens"] == 200


def test_folder_sync_keeps_uploads_and_a_rebuild_reads_them_from_storage(settings, encoder, corpus):
    IngestionService(settings, encoder).sync([corpus], show_progress=False)
    documents = DocumentService(settings, encoder)
    added = documents.add("../上传/" + PDF_NAME, two_page_pdf())
    assert added.status == "added" and added.record.id == document_id(UPLOAD, PDF_NAME)
    stored = settings.index_dir / added.record.source
    assert stored.read_bytes() == two_page_pdf() and stored.is_relative_to(settings.index_dir / "uploads")

    (corpus / "甲.txt").unlink()
    report = IngestionService(settings, encoder).sync([corpus], show_progress=False)
    assert report.removed == ("甲.txt",) and PDF_NAME in report.unchanged and report.embedded_chunks == 0
    names = [r.name for r in documents.list()]
    assert PDF_NAME in names and "甲.txt" not in names

    pdf_chunks = _chunks_of(settings, PDF_NAME)
    rebuilt = IngestionService(settings, encoder).sync([corpus], rebuild=True, show_progress=False)
    assert rebuilt.rebuilt and PDF_NAME in rebuilt.unchanged
    assert rebuilt.embedded_chunks == read_manifest(settings.index_dir).chunk_count
    pages = {c.page for c in load_index(settings.index_dir).chunks if c.doc == PDF_NAME}
    assert _chunks_of(settings, PDF_NAME) == pdf_chunks and pages == {1, 2}


def test_old_manifests_without_ids_load_and_upgrade_without_embedding(settings, encoder, corpus):
    IngestionService(settings, encoder).sync([corpus], show_progress=False)
    manifest_file = current_version_dir(settings.index_dir) / MANIFEST_FILE
    data = json.loads(manifest_file.read_text())
    data["documents"] = [{k: d[k] for k in ("name", "sha256", "encoding", "chunks")} for d in data["documents"]]
    manifest_file.write_text(json.dumps(data, ensure_ascii=False))  # as written before documents had ids

    records = DocumentService(settings).list()
    assert [r.name for r in records] == sorted(["甲.txt", "乙.txt", "丙.txt"])  # folder order
    assert all(r.id and r.origin == FOLDER and r.source is None and r.added_at == data["created_at"] for r in records)
    assert QAService.from_settings(settings, encoder).ready

    upgraded = IngestionService(settings, encoder).sync([corpus], show_progress=False)
    assert upgraded.written and upgraded.embedded_chunks == 0 and len(upgraded.unchanged) == 3
    assert upgraded.added == upgraded.removed == ()
    now = read_manifest(settings.index_dir).documents
    assert all(d["id"] == document_id(FOLDER, str((corpus / d["name"]).resolve())) for d in now)


def test_bad_files_in_a_batch_are_named_the_rest_goes_in_and_nothing_indexed_is_lost(settings, encoder, corpus):
    ingest = IngestionService(settings.with_overrides(max_upload_bytes=50_000), encoder)  # a .docx is 37 KB
    ingest.sync([corpus], show_progress=False)
    before = {c.id for c in load_index(settings.index_dir).chunks if c.doc == "乙.txt"}
    (corpus / "乙.txt").write_bytes(b"\x81\xff\x80\xfe" * 8 + b"\x00\x01\x02")  # an indexed file turns undecodable
    make_corrupt_pdf(corpus / "损坏.pdf")
    (corpus / "空.md").write_bytes(b"")
    (corpus / "巨大.txt").write_text("政策" * 10_000, encoding="utf-8")
    make_docx(corpus / "通知.docx", [("heading", 1, "关于开展双创示范的通知"), "各单位要加快推进双创示范基地建设。"])
    (corpus / "图片.gif").write_bytes(b"GIF89a")  # not a type we read: skipped, not a failure
    report = ingest.sync([corpus, corpus / "不存在的文件夹"], show_progress=False)

    failed = {os.path.basename(f.path): f.kind for f in report.failures}
    assert failed == {"乙.txt": "UndecodableFile", "损坏.pdf": "CorruptDocument", "空.md": "EmptyDocument",
                      "巨大.txt": "FileTooLarge", "不存在的文件夹": "DocumentError"}
    assert all(name in f.message for name, f in zip(failed, report.failures))
    assert report.added == ("通知.docx",) and report.skipped == (str(corpus / "图片.gif"),)
    chunks = load_index(settings.index_dir).chunks
    assert {c.id for c in chunks if c.doc == "乙.txt"} == before  # the indexed version of 乙.txt stays
    assert {c.doc for c in chunks} == {"甲.txt", "乙.txt", "丙.txt", "通知.docx"}


def test_a_missing_path_removes_nothing(settings, encoder, corpus):
    ingest = IngestionService(settings, encoder)
    ingest.sync([corpus], show_progress=False)
    version = current_version_dir(settings.index_dir).name
    moved = corpus.rename(corpus.with_name("moved"))
    report = ingest.sync([corpus], show_progress=False)
    assert [f.kind for f in report.failures] == ["DocumentError"] and not report.written
    assert current_version_dir(settings.index_dir).name == version
    assert read_manifest(settings.index_dir).chunk_count > 0 and moved.is_dir()


def _qa(settings, *args, timeout=600):
    env = {**os.environ, "QA_INDEX_DIR": str(settings.index_dir), "QA_EMBEDDING_CACHE": settings.embedding_cache}
    return subprocess.run([sys.executable, "-m", "qa_service.cli", *args], capture_output=True, text=True, env=env,
                          timeout=timeout)


@pytest.fixture()
def qa_here(shared_model, monkeypatch, capsys, caplog):
    """`qa ARGS` called in this process: its exit status, stdout, and what it logged as its stderr. The composition
    root hands out the session's model: each `qa` process is seconds of imports and model load. An exception the
    command lets out fails the test here, where a process would print a traceback."""
    from qa_service.cli import main

    def run(settings, *args: str) -> subprocess.CompletedProcess:
        monkeypatch.setenv("QA_INDEX_DIR", str(settings.index_dir))
        monkeypatch.setenv("QA_EMBEDDING_CACHE", settings.embedding_cache)
        capsys.readouterr()
        caplog.clear()
        status = main(list(args))
        return subprocess.CompletedProcess(args, status, capsys.readouterr().out, caplog.text)

    return run


def test_cli_batch_with_bad_files_and_docs_commands(settings, corpus, tmp_path, qa_here):
    """`qa ingest` runs as a process; the `qa docs` commands after it in this process (qa_here)."""
    make_corrupt_pdf(corpus / "损坏.pdf")
    (corpus / "乱码.txt").write_bytes(b"\x81\xff\x80\xfe" * 8 + b"\x00\x01\x02")
    run = _qa(settings, "ingest", str(corpus), "--quiet", "--json")
    assert run.returncode == 3, run.stderr[-2000:]
    report = json.loads(run.stdout)
    assert sorted(report["added"]) == ["丙.txt", "乙.txt", "甲.txt"]
    assert {os.path.basename(f["path"]) for f in report["failures"]} == {"损坏.pdf", "乱码.txt"}
    assert "损坏.pdf" in run.stderr and "乱码.txt" in run.stderr and "Traceback" not in run.stderr

    pdf = tmp_path / PDF_NAME
    two_page_pdf(pdf)
    (tmp_path / "空.txt").write_bytes(b"")
    added = qa_here(settings, "docs", "add", str(pdf), str(tmp_path / "空.txt"))
    assert added.returncode == 3 and f"added: {document_id(UPLOAD, PDF_NAME)}" in added.stdout
    assert "空.txt" in added.stderr and "empty_document" in added.stderr

    listed = json.loads(qa_here(settings, "docs", "list", "--json").stdout)["documents"]
    assert [d["name"] for d in listed] == [*sorted(["甲.txt", "乙.txt", "丙.txt"]), PDF_NAME]
    assert listed[3]["pages"] == 2 and listed[3]["origin"] == "upload"

    removed = qa_here(settings, "docs", "remove", "乙.txt", listed[3]["id"])
    assert removed.returncode == 0 and removed.stdout.count("removed:") == 2
    unknown = qa_here(settings, "docs", "remove", "不存在.txt")
    assert unknown.returncode == 2 and "不存在.txt" in unknown.stderr and "Traceback" not in unknown.stderr
    assert sorted(r.name for r in DocumentService(settings).list()) == sorted(["甲.txt", "丙.txt"])


def test_sigkill_during_an_incremental_sync_leaves_the_previous_version(settings, encoder, corpus):
    IngestionService(settings, encoder).sync([corpus], show_progress=False)
    version = current_version_dir(settings.index_dir).name
    manifest = read_manifest(settings.index_dir)
    (corpus / "大文件.txt").write_text(COMPILATION[:120_000], encoding="utf-8")  # hundreds of new passages
    env = {**os.environ, "QA_INDEX_DIR": str(settings.index_dir), "QA_EMBEDDING_CACHE": settings.embedding_cache}
    proc = subprocess.Popen([sys.executable, "-m", "qa_service.cli", "ingest", str(corpus), "--quiet"],
                            stderr=subprocess.PIPE, text=True, env=env)
    for line in proc.stderr:
        if "new passages" in line:
            break
    time.sleep(1.0)
    assert proc.poll() is None, "the sync finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    proc.stderr.close()
    assert (settings.index_dir / CURRENT_FILE).read_text().strip() == version
    assert read_manifest(settings.index_dir) == manifest
    assert len(load_index(settings.index_dir).chunks) == manifest.chunk_count
    assert not (settings.index_dir / "uploads").exists()


def test_a_hostile_file_beside_a_good_one_is_named_and_the_good_one_indexed(settings, tmp_path, qa_here):
    """Issue 16: `qa ingest` of a folder holding 1,200 nested <div>s and a good file exited 1 and wrote nothing.
    In this process (an exception let out fails the test); the command's process is test_cli_batch_...'s."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "嵌套.html").write_bytes(nested_html(1_200))
    (folder / "乱码.txt").write_bytes(random_gbk_pairs(200_000))
    (folder / "好.txt").write_text(PLAN[:2500], encoding="utf-8")
    run = qa_here(settings, "ingest", str(folder), "--quiet", "--json")
    assert run.returncode == 3, run.stderr[-2000:]
    report = json.loads(run.stdout)
    assert report["added"] == ["好.txt"]
    assert {os.path.basename(f["path"]): f["kind"] for f in report["failures"]} == {
        "嵌套.html": "DocumentTooDeep", "乱码.txt": "NotText"}
    assert "嵌套.html" in run.stderr and "乱码.txt" in run.stderr and "Traceback" not in run.stderr
    assert {c.doc for c in load_index(settings.index_dir).chunks} == {"好.txt"}


class _Exploding:
    """A parser that fails on one file in a way no loader anticipated, and parses the others."""

    def __init__(self, bad: str) -> None:
        self.bad = bad

    def parse(self, name: str, raw: bytes):
        if name.endswith(self.bad):
            raise RuntimeError("an unexpected failure")
        return InProcessParser().parse(name, raw)


def test_any_exception_with_one_file_is_that_files_failure(settings, encoder, corpus):
    report = IngestionService(settings, encoder, parser=_Exploding("乙.txt")).sync([corpus], show_progress=False)
    assert sorted(report.added) == ["丙.txt", "甲.txt"]
    assert [(os.path.basename(f.path), f.kind) for f in report.failures] == [("乙.txt", "RuntimeError")]
    assert "乙.txt" in report.failures[0].message and "an unexpected failure" in report.failures[0].message


def test_ingest_parses_in_the_sandbox_and_a_slow_file_times_out(settings, encoder, corpus):
    (corpus / "慢.pdf").write_bytes(many_page_pdf(1_990))
    ingest = IngestionService(settings.with_overrides(parse_timeout_seconds=1.0), encoder)
    killed, parsed = ingest.parser.stats.killed, ingest.parser.stats.parsed  # the sandbox is shared per limits
    report = ingest.sync([corpus], show_progress=False)
    assert sorted(report.added) == ["丙.txt", "乙.txt", "甲.txt"]
    assert [(os.path.basename(f.path), f.kind) for f in report.failures] == [("慢.pdf", "ParseTimeout")]
    assert ingest.parser.stats.killed == killed + 1 and ingest.parser.stats.parsed == parsed + 3
