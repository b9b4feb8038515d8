"""Documents: load files (text, Markdown, HTML, DOCX, PDF; scanned pages and images by OCR), clean extraction
debris, find headings, chunk.

Public entry points: `DocumentPipeline(ChunkingConfig()).run(paths) -> DocumentBatch`, and
`load_bytes(name, raw) -> SourceDocument` for uploads.
"""
from documents.chunking import ChineseChunker, ChunkingConfig
from documents.cleaning import clean, fix_font_chars, line_at
from documents.errors import (
    CorruptDocument,
    DocumentError,
    EmptyDocument,
    EncryptedDocument,
    ScannedPdf,
    UndecodableFile,
    UnsupportedFileType,
)
from documents.loaders import (
    SUPPORTED_EXTENSIONS,
    DocumentLoader,
    LoaderRegistry,
    LoadFailure,
    decode_bytes,
    load_bytes,
    load_file,
    load_paths,
)
from documents.models import SECTION_SEPARATOR, Chunk, CleanedDocument, Heading, HeadingLine, SourceDocument
from documents.pipeline import DocumentBatch, DocumentPipeline
from documents.structure import detect_headings

__all__ = [
    "SECTION_SEPARATOR",
    "SUPPORTED_EXTENSIONS",
    "ChineseChunker",
    "Chunk",
    "ChunkingConfig",
    "CleanedDocument",
    "CorruptDocument",
    "DocumentBatch",
    "DocumentError",
    "DocumentLoader",
    "DocumentPipeline",
    "EmptyDocument",
    "EncryptedDocument",
    "Heading",
    "HeadingLine",
    "LoadFailure",
    "LoaderRegistry",
    "ScannedPdf",
    "SourceDocument",
    "UndecodableFile",
    "UnsupportedFileType",
    "clean",
    "decode_bytes",
    "detect_headings",
    "fix_font_chars",
    "line_at",
    "load_bytes",
    "load_file",
    "load_paths",
]
