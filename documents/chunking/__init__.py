"""Heading-aware, token-bounded chunking."""
from documents.chunking.chinese_chunker import ChineseChunker, Section, merged_sections, sections
from documents.chunking.config import ChunkingConfig
from documents.chunking.tokens import get_encoding, token_counter

__all__ = ["ChineseChunker", "ChunkingConfig", "Section", "get_encoding", "merged_sections", "sections", "token_counter"]
