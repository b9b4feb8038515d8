"""Scans and photographs of pages (.png, .jpg/.jpeg, .tif/.tiff) read by OCR (documents/ocr/).

Each frame of a multi-page TIFF is a page, so citations name the page as they do for PDFs. The image's size is
checked in its header before anything is decoded (a decompression bomb is refused as `DocumentTooLarge`, limit
"ocr_pixels"), and so is its number of frames. Lines come out as the page prints them, so the PDF cleaner rejoins
wrapped lines as it does for a text-layer PDF. Registered only while OCR is on (QA_OCR).
"""
from __future__ import annotations

import logging
import time

from documents.errors import ScannedPdf
from documents.loaders import file_types
from documents.loaders.base import DocumentLoader
from documents.loaders.text_builder import TextBuilder
from documents.models import SourceDocument
from documents.ocr import OcrOptions, OcrUnavailable, read_page
from documents.ocr import images, progress

logger = logging.getLogger(__name__)


class ImageLoader(DocumentLoader):
    """Image files of pages, read by OCR."""

    extensions = file_types.IMAGE
    format = "image"

    def __init__(self, ocr: OcrOptions | None = None) -> None:
        self.ocr = ocr or OcrOptions()

    def load_bytes(self, name: str, raw: bytes) -> SourceDocument:
        image, frames = images.open_image(name, raw, self.ocr.max_pixels, self.ocr.max_pages)
        builder = TextBuilder()
        progress.report(name, 0, frames)
        try:
            for number, page in enumerate(images.pages(name, image, frames, self.ocr.max_pixels), start=1):
                started = time.perf_counter()
                builder.start_page(ocr=True)
                for line in read_page(page, self.ocr):
                    builder.add_line(line)
                logger.info("%s: OCR page %d of %d in %.1f s", name, number, frames, time.perf_counter() - started)
                progress.report(name, number, frames)
        except OcrUnavailable as exc:
            raise ScannedPdf(f"{name}: an image needs OCR, which is not available here ({exc})") from exc
        finally:
            image.close()
        if not builder.has_text:
            raise ScannedPdf(f"{name}: OCR found no text in the image")
        return builder.build(name, raw, self.format, "binary")
