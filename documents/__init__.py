"""Documents: load files (text, Markdown, HTML, DOCX, PDF; scanned pages and images by OCR), clean extraction
debris, find headings, chunk.

Public entry points: `DocumentPipeline(ChunkingConfig()).run(paths) -> DocumentBatch`, and
`load_bytes(name, raw) -> SourceDocument` for uploads.

The names below are imported on first use (PEP 562): a process that needs only `documents.models` (every `qa`
command, the search filter) does not pay for the chunker's text splitters (about 1 s) or the loaders' PDF, DOCX
and HTML libraries (about 0.5 s).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from documents.lazy_exports import lazy_exports

_EXPORTS = {
    "documents.chunking": ("ChineseChunker", "ChunkingConfig"),
    "documents.cleaning": ("clean", "fix_font_chars", "line_at"),
    "documents.errors": ("CorruptDocument", "DocumentError", "EmptyDocument", "EncryptedDocument", "ScannedPdf",
                         "UndecodableFile", "UnsupportedFileType"),
    "documents.loaders": ("SUPPORTED_EXTENSIONS", "DocumentLoader", "LoaderRegistry", "LoadFailure", "decode_bytes",
                          "load_bytes", "load_file", "load_paths"),
    "documents.models": ("SECTION_SEPARATOR", "Chunk", "CleanedDocument", "Heading", "HeadingLine",
                         "SourceDocument"),
    "documents.pipeline": ("DocumentBatch", "DocumentPipeline"),
    "documents.structure": ("detect_headings",),
}
__all__, __getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)


if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from documents.chunking import ChineseChunker, ChunkingConfig
    from documents.cleaning import clean, fix_font_chars, line_at
    from documents.errors import (CorruptDocument, DocumentError, EmptyDocument, EncryptedDocument, ScannedPdf,
                                  UndecodableFile, UnsupportedFileType)
    from documents.loaders import (SUPPORTED_EXTENSIONS, DocumentLoader, LoaderRegistry, LoadFailure, decode_bytes,
                                   load_bytes, load_file, load_paths)
    from documents.models import SECTION_SEPARATOR, Chunk, CleanedDocument, Heading, HeadingLine, SourceDocument
    from documents.pipeline import DocumentBatch, DocumentPipeline
    from documents.structure import detect_headings
