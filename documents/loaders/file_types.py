"""The file types each loader reads, by extension, without importing the loaders.

The loaders' parsing libraries (pypdf, python-docx, BeautifulSoup) take about half a second to import; a
command that only names the supported types (`qa --help`, `qa docs list`, the upload type check) reads them
here. Each loader's `extensions` is its entry below, so the two cannot disagree.
"""
from __future__ import annotations

from typing import Iterable

from documents.errors import UnsupportedFileType
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

# Formats people often try, with what to do instead.
_HINTS = {
    ".png": "image files are read only with OCR on (QA_OCR=on)",
    ".jpg": "image files are read only with OCR on (QA_OCR=on)",
    ".jpeg": "image files are read only with OCR on (QA_OCR=on)",
    ".tif": "image files are read only with OCR on (QA_OCR=on)",
    ".tiff": "image files are read only with OCR on (QA_OCR=on)",
    ".bmp": "save it as .png",
    ".gif": "save it as .png",
    ".webp": "save it as .png",
    ".doc": "save it as .docx",
    ".wps": "save it as .docx",
    ".rtf": "save it as .docx",
    ".xls": "export the sheet as .docx or .pdf",
    ".xlsx": "export the sheet as .docx or .pdf",
    ".ppt": "export it as .pdf",
    ".pptx": "export it as .pdf",
    ".ofd": "export it as .pdf",
}


def extension_of(name: str) -> str:
    """Lower-case extension with its dot, '' when the name has none."""
    last = base_name(name)
    dot = last.rfind(".")
    return last[dot:].lower() if dot > 0 else ""


def unsupported_type(name: str, expected: Iterable[str]) -> UnsupportedFileType:
    """The refusal of a file whose extension is not among `expected`, with what to do instead when we know it."""
    ext = extension_of(name)
    hint = f"; {_HINTS[ext]}" if ext in _HINTS else ""
    return UnsupportedFileType(f"{name}: unsupported file type {ext or '(none)'!r}; expected one of {sorted(expected)}"
                               f"{hint}")


def check_supported(name: str) -> None:
    """Raise the default registry's UnsupportedFileType for a name it has no loader for, without importing it (an
    upload's type is checked before its bytes are parsed, in the parsing child)."""
    if extension_of(name) not in SUPPORTED_EXTENSIONS:
        raise unsupported_type(name, SUPPORTED_EXTENSIONS)
