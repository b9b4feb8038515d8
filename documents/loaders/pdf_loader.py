"""PDF text layer via pypdf, one page after another, recording the line each page starts on.

Why pypdf: pure Python with no required dependencies (BSD-3-Clause, maintained by the py-pdf
project), it maps the predefined Chinese CMaps (UniGB-UCS2-H ...) and ToUnicode tables, and its
plain extraction yields lines as printed, which is what the PDF cleaner was built for.
pdfplumber/pdfminer.six would add a slower second parser (and pypdfium2 binaries) for layout
detail we do not use; PyMuPDF is AGPL. AES-encrypted files that open without a password (owner
password only, common for "copy protected" notices) need `cryptography`, pulled in by `pypdf[crypto]`.

A page whose text layer is empty (fewer than MIN_LAYER_CHARS characters) but which draws an image is a scan:
with OCR on (QA_OCR, documents/ocr/) it is rendered by pypdfium2 and read by the recogniser, and only those pages
(a mixed PDF keeps its text layer everywhere else); the document records them in `ocr_pages`. Before a page is
rendered, the images it draws are checked by their declared size (`QA_OCR_MAX_PIXELS`), and a file with more
such pages than `QA_OCR_MAX_PAGES` is refused. With OCR off, or when nothing was recognised, a PDF without any
text raises `ScannedPdf` rather than becoming an empty document. Text that is mostly private-use or control
characters (fonts without a Unicode map) raises `UndecodableFile` rather than indexing mojibake.

Caps (limits.py): pages, decoded bytes of each page's content stream and of all of them, and, through pypdf's own
`Configuration`, the decoded size of any stream and the parsing work per content stream. A file past one is
refused as `DocumentTooLarge` at once, instead of after minutes of parsing (a 10,000-page PDF took 87 s).
"""
from __future__ import annotations

import dataclasses
import io
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

import pypdf
from pypdf.errors import DependencyError, LimitReachedError

from documents.errors import CorruptDocument, DocumentTooLarge, EncryptedDocument, ScannedPdf, UndecodableFile
from documents.loaders import file_types
from documents.loaders.base import DocumentLoader
from documents.loaders.limits import (MAX_PDF_CONTENT_BYTES, MAX_PDF_PAGE_CONTENT_BYTES, MAX_PDF_PAGES,
                                      MAX_PDF_STREAM_BYTES, MiB)
from documents.loaders.text_builder import TextBuilder
from documents.loaders.text_loader import plausible
from documents.models import SourceDocument
from documents.ocr import OcrOptions, OcrUnavailable, progress, read_page
from documents.ocr.pdf_pages import DrawnImages, page_images, render_page

logger = logging.getLogger(__name__)

# Control characters some producers leave in the text layer (NUL padding, form feeds).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# pypdf's own limits, tightened: no decoded stream beyond MAX_PDF_STREAM_BYTES (pypdf: 75 MB), and at most 250,000
# operands and operators parsed per content stream (pypdf: 2 million, which took 27 s on a 70 MB stream). A page of
# text typeset from the corpus holds at most 1,108 operators (12 KB).
_PYPDF_LIMITS: dict[str, Any] = {
    "maximum_declared_stream_length": MAX_PDF_STREAM_BYTES,
    "zlib_maximum_output_length": MAX_PDF_STREAM_BYTES,
    "lzw_maximum_output_length": MAX_PDF_STREAM_BYTES,
    "run_length_maximum_output_length": MAX_PDF_STREAM_BYTES,
    "array_based_stream_maximum_output_length": MAX_PDF_STREAM_BYTES,
    "brotli_maximum_output_length": MAX_PDF_STREAM_BYTES,
    "image_maximum_buffer_size": MAX_PDF_STREAM_BYTES,
    "stream_parsing_work_maximum_count": 250_000,
}
_KNOWN = {f.name for f in dataclasses.fields(pypdf.Configuration)}
PYPDF_LIMITS = {key: value for key, value in _PYPDF_LIMITS.items() if key in _KNOWN}  # older pypdf: what it has


def _too_large(name: str, what: str, exc: LimitReachedError) -> DocumentTooLarge:
    return DocumentTooLarge(f"{name}: {what} is beyond what a real PDF holds ({exc})", "pdf_stream")


def _open(name: str, raw: bytes) -> pypdf.PdfReader:
    """A reader with the document decrypted, or a clear error."""
    try:
        reader = pypdf.PdfReader(io.BytesIO(raw), strict=False)
        encrypted = reader.is_encrypted
    except LimitReachedError as exc:
        raise _too_large(name, "its structure", exc) from exc
    except Exception as exc:  # pypdf raises many types on damaged input; all mean "not readable"
        raise CorruptDocument(f"{name}: not a readable PDF ({type(exc).__name__}: {exc})") from exc
    if encrypted:
        try:
            opened = reader.decrypt("")
        except DependencyError as exc:
            raise EncryptedDocument(f"{name}: encrypted PDF; reading it needs the 'cryptography' package") from exc
        except Exception as exc:
            raise CorruptDocument(f"{name}: damaged encryption dictionary ({type(exc).__name__}: {exc})") from exc
        if opened == pypdf.PasswordType.NOT_DECRYPTED:
            raise EncryptedDocument(f"{name}: the PDF is password-protected; remove the password and try again")
    return reader


def _declared_pages(reader: pypdf.PdfReader) -> int:
    """/Count of the page tree's root, read without walking the tree (which took 3.4 s for 10,000 pages)."""
    try:
        return int(reader.trailer["/Root"]["/Pages"]["/Count"])
    except Exception:  # noqa: BLE001 (a damaged tree is reported by the walk)
        return 0


def _page_count(name: str, reader: pypdf.PdfReader) -> int:
    try:
        declared = _declared_pages(reader)
        count = declared if declared > MAX_PDF_PAGES else len(reader.pages)
    except LimitReachedError as exc:
        raise _too_large(name, "its page tree", exc) from exc
    except Exception as exc:
        raise CorruptDocument(f"{name}: not a readable PDF: its page tree is damaged ({type(exc).__name__})") from exc
    if count > MAX_PDF_PAGES:
        raise DocumentTooLarge(f"{name}: {count:,} pages; the limit is {MAX_PDF_PAGES:,} (split the document)",
                               "pdf_pages")
    return count


def _content_bytes(name: str, number: int, page: Any) -> int:
    """Decoded size of a page's content stream, checked before its operators are parsed."""
    contents = page.get_contents()
    size = len(contents.get_data()) if contents is not None else 0
    if size > MAX_PDF_PAGE_CONTENT_BYTES:
        raise DocumentTooLarge(f"{name}: page {number} draws {size // MiB:,} MiB of operators; a page of text holds "
                               f"kilobytes (the limit is {MAX_PDF_PAGE_CONTENT_BYTES // MiB} MiB)", "pdf_page_content")
    return size


# A text layer of fewer non-blank characters than this is not the page's text: a scanner's page stamp ("- 3 -"),
# or nothing. Such a page that draws an image, or an inline one (a content stream beyond INLINE_IMAGE_BYTES;
# an empty page draws a few dozen bytes), is read by OCR.
MIN_LAYER_CHARS = 10
INLINE_IMAGE_BYTES = 1024


@dataclass(frozen=True)
class _Page:
    text: str
    scanned: bool  # no usable text layer, and it draws something: a candidate for OCR
    scan_pixels: int = 0  # pixels across the widest image it draws (the scan's resolution), 0 when unknown


def _usable(text: str) -> bool:
    return len("".join(text.split())) >= MIN_LAYER_CHARS


def _page_texts(name: str, reader: pypdf.PdfReader, ocr: OcrOptions) -> list[_Page]:
    texts: list[_Page] = []
    total = 0
    for number in range(1, _page_count(name, reader) + 1):
        try:
            page = reader.pages[number - 1]
            size = _content_bytes(name, number, page)
            total += size
            if total > MAX_PDF_CONTENT_BYTES:
                raise DocumentTooLarge(f"{name}: its pages draw more than {MAX_PDF_CONTENT_BYTES // MiB} MiB of "
                                       "operators together", "pdf_content")
            text = page.extract_text() or ""
            drawn, scanned = DrawnImages(0), False
            if ocr.enabled and not _usable(text):
                drawn = page_images(name, number, page, ocr.max_pixels)
                scanned = drawn.count > 0 or size > INLINE_IMAGE_BYTES
        except DocumentTooLarge:
            raise
        except LimitReachedError as exc:
            raise _too_large(name, f"page {number}", exc) from exc
        except Exception as exc:
            raise CorruptDocument(f"{name}: page {number} cannot be read ({type(exc).__name__}: {exc})") from exc
        texts.append(_Page(_CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n")), scanned,
                           drawn.widest))
    return texts


def _recognise(name: str, raw: bytes, pages: list[_Page], numbers: list[int],
               ocr: OcrOptions) -> dict[int, list[str]]:
    """The lines OCR reads on each of the pages `numbers` (1-based), logged and reported page by page."""
    if len(numbers) > ocr.max_pages:
        raise DocumentTooLarge(f"{name}: {len(numbers):,} scanned pages; OCR reads at most {ocr.max_pages:,} per file "
                               "(QA_OCR_MAX_PAGES; split the document)", "ocr_pages")
    lines: dict[int, list[str]] = {}
    progress.report(name, 0, len(numbers))
    for done, number in enumerate(numbers, start=1):
        started = time.perf_counter()
        try:
            image = render_page(raw, number - 1, scan_pixels=pages[number - 1].scan_pixels)
        except Exception as exc:  # noqa: BLE001 (PDFium refuses what it cannot draw)
            raise CorruptDocument(f"{name}: page {number} cannot be rendered for OCR ({exc})") from exc
        lines[number] = read_page(image, ocr)
        logger.info("%s: OCR page %d (%d of %d) in %.1f s", name, number, done, len(numbers),
                    time.perf_counter() - started)
        progress.report(name, done, len(numbers))
    return lines


class PdfLoader(DocumentLoader):
    """Text-layer PDFs, and their scanned pages by OCR; password-protected files are refused with a reason."""

    extensions = file_types.PDF
    format = "pdf"

    def __init__(self, ocr: OcrOptions | None = None) -> None:
        self.ocr = ocr or OcrOptions()

    def load_bytes(self, name: str, raw: bytes) -> SourceDocument:
        with pypdf.apply_configuration(**PYPDF_LIMITS):
            reader = _open(name, raw)
            pages = _page_texts(name, reader, self.ocr)
        if not pages:
            raise CorruptDocument(f"{name}: the PDF has no pages")
        scanned = [number for number, page in enumerate(pages, start=1) if page.scanned]
        try:
            recognised = _recognise(name, raw, pages, scanned, self.ocr) if scanned else {}
        except OcrUnavailable as exc:
            logger.warning("%s: %d scanned pages not read: %s", name, len(scanned), exc)
            recognised = {}
        builder = TextBuilder()
        blank: list[int] = []
        for number, page in enumerate(pages, start=1):
            lines = recognised.get(number)
            builder.start_page(ocr=bool(lines))
            if not lines:
                lines = page.text.split("\n")
                if not page.text.strip():
                    blank.append(number)
            for line in lines:
                builder.add_line(line)
        if not builder.has_text:
            read = "OCR found no text on them" if recognised else (
                "run OCR on it first" if not self.ocr.enabled else "no page draws an image to read")
            raise ScannedPdf(
                f"{name}: no text layer on any of its {len(pages)} pages (a scanned or image-only PDF); {read}"
            )
        if blank:
            logger.warning("%s: pages without text (scanned or images only): %s", name, blank)
        doc = builder.build(name, raw, self.format, "binary")
        if not plausible(doc.text):
            raise UndecodableFile(f"{name}: the PDF's text layer does not map to Unicode (fonts without a ToUnicode table)")
        return doc
