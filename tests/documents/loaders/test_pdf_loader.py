"""PDF: text layer with page starts, pages on chunks, and clear errors for scans and damaged files."""
from __future__ import annotations

import pytest
from builders import make_chinese_pdf, make_corrupt_pdf, make_encrypted_pdf, make_image_pdf

from documents import (
    CorruptDocument,
    DocumentPipeline,
    EmptyDocument,
    EncryptedDocument,
    ScannedPdf,
    load_bytes,
    load_file,
)
from documents_testlib import normalize

FILLER = "为贯彻落实国家创新驱动发展战略，加快建设科技强国，推动高质量发展，"
PAGE_1 = "一、总体要求\n" + FILLER * 5 + "制定本方案。\n（一）指导思想\n坚持创新在现代化建设全局中的核心地位。"
PAGE_2 = "二、主要任务\n" + FILLER * 4 + "到2025年，高新技术企业数量达到五千家。\n第二页的最后一句话在这里。"


def test_two_page_chinese_pdf_keeps_text_and_page_starts(tmp_path) -> None:
    raw = make_chinese_pdf(tmp_path / "方案.pdf", [PAGE_1, PAGE_2])
    doc = load_file(tmp_path / "方案.pdf")
    assert doc.format == "pdf" and doc.name == "方案.pdf" and doc.path == str(tmp_path / "方案.pdf")
    assert load_bytes("方案.pdf", raw).text == doc.text
    lines = doc.text.split("\n")
    assert len(doc.page_starts) == 2 and doc.page_starts[0] == 1
    assert lines[doc.page_starts[1] - 1] == "二、主要任务"  # page 2 starts on its own line
    assert normalize(PAGE_1) in normalize("".join(lines[: doc.page_starts[1] - 1]))
    assert normalize(PAGE_2) in normalize("".join(lines[doc.page_starts[1] - 1:]))
    assert doc.page_of(1) == 1 and doc.page_of(doc.page_starts[1]) == 2 and doc.page_of(len(lines)) == 2


def test_chunks_carry_the_page_of_their_first_and_last_line(small_pipeline: DocumentPipeline) -> None:
    source = load_bytes("方案.pdf", make_chinese_pdf(None, [PAGE_1, PAGE_2]))
    cleaned, chunks = small_pipeline.process(source)
    assert "- 1 -" not in cleaned.text  # page-number footers cleaned away
    last = next(c for c in chunks if normalize("第二页的最后一句话在这里") in normalize(c.text))
    assert last.page == 2 and last.page_end == 2
    first = next(c for c in chunks if normalize("一、总体要求") in normalize(c.text))
    assert first.page == 1
    assert [c.page for c in chunks] == sorted(c.page for c in chunks)
    assert {c.page for c in chunks} == {1, 2}
    for c in chunks:
        assert c.page == source.page_of(c.line_start) and c.page_end == source.page_of(c.line_end)
        assert c.page <= c.page_end
    sections = {c.section for c in chunks}
    assert "一、总体要求 > （一）指导思想" in sections and "二、主要任务" in sections


def test_a_chunk_across_a_page_break_spans_both_pages(pipeline: DocumentPipeline) -> None:
    source = load_bytes("跨页.pdf", make_chinese_pdf(None, [FILLER * 3 + "这句话从第一页开始", "并在第二页结束。" + FILLER]))
    cleaned, chunks = pipeline.process(source)
    assert normalize("这句话从第一页开始并在第二页结束") in normalize(cleaned.text)
    (chunk,) = chunks
    assert (chunk.page, chunk.page_end) == (1, 2)


def test_image_only_pdf_is_refused_as_scanned(tmp_path) -> None:
    path = tmp_path / "扫描件.pdf"
    make_image_pdf(path)
    with pytest.raises(ScannedPdf, match="扫描件.pdf.*no text layer"):
        load_file(path)
    with pytest.raises(EmptyDocument, match="扫描件.pdf"):  # ScannedPdf is an EmptyDocument
        load_bytes("扫描件.pdf", path.read_bytes())


def test_corrupt_pdf_names_the_file() -> None:
    with pytest.raises(CorruptDocument, match=r"^坏文件\.pdf: not a readable PDF"):
        load_bytes("坏文件.pdf", make_corrupt_pdf(None))
    truncated = make_chinese_pdf(None, [PAGE_1])
    with pytest.raises(CorruptDocument, match="截断.pdf"):
        load_bytes("截断.pdf", truncated[: len(truncated) // 2])


def test_password_protected_pdf_is_refused_but_owner_only_encryption_opens() -> None:
    with pytest.raises(EncryptedDocument, match="加密.pdf.*password"):
        load_bytes("加密.pdf", make_encrypted_pdf(None, [PAGE_1], user_password="secret"))
    doc = load_bytes("限制复制.pdf", make_encrypted_pdf(None, [PAGE_1, PAGE_2], user_password=""))
    assert "第二页的最后一句话在这里。" in doc.text and len(doc.page_starts) == 2


def test_a_blank_page_keeps_later_page_numbers_right(small_pipeline: DocumentPipeline) -> None:
    # Page 2 is blank (an inserted image page would look the same): page 3's text is on page 3.
    source = load_bytes("空白页.pdf", make_chinese_pdf(None, [PAGE_1, "", PAGE_2], page_numbers=False))
    assert len(source.page_starts) == 3
    _, chunks = small_pipeline.process(source)
    last = next(c for c in chunks if "第二页的最后一句话在这里" in c.text)
    assert last.page == 3
