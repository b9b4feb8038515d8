"""Load -> clean -> detect headings -> chunk, for a list of files and folders."""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

from documents.chunking import ChineseChunker, ChunkingConfig
from documents.cleaning import clean
from documents.errors import EmptyDocument
from documents.loaders import load_paths
from documents.models import Chunk, CleanedDocument, SourceDocument
from documents.structure import detect_headings

logger = logging.getLogger(__name__)


@dataclass
class DocumentBatch:
    """Everything the index needs from one run, sources kept for fingerprints and citations."""

    documents: list[CleanedDocument] = field(default_factory=list)
    sources: list[SourceDocument] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)


class DocumentPipeline:
    """Turns files into cleaned documents and chunks with one chunking configuration."""

    def __init__(self, config: ChunkingConfig | None = None,
                 cleaner: Callable[[SourceDocument], CleanedDocument] = clean) -> None:
        self.config = config or ChunkingConfig()
        self.chunker = ChineseChunker(self.config)
        self.cleaner = cleaner

    def process(self, source: SourceDocument) -> tuple[CleanedDocument, list[Chunk]]:
        """Clean, structure and chunk one loaded document; empty ones raise `EmptyDocument`."""
        cleaned = self.cleaner(source)
        if not cleaned.text.strip():
            raise EmptyDocument(f"{source.path}: no text after cleaning")
        cleaned = dataclasses.replace(cleaned, headings=detect_headings(cleaned))
        return cleaned, self.chunker.chunk(cleaned)

    def run(self, paths: Sequence[str | Path]) -> DocumentBatch:
        """Process every supported file under `paths` (files or folders)."""
        started = time.perf_counter()
        batch = DocumentBatch()
        for source in load_paths(paths):
            cleaned, chunks = self.process(source)
            batch.sources.append(source)
            batch.documents.append(cleaned)
            batch.chunks.extend(chunks)
        logger.info(
            "%d documents -> %d chunks in %.2fs (%s)",
            len(batch.documents), len(batch.chunks), time.perf_counter() - started, self.config.to_dict(),
        )
        return batch

    @staticmethod
    def fingerprint(sources: Iterable[SourceDocument]) -> str:
        """Corpus fingerprint: sha256 over the sorted (name, content hash) pairs."""
        h = hashlib.sha256()
        for name, digest in sorted((s.name, s.sha256) for s in sources):
            h.update(f"{name}\x00{digest}\n".encode("utf-8"))
        return h.hexdigest()
