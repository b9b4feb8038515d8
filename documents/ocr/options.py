"""What OCR may do: one frozen value, made by `qa_service.settings.Settings` and passed to the loaders that read
scans (scanned PDF pages, image files), so the parsing child applies the same limits as the server asked for."""
from __future__ import annotations

from dataclasses import dataclass

# An A4 page at 600 dpi is 4,961 x 7,016 = 34.8 million pixels, the finest a scanner's default profile writes;
# 40 million leaves room for a larger sheet at 400 dpi. Pillow's own guard (MAX_IMAGE_PIXELS) is 89 million.
DEFAULT_MAX_PIXELS = 40_000_000
# Scans recognised in one file: at 6-11 CPU seconds a page on this machine kind (docs/evaluation.md, "OCR"),
# 100 pages take 10-20 minutes of one parsing child; a longer scan is better split than held in one upload.
DEFAULT_MAX_PAGES = 100
# The recogniser reduces any page to 2,000 pixels on its longer side before it detects text
# (rapidocr_onnxruntime's max_side_len), so pages are rendered and images reduced to that size: more is wasted.
RENDER_LONG_SIDE = 2000


@dataclass(frozen=True)
class OcrOptions:
    enabled: bool = True  # recognise pages without text and image files; off: they are refused as before
    max_pages: int = DEFAULT_MAX_PAGES  # pages recognised per file; a scan with more is refused (split it)
    max_pixels: int = DEFAULT_MAX_PIXELS  # pixels of one image or page image, checked in its header before decoding
    threads: int = 1  # ONNX runtime threads per parsing child (QA_PARSE_WORKERS children share the cores)
