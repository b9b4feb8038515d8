"""Load -> clean -> headings (detected and stated by the file) -> chunk -> pages, for files and folders."""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

from documents.block_cleaner import clean_blocks
from documents.chunking import ChineseChunker, ChunkingConfig
from documents.cleaning import clean
from documents.errors import DocumentError, EmptyDocument
from documents.models import Chunk, CleanedDocument, SourceDocument
from documents.structure import detect_headings, merge_headings, place_stated_headings

if TYPE_CHECKING:  # the loaders are imported by `run`: `process` (uploads, already parsed) does not need them
    from documents.loaders import LoadFailure, OnError

logger = logging.getLogger(__name__)

# Formats whose lines are whole blocks (paragraphs, headings, table rows), not lines wrapped at a
# page margin that the PDF cleaner should rejoin.
BLOCK_FORMATS = frozenset({"docx", "html", "markdown"})


@dataclass
class DocumentBatch:
    """Everything the index needs from one run, sources kept for fingerprints and citations."""

    documents: list[CleanedDocument] = field(default_factory=list)
    sources: list[SourceDocument] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)
    failures: list[LoadFailure] = field(default_factory=list)  # files skipped (on_error other than "raise")


def _pages(chunk: Chunk) -> range:
    first = chunk.page or 1
    return range(first, (chunk.page_end or first) + 1)


class DocumentPipeline:
    """Turns files into cleaned documents and chunks with one chunking configuration."""

    def __init__(self, config: ChunkingConfig | None = None,
                 cleaner: Callable[[SourceDocument], CleanedDocument] = clean) -> None:
        self.config = config or ChunkingConfig()
        self.chunker = ChineseChunker(self.config)
        self.cleaner = cleaner
        # The PDF cleaner rejoins wrapped lines, which would glue blocks together: block formats get
        # the line-by-line cleaner instead. Another cleaner (the keep-lines baseline) serves all formats.
        self.block_cleaner = clean_blocks if cleaner is clean else cleaner

    def process(self, source: SourceDocument) -> tuple[CleanedDocument, list[Chunk]]:
        """Clean, structure and chunk one loaded document; empty ones raise `EmptyDocument`."""
        cleaner = self.block_cleaner if source.format in BLOCK_FORMATS else self.cleaner
        cleaned = cleaner(source)
        if not cleaned.text.strip():
            raise EmptyDocument(f"{source.path}: no text after cleaning")
        stated = place_stated_headings(cleaned, source.heading_lines)
        cleaned = dataclasses.replace(cleaned, headings=merge_headings(cleaned, detect_headings(cleaned), stated))
        chunks = self.chunker.chunk(cleaned)
        if source.page_starts:
            chunks = [dataclasses.replace(c, page=source.page_of(c.line_start), page_end=source.page_of(c.line_end))
                      for c in chunks]
        if source.ocr_pages:
            recognised = set(source.ocr_pages)
            chunks = [dataclasses.replace(c, ocr=not recognised.isdisjoint(_pages(c))) for c in chunks]
        return cleaned, chunks

    def run(self, paths: Sequence[str | Path], on_error: OnError = "raise") -> DocumentBatch:
        """Process every supported file under `paths` (files or folders).

        `on_error` as in `load_paths`; unless it is "raise", files that fail to load or to process
        are listed in `batch.failures` and the run goes on.
        """
        from documents.loaders import LoadFailure, load_paths

        started = time.perf_counter()
        batch = DocumentBatch()

        def failed(failure: LoadFailure) -> None:
            batch.failures.append(failure)
            if on_error == "skip":
                logger.warning("skipping %s", failure.reason)
            elif callable(on_error):
                on_error(failure)

        for source in load_paths(paths, on_error=on_error if on_error == "raise" else failed):
            try:
                cleaned, chunks = self.process(source)
            except DocumentError as exc:
                if on_error == "raise":
                    raise
                failed(LoadFailure(source.path, exc))
                continue
            batch.sources.append(source)
            batch.documents.append(cleaned)
            batch.chunks.extend(chunks)
        logger.info(
            "%d documents -> %d chunks in %.2fs (%s)%s",
            len(batch.documents), len(batch.chunks), time.perf_counter() - started, self.config.to_dict(),
            f"; {len(batch.failures)} files failed" if batch.failures else "",
        )
        return batch

    @staticmethod
    def fingerprint(sources: Iterable[SourceDocument]) -> str:
        """Corpus fingerprint: sha256 over the sorted (name, content hash) pairs."""
        h = hashlib.sha256()
        for name, digest in sorted((s.name, s.sha256) for s in sources):
            h.update(f"{name}\x00{digest}\n".encode("utf-8"))
        return h.hexdigest()
