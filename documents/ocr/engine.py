"""The recogniser: rapidocr-onnxruntime (Apache-2.0), PP-OCRv4 Chinese detection and recognition models shipped
inside its wheel, run on ONNX Runtime on the CPU. Chosen over Tesseract chi_sim by the numbers of
benchmarks/ocr_quality.py (docs/evaluation.md, "OCR"): far fewer character errors on rendered corpus pages.

Loaded once per process on first use (about 2 s and ~250 MB): the parsing child that never meets a scan never
pays for it. Knows nothing of documents; it turns one page image into positioned text boxes.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL import Image

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OcrBox:
    """One detected line of text (or a cell of a table row), in page pixels."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    score: float  # the recogniser's confidence, 0..1

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def middle(self) -> float:
        return (self.y0 + self.y1) / 2


class OcrUnavailable(RuntimeError):
    """The OCR package is not installed (the loaders then refuse scans as they did before OCR)."""


_ENGINES: dict[int, Any] = {}
_LOCK = threading.Lock()


def _engine(threads: int) -> Any:
    with _LOCK:
        engine = _ENGINES.get(threads)
        if engine is None:
            try:
                from rapidocr_onnxruntime import RapidOCR
            except ImportError as exc:  # pragma: no cover - a broken install
                raise OcrUnavailable(f"rapidocr-onnxruntime is not installed ({exc})") from exc
            engine = _ENGINES[threads] = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1,
                                                  print_verbose=False)
            logger.info("OCR models loaded (%d thread%s)", threads, "" if threads == 1 else "s")
        return engine


def recognise(image: Image.Image, threads: int = 1) -> list[OcrBox]:
    """Text boxes of one page image (any mode; converted to RGB), in no particular order."""
    if image.mode != "RGB":
        image = image.convert("RGB")
    result, _ = _engine(threads)(image)
    boxes: list[OcrBox] = []
    for points, text, score in result or ():
        xs = [float(p[0]) for p in points]
        ys = [float(p[1]) for p in points]
        text = str(text).strip()
        if text:
            boxes.append(OcrBox(min(xs), min(ys), max(xs), max(ys), text, float(score)))
    return boxes
