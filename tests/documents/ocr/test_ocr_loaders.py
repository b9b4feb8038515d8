"""Scans through the real loaders and the real OCR model (in this process): a mixed PDF has only its scanned page
recognised, and the chunks of that page say so; what OCR may not do is refused before any recognition."""
from __future__ import annotations

import io

import pytest
from ocr_pages import ANSWER_PHRASE, SCANNED_PAGE, TEXT_PAGE
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, NumberObject, StreamObject
from scans import NEEDS_CJK_FONT, bomb_png, cjk_font_available, mixed_pdf, scanned_pdf

from documents import ChunkingConfig, DocumentPipeline
from documents.errors import DocumentTooLarge, ScannedPdf, UnsupportedFileType
from documents.loaders import REGISTRY, default_registry
from documents.ocr import OcrOptions


@pytest.mark.skipif(not cjk_font_available(), reason=NEEDS_CJK_FONT)
def test_a_mixed_pdf_has_only_its_scanned_page_read_by_ocr_and_its_chunks_say_so(caplog):
    caplog.set_level("INFO", logger="documents.loaders.pdf_loader")
    doc = REGISTRY.load_bytes("混合.pdf", mixed_pdf(TEXT_PAGE, SCANNED_PAGE))
    assert doc.ocr_pages == (2,) and len(doc.page_starts) == 2
    first = doc.text.split("\n")[: doc.page_starts[1] - 1]
    assert "规划建设青岛海洋科技创新中心。" in "".join(first)  # page 1: its text layer, as extracted
    assert ANSWER_PHRASE in doc.text.replace(" ", "")
    assert [r.getMessage().split(" in ")[0] for r in caplog.records if "OCR page" in r.getMessage()] == [
        "混合.pdf: OCR page 2 (1 of 1)"]  # one page recognised, and it is page 2
    _, chunks = DocumentPipeline(ChunkingConfig(chunk_tokens=40, overlap_tokens=0)).process(doc)
    assert {(c.page, c.ocr) for c in chunks} == {(1, False), (2, True)}


def test_a_decompression_bomb_image_is_refused_from_its_header():
    raw = bomb_png()  # 100,000 x 100,000 pixels declared in 65 bytes
    with pytest.raises(DocumentTooLarge) as refused:
        REGISTRY.load_bytes("炸弹.png", raw)
    assert refused.value.limit == "ocr_pixels"
    assert "炸弹.png" in str(refused.value) and "10,000,000,000" in str(refused.value)
    assert "QA_OCR_MAX_PIXELS" in str(refused.value)


def _pdf_with_image(width: int, height: int) -> bytes:
    """A one-page PDF drawing one image whose dictionary declares width x height (its data: a few bytes)."""
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    image = StreamObject()
    image.set_data(b"\x00" * 16)
    image.update({NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Image"),
                  NameObject("/Width"): NumberObject(width), NameObject("/Height"): NumberObject(height),
                  NameObject("/ColorSpace"): NameObject("/DeviceGray"), NameObject("/BitsPerComponent"): NumberObject(8)})
    xobjects = DictionaryObject({NameObject("/Im0"): writer._add_object(image)})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/XObject"): xobjects})
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_a_scanned_page_drawing_a_bomb_of_an_image_is_refused_before_rendering():
    with pytest.raises(DocumentTooLarge) as refused:
        REGISTRY.load_bytes("大图.pdf", _pdf_with_image(100_000, 100_000))
    assert refused.value.limit == "ocr_pixels" and "page 1" in str(refused.value)


def test_more_scanned_pages_than_allowed_are_refused_before_any_recognition():
    registry = default_registry(OcrOptions(max_pages=1))
    with pytest.raises(DocumentTooLarge) as refused:
        registry.load_bytes("两页扫描.pdf", scanned_pdf([TEXT_PAGE, SCANNED_PAGE]))
    assert refused.value.limit == "ocr_pages" and "QA_OCR_MAX_PAGES" in str(refused.value)


def test_with_ocr_off_scans_are_refused_and_images_are_not_a_supported_type():
    registry = default_registry(OcrOptions(enabled=False))
    with pytest.raises(ScannedPdf, match="run OCR on it first"):
        registry.load_bytes("扫描.pdf", scanned_pdf([SCANNED_PAGE]))
    with pytest.raises(UnsupportedFileType, match="QA_OCR=on"):
        registry.load_bytes("照片.jpg", b"\xff\xd8\xff")
    assert ".png" in REGISTRY.extensions and ".png" not in registry.extensions
