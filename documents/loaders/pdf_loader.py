"""PDF text layer via pypdf, one page after another, recording the line each page starts on.

Why pypdf: pure Python with no required dependencies (BSD-3-Clause, maintained by the py-pdf
project), it maps the predefined Chinese CMaps (UniGB-UCS2-H ...) and ToUnicode tables, and its
plain extraction yields lines as printed, which is what the PDF cleaner was built for.
pdfplumber/pdfminer.six would add a slower second parser (and pypdfium2 binaries) for layout
detail we do not use; PyMuPDF is AGPL. AES-encrypted files that open without a password (owner
password only, common for "copy protected" notices) need `cryptography`, pulled in by `pypdf[crypto]`.

A PDF whose pages carry no text at all is a scan: it raises `ScannedPdf` rather than becoming an
empty document. Text that is mostly private-use or control characters (fonts without a Unicode
map) raises `UndecodableFile` rather than indexing mojibake.
"""
from __future__ import annotations

import io
import logging
import re

import pypdf
from pypdf.errors import DependencyError

from documents.errors import CorruptDocument, EncryptedDocument, ScannedPdf, UndecodableFile
from documents.loaders.base import DocumentLoader
from documents.loaders.text_builder import TextBuilder
from documents.loaders.text_loader import plausible
from documents.models import SourceDocument

logger = logging.getLogger(__name__)

# Control characters some producers leave in the text layer (NUL padding, form feeds).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _open(name: str, raw: bytes) -> pypdf.PdfReader:
    """A reader with the document decrypted, or a clear error."""
    try:
        reader = pypdf.PdfReader(io.BytesIO(raw), strict=False)
        encrypted = reader.is_encrypted
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


def _page_texts(name: str, reader: pypdf.PdfReader) -> list[str]:
    texts: list[str] = []
    try:
        pages = list(reader.pages)
    except Exception as exc:
        raise CorruptDocument(f"{name}: not a readable PDF: its page tree is damaged ({type(exc).__name__})") from exc
    for number, page in enumerate(pages, start=1):
        try:
            text = page.extract_text() or ""
        except Exception as exc:
            raise CorruptDocument(f"{name}: page {number} cannot be read ({type(exc).__name__}: {exc})") from exc
        texts.append(_CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n")))
    return texts


class PdfLoader(DocumentLoader):
    """Text-layer PDFs; scans and password-protected files are refused with a reason."""

    extensions = (".pdf",)
    format = "pdf"

    def load_bytes(self, name: str, raw: bytes) -> SourceDocument:
        reader = _open(name, raw)
        texts = _page_texts(name, reader)
        if not texts:
            raise CorruptDocument(f"{name}: the PDF has no pages")
        builder = TextBuilder()
        blank: list[int] = []
        for number, text in enumerate(texts, start=1):
            builder.start_page()
            if not text.strip():
                blank.append(number)
            for line in text.split("\n"):
                builder.add_line(line)
        if not builder.has_text:
            raise ScannedPdf(
                f"{name}: no text layer on any of its {len(texts)} pages (a scanned or image-only PDF); "
                "run OCR on it first"
            )
        if blank:
            logger.warning("%s: pages without text (scanned or images only): %s", name, blank)
        doc = builder.build(name, raw, self.format, "binary")
        if not plausible(doc.text):
            raise UndecodableFile(f"{name}: the PDF's text layer does not map to Unicode (fonts without a ToUnicode table)")
        return doc
