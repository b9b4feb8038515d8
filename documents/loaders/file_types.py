"""The file types each loader reads, by extension, without importing the loaders.

The loaders' parsing libraries (pypdf, python-docx, BeautifulSoup) take about half a second to import; a
command that only names the supported types (`qa --help`, `qa docs list`, the upload type check) reads them
here. Each loader's `extensions` is its entry below, so the two cannot disagree.
"""
from __future__ import annotations

from documents.loaders.base import base_name

TEXT = (".txt",)
MARKDOWN = (".md", ".markdown")
HTML = (".html", ".htm")
DOCX = (".docx",)
PDF = (".pdf",)
IMAGE = (".png", ".jpg", ".jpeg", ".tif", ".tiff")  # read by OCR, only while it is on

IMAGE_EXTENSIONS: frozenset[str] = frozenset(IMAGE)
# What the default registry (OCR on, its default) reads: `default_registry().extensions`.
SUPPORTED_EXTENSIONS: frozenset[str] = frozenset(TEXT + MARKDOWN + HTML + DOCX + PDF + IMAGE)


def extension_of(name: str) -> str:
    """Lower-case extension with its dot, '' when the name has none."""
    last = base_name(name)
    dot = last.rfind(".")
    return last[dot:].lower() if dot > 0 else ""
