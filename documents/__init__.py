"""Documents: load text files, clean PDF extraction debris, find headings, chunk.

Public entry point: `DocumentPipeline(ChunkingConfig()).run(paths) -> DocumentBatch`.
"""
from documents.chunking import ChineseChunker, ChunkingConfig
from documents.cleaning import clean, fix_font_chars, line_at
from documents.errors import DocumentError, EmptyDocument, UndecodableFile, UnsupportedFileType
from documents.loaders import SUPPORTED_EXTENSIONS, decode_bytes, load_file, load_paths
from documents.models import SECTION_SEPARATOR, Chunk, CleanedDocument, Heading, SourceDocument
from documents.pipeline import DocumentBatch, DocumentPipeline
from documents.structure import detect_headings

__all__ = [
    "SECTION_SEPARATOR",
    "SUPPORTED_EXTENSIONS",
    "ChineseChunker",
    "Chunk",
    "ChunkingConfig",
    "CleanedDocument",
    "DocumentBatch",
    "DocumentError",
    "DocumentPipeline",
    "EmptyDocument",
    "Heading",
    "SourceDocument",
    "UndecodableFile",
    "UnsupportedFileType",
    "clean",
    "decode_bytes",
    "detect_headings",
    "fix_font_chars",
    "line_at",
    "load_file",
    "load_paths",
]
