"""Page images of a PDF, for the pages whose text layer is empty: rendered by pypdfium2 (PDFium, Apache-2.0 /
BSD-3-Clause, the renderer of Chromium) at the recogniser's working size, never larger.

Bounded before rendering: each image the page draws is checked by the size its dictionary declares (/Width x
/Height, read by pypdf without decoding it), so a page holding a 100,000 x 100,000 image is refused, not decoded.
The rendering itself is at most RENDER_LONG_SIDE pixels on the longer side whatever the page's declared size.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PIL import Image

from documents.ocr.images import check_pixels
from documents.ocr.options import RENDER_LONG_SIDE

# 12 pt characters are 25 px high at 150 dpi, about half the height the recogniser scales each line to (48 px);
# a fax at 100 dpi is read better rendered larger than its own resolution.
MIN_DPI = 150


def _xobjects(holder: Any) -> dict:
    resources = holder.get("/Resources")
    resources = resources.get_object() if resources is not None else {}
    xobjects = resources.get("/XObject") if hasattr(resources, "get") else None
    return xobjects.get_object() if xobjects is not None else {}


@dataclass(frozen=True)
class DrawnImages:
    count: int  # images and forms the page draws
    widest: int = 0  # pixels across its widest image: with the page's width, the scan's own resolution


def page_images(name: str, number: int, page: Any, max_pixels: int) -> DrawnImages:
    """Images and forms page `number` draws (forms: one level down), each image's declared size checked against
    `max_pixels` before anything is decoded; a damaged resource dictionary counts as drawing something."""
    try:
        found = [(key, xobjects[key].get_object()) for xobjects in (_xobjects(page),) for key in list(xobjects)[:1000]]
        for _, xobject in list(found):
            if xobject.get("/Subtype") == "/Form":
                inner = _xobjects(xobject)
                found.extend((key, inner[key].get_object()) for key in list(inner)[:1000])
    except Exception:  # noqa: BLE001 (a damaged dictionary: let the renderer try)
        return DrawnImages(1)
    drawn, widest = 0, 0
    for key, xobject in found:
        subtype = xobject.get("/Subtype") if hasattr(xobject, "get") else None
        if subtype == "/Image":
            try:
                width, height = int(xobject.get("/Width", 0)), int(xobject.get("/Height", 0))
            except (TypeError, ValueError):
                width = height = 0
            if width > 0 and height > 0:
                check_pixels(name, f"page {number}'s image {key}", width, height, max_pixels)
                widest = max(widest, width)
        drawn += subtype in ("/Image", "/Form")
    return DrawnImages(drawn, widest)


def render_page(raw: bytes, index: int, long_side: int = RENDER_LONG_SIDE, scan_pixels: int = 0) -> Image.Image:
    """Page `index` (0-based) of the PDF in `raw`, rendered in grey at `long_side` pixels on its longer side, or at
    the scan's own resolution when it is lower (`scan_pixels` across the page's width; more would only make
    the recogniser slower), but never below MIN_DPI."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(raw)
    try:
        page = document[index]
        width, height = page.get_size()
        scale = long_side / max(width, height, 1.0)
        if scan_pixels:
            scale = min(scale, max(scan_pixels / max(width, 1.0), MIN_DPI / 72))
        bitmap = page.render(scale=scale, grayscale=True)
        image = bitmap.to_pil().copy()
        bitmap.close()
        page.close()
        return image
    finally:
        document.close()
