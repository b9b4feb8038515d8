"""Ingest: documents -> chunks -> vectors + BM25 -> a new index version, switched in atomically."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from documents import ChunkingConfig, DocumentPipeline, clean, load_paths
from documents.cleaning.line_keeper import keep_lines
from documents.models import Chunk
from embeddings.encoders.base import TextEncoder
from embeddings.encoders.cached_encoder import CachedEncoder
from embeddings.index_store import lexical_manifest, read_manifest, write_index, FORMAT_VERSION
from embeddings.lexical.bm25_index import BM25Index
from embeddings.lexical.chinese_tokenizer import ChineseTokenizer
from qa_service.service import build_encoder
from qa_service.settings import Settings

log = logging.getLogger(__name__)

def indexable_text(chunk: Chunk, mode: str = "title-section-text") -> str:
    """What is embedded and BM25-indexed: by default the passage with its document title and heading path.

    Dozens of sections share headings such as 一、核心思路; without the title a passage about
    清华大学 cannot be told from its siblings. The stored passage text itself stays unchanged.
    """
    if mode == "text":
        return chunk.text
    return f"{chunk.title}\n{chunk.section}\n{chunk.text}"


@dataclass(frozen=True)
class IngestReport:
    index_version: str
    documents: int
    chunks: int
    load_clean_chunk_seconds: float
    embed_seconds: float
    index_seconds: float

    @property
    def total_seconds(self) -> float:
        return self.load_clean_chunk_seconds + self.embed_seconds + self.index_seconds


class IngestionService:
    def __init__(self, settings: Settings, encoder: TextEncoder | None = None) -> None:
        self.settings = settings
        self._encoder = encoder
        self._tokenizer = ChineseTokenizer(mode=settings.bm25_tokenizer, stop_words=settings.bm25_stop_words)
        self._pipeline = DocumentPipeline(ChunkingConfig(chunk_tokens=settings.chunk_tokens,
                                                         overlap_tokens=settings.chunk_overlap_tokens),
                                          cleaner=keep_lines if settings.cleaning == "none" else clean)

    def _expected_manifest_fields(self, fingerprint: str) -> dict:
        return {
            "model": self.settings.embedding_model,
            "embedding_variant": self.settings.embedding_variant,
            "chunking": {**self._pipeline.config.to_dict(), "indexed_text": self.settings.indexed_text + "-v1",
                         **({"cleaning": "none"} if self.settings.cleaning == "none" else {})},
            "corpus_fingerprint": fingerprint,
            "lexical": lexical_manifest(self._tokenizer),
        }

    def is_current(self, paths: Sequence[Path]) -> bool:
        """True when the index was built from exactly these files with the same model and settings."""
        manifest = read_manifest(self.settings.index_dir)
        if manifest is None:
            return False
        expected = self._expected_manifest_fields(self._pipeline.fingerprint(load_paths(paths)))
        return manifest.format_version == FORMAT_VERSION and all(
            getattr(manifest, key) == value for key, value in expected.items())

    def run(self, paths: Sequence[Path], show_progress: bool = True) -> IngestReport:
        t0 = time.perf_counter()
        batch = self._pipeline.run(paths)
        if not batch.chunks:
            raise ValueError("no text to index in " + ", ".join(str(p) for p in paths))
        t1 = time.perf_counter()
        log.info("%d documents -> %d chunks in %.1f s", len(batch.sources), len(batch.chunks), t1 - t0)
        if self._encoder is None:
            self._encoder = build_encoder(self.settings)
        cache_file = self.settings.embedding_cache_file
        if cache_file is not None and not isinstance(self._encoder, CachedEncoder):
            self._encoder = CachedEncoder(self._encoder, cache_file)
        texts = [indexable_text(c, self.settings.indexed_text) for c in batch.chunks]
        vectors = self._encoder.encode_documents(texts, show_progress=show_progress)
        t2 = time.perf_counter()
        bm25 = BM25Index.build(texts, self._tokenizer)
        per_doc: dict[str, int] = {}
        for chunk in batch.chunks:
            per_doc[chunk.doc] = per_doc.get(chunk.doc, 0) + 1
        fields = self._expected_manifest_fields(self._pipeline.fingerprint(batch.sources))
        fields["documents"] = [{"name": s.name, "sha256": s.sha256, "encoding": s.encoding,
                                "chunks": per_doc.get(s.name, 0)} for s in batch.sources]
        version = write_index(self.settings.index_dir, batch.chunks, vectors, bm25, fields)
        t3 = time.perf_counter()
        return IngestReport(version.name, len(batch.sources), len(batch.chunks), t1 - t0, t2 - t1, t3 - t2)
