"""Extension -> loader dispatch. A new format is a new loader file plus one line in `default_registry` (and its
extensions in file_types.py). The loaders are imported by `default_registry`, not with this module: their parsing
libraries take about half a second, which finding files (discovery.py) does not need."""
from __future__ import annotations

import logging
from typing import Iterable

from documents.errors import (CorruptDocument, DocumentError, DocumentTooDeep, DocumentTooLarge, EmptyDocument,
                              NotText)
from documents.loaders.base import DocumentLoader
from documents.loaders.file_types import extension_of, unsupported_type
from documents.loaders.language import measure
from documents.loaders.limits import MAX_TEXT_CHARS
from documents.models import SourceDocument
from documents.ocr.options import OcrOptions

logger = logging.getLogger(__name__)

class LoaderRegistry:
    """Loaders by extension; `load_bytes` is the single entry point for files and uploads."""

    def __init__(self, loaders: Iterable[DocumentLoader] = ()) -> None:
        self._by_extension: dict[str, DocumentLoader] = {}
        for loader in loaders:
            self.register(loader)

    def register(self, loader: DocumentLoader) -> None:
        for ext in loader.extensions:
            if ext in self._by_extension:
                logger.info("loader %s replaces %s for %s", type(loader).__name__,
                            type(self._by_extension[ext]).__name__, ext)
            self._by_extension[ext] = loader

    @property
    def extensions(self) -> frozenset[str]:
        return frozenset(self._by_extension)

    def supports(self, name: str) -> bool:
        return extension_of(name) in self._by_extension

    def loader_for(self, name: str) -> DocumentLoader:
        loader = self._by_extension.get(extension_of(name))
        if loader is None:
            raise unsupported_type(name, self._by_extension)
        return loader

    def load_bytes(self, name: str, raw: bytes) -> SourceDocument:
        """The document in `raw`, read by the loader of `name`'s extension; never touches the filesystem.

        Raises `UnsupportedFileType` (unknown extension), `EmptyDocument` (no bytes, or no text),
        `CorruptDocument`, `EncryptedDocument`, `ScannedPdf`, `UndecodableFile`, `NotText` (decodes, but is not
        language), `DocumentTooLarge` / `DocumentTooDeep` (beyond a cap of limits.py), each naming `name`. Any
        other exception of a loader is this file's refusal too (`CorruptDocument`), never the caller's crash;
        only MemoryError passes (the parsing sandbox reports it as the memory limit).
        """
        loader = self.loader_for(name)
        if not raw:
            raise EmptyDocument(f"{name}: empty file (0 bytes)")
        try:
            doc = loader.load_bytes(name, raw)
        except (DocumentError, MemoryError):
            raise
        except RecursionError as exc:
            raise DocumentTooDeep(f"{name}: nested too deeply to read", "recursion") from exc
        except Exception as exc:  # a loader library's bug or an input it did not expect: this file's refusal
            logger.warning("%s: the %s loader failed", name, loader.format, exc_info=True)
            raise CorruptDocument(f"{name}: cannot be read ({type(exc).__name__}: {exc})") from exc
        if not doc.text.strip():
            raise EmptyDocument(f"{name}: the file holds no text")
        if len(doc.text) > MAX_TEXT_CHARS:
            raise DocumentTooLarge(f"{name}: {len(doc.text):,} characters of text; the limit is {MAX_TEXT_CHARS:,} "
                                   "(split the document)", "text_chars")
        evidence = measure(doc.text)
        if not evidence.plausible:
            raise NotText(f"{name}: the text decodes but is not language (random characters?): only "
                          f"{evidence.word_share:.0%} of adjacent Han characters begin a word, and they repeat as "
                          "little as shuffled characters do")
        logger.debug("%s: %s, %d lines, %d pages, %d stated headings", name, doc.format,
                     doc.text.count("\n") + 1, len(doc.page_starts), len(doc.heading_lines))
        return doc


def default_registry(ocr: OcrOptions | None = None) -> LoaderRegistry:
    """Every format we read: text, Markdown, HTML, Word .docx and PDF, scanned pages and images by OCR while
    `ocr` is enabled (the default); with OCR off, images are not a supported type and scans are refused."""
    from documents.loaders.docx_loader import DocxLoader
    from documents.loaders.html_loader import HtmlLoader
    from documents.loaders.image_loader import ImageLoader
    from documents.loaders.markdown_loader import MarkdownLoader
    from documents.loaders.pdf_loader import PdfLoader
    from documents.loaders.text_loader import TextLoader

    ocr = ocr or OcrOptions()
    loaders: list[DocumentLoader] = [TextLoader(), MarkdownLoader(), HtmlLoader(), DocxLoader(), PdfLoader(ocr)]
    if ocr.enabled:
        loaders.append(ImageLoader(ocr))
    return LoaderRegistry(loaders)
