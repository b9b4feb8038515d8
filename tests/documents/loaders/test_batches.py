"""Folders with bad files: the default keeps the old behaviour; on_error lets a batch go on and report."""
from __future__ import annotations

import pytest
from builders import make_chinese_pdf, make_corrupt_pdf, make_docx, make_image_pdf

from documents import (
    CorruptDocument,
    DocumentError,
    DocumentPipeline,
    EmptyDocument,
    LoadFailure,
    ScannedPdf,
    UndecodableFile,
    load_paths,
)

GOOD = "为贯彻落实国家创新驱动发展战略，加快建设科技强国，制定本方案。\n"


@pytest.fixture()
def folder(tmp_path):
    (tmp_path / "1好.txt").write_text(GOOD, encoding="utf-8")
    make_chinese_pdf(tmp_path / "2好.pdf", [GOOD, GOOD])
    make_docx(tmp_path / "3好.docx", [("heading", 1, "总体要求"), GOOD.strip()])
    make_corrupt_pdf(tmp_path / "4坏.pdf")
    make_image_pdf(tmp_path / "5扫描.pdf")
    (tmp_path / "6乱码.txt").write_bytes(b"\x81\xff\x80\xfe" * 8 + b"\x00\x01\x02")
    (tmp_path / "7空.md").write_bytes(b"")
    (tmp_path / "8图片.gif").write_bytes(b"GIF89a")
    return tmp_path


def test_callable_on_error_collects_failures_and_goes_on(folder) -> None:
    failures: list[LoadFailure] = []
    docs = load_paths([folder], on_error=failures.append)
    assert [d.name for d in docs] == ["1好.txt", "2好.pdf", "3好.docx"]
    assert [(f.path.rsplit("/", 1)[-1], f.kind) for f in failures] == [
        ("4坏.pdf", "CorruptDocument"), ("5扫描.pdf", "ScannedPdf"), ("6乱码.txt", "UndecodableFile"),
        ("7空.md", "EmptyDocument")]
    assert all(f.path.rsplit("/", 1)[-1] in f.reason for f in failures)


def test_pipeline_run_reports_failures_in_the_batch(folder) -> None:
    batch = DocumentPipeline().run([folder, folder / "missing.txt"], on_error="skip")
    assert [s.name for s in batch.sources] == ["1好.txt", "2好.pdf", "3好.docx"]
    assert {c.doc for c in batch.chunks} == {"1好.txt", "2好.pdf", "3好.docx"}
    assert [type(f.error) for f in batch.failures[:4]] == [CorruptDocument, ScannedPdf, UndecodableFile, EmptyDocument]
    assert isinstance(batch.failures[4].error, DocumentError) and "missing.txt" in batch.failures[4].reason
    pdf_chunks = [c for c in batch.chunks if c.doc == "2好.pdf"]
    assert pdf_chunks and all(c.page in (1, 2) for c in pdf_chunks)
    assert all(c.page is None for c in batch.chunks if c.doc != "2好.pdf")


def test_pipeline_run_with_a_callable_also_fills_the_batch(folder) -> None:
    seen: list[str] = []
    batch = DocumentPipeline().run([folder], on_error=lambda f: seen.append(f.kind))
    assert seen == [type(f.error).__name__ for f in batch.failures] and len(seen) == 4


def test_default_skips_unreadable_files_in_folders_but_raises_for_the_rest(folder) -> None:
    with pytest.raises(ScannedPdf, match="5扫描.pdf"):  # corrupt 4坏.pdf was skipped with a warning first
        load_paths([folder])
    (folder / "5扫描.pdf").unlink()
    (folder / "6乱码.txt").unlink()
    (folder / "7空.md").unlink()
    assert [d.name for d in load_paths([folder])] == ["1好.txt", "2好.pdf", "3好.docx"]
    with pytest.raises(CorruptDocument, match="4坏.pdf"):  # named explicitly, it raises
        load_paths([folder / "4坏.pdf"])
