"""OCR of page images: scanned PDF pages and image files become lines of text in reading order.

`options.py` says what OCR may do, `images.py` opens images under a pixel budget, `engine.py` runs the
recogniser, `layout.py` puts its boxes in reading order, `progress.py` tells listeners how far a long scan got.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from documents.ocr.engine import OcrBox, OcrUnavailable, recognise
from documents.ocr.layout import reading_order
from documents.ocr.options import OcrOptions

if TYPE_CHECKING:  # Pillow is imported by the code that opens images (images.py), in the parsing child
    from PIL import Image


def read_page(image: Image.Image, options: OcrOptions) -> list[str]:
    """The lines of text on one page image, in reading order."""
    return reading_order(recognise(image, options.threads))


__all__ = ["OcrBox", "OcrOptions", "OcrUnavailable", "read_page", "reading_order", "recognise"]
