"""Scans made in the tests: text PDFs rendered to images and put back into a PDF (or an image file) with no text
layer left, as a scanner would. Pages are cropped to their text (plus a margin) so that OCR, which reads every
page at the same working size, has little blank paper to look at: the tests stay cheap on 2 cores."""
from __future__ import annotations

import io
from typing import Sequence

import pypdfium2 as pdfium
from PIL import Image, ImageOps

from tests.documents.loaders.builders import make_chinese_pdf

DPI = 150
# PDFium draws reportlab's built-in STSong-Light with a system CJK font: without one the pages carry no Chinese.
CJK_FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
             "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
NEEDS_CJK_FONT = "rendering Chinese PDFs needs a CJK font: apt-get install fonts-noto-cjk (.ci/run installs it)"


def cjk_font_available() -> bool:
    from pathlib import Path

    return any(Path(font).exists() for font in CJK_FONTS)


def _cropped(image: Image.Image, margin: int = 24) -> Image.Image:
    box = ImageOps.invert(image.convert("L")).getbbox()
    if box is None:
        return image
    left, top, right, bottom = box
    return image.crop((max(left - margin, 0), max(top - margin, 0), min(right + margin, image.width),
                       min(bottom + margin, image.height)))


def page_images(text_pdf: bytes, crop: bool = True) -> list[Image.Image]:
    """Each page of `text_pdf` as a grey image at DPI, cropped to its text when `crop`."""
    document = pdfium.PdfDocument(text_pdf)
    try:
        images = [page.render(scale=DPI / 72, grayscale=True).to_pil().convert("L") for page in document]
    finally:
        document.close()
    return [_cropped(image) if crop else image for image in images]


def image_pdf(images: Sequence[Image.Image]) -> bytes:
    """A PDF of one image per page and nothing else: no text layer."""
    buf = io.BytesIO()
    images[0].save(buf, format="PDF", save_all=True, append_images=list(images[1:]), resolution=DPI)
    return buf.getvalue()


def scanned_pdf(pages: Sequence[str]) -> bytes:
    """A scan of a text PDF with one page per string (the builders' layout, page numbers included)."""
    return image_pdf(page_images(make_chinese_pdf(None, pages)))


def mixed_pdf(text_page: str, scanned_page: str) -> bytes:
    """Page 1 with a text layer, page 2 a scan (an image only)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.add_page(PdfReader(io.BytesIO(make_chinese_pdf(None, [text_page]))).pages[0])
    writer.add_page(PdfReader(io.BytesIO(scanned_pdf([scanned_page]))).pages[0])
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def image_file(text: str, format: str = "PNG") -> bytes:
    """A page of `text` as an image file (PNG, JPEG or TIFF)."""
    buf = io.BytesIO()
    page_images(make_chinese_pdf(None, [text], page_numbers=False))[0].save(buf, format=format)
    return buf.getvalue()


def bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A small PNG whose header declares width x height pixels (10 billion by default; 10 GB decoded in grey): the
    header is real, the image data a single empty compressed block, so only a decoder that trusts it is hurt."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
