"""One document from bytes to an indexed document: size check, parsing in the sandbox, cleaning and chunking
(documents/), the record, and (unless left to a batch) its vectors. Shared by folder syncs and uploads."""
from __future__ import annotations

import time
from functools import cached_property

from documents.chunking.config import ChunkingConfig
from documents.cleaning import clean
from documents.cleaning.line_keeper import keep_lines
from documents.models import SourceDocument
from documents.pipeline import DocumentPipeline
from documents.sandbox import DocumentParser, ParseLimits, shared_sandbox
from documents.stated_date import stated_date
from qa_service.document_records import UPLOAD, DocumentRecord, document_id, utc_now
from qa_service.ingestion.embedding import PassageEmbedder
from qa_service.ingestion.records import FileTooLarge, IndexedDocument, StepTimes
from qa_service.settings import Settings


def document_parser(settings: Settings) -> DocumentParser:
    """The parsing sandbox of this process for these limits (QA_PARSE_*), shared by uploads and ingests."""
    return shared_sandbox(ParseLimits(memory_mb=settings.parse_memory_mb,
                                      timeout_seconds=settings.parse_timeout_seconds,
                                      workers=settings.parse_workers, ocr=settings.ocr_options,
                                      ocr_page_seconds=settings.ocr_page_seconds))


class DocumentPreparer:
    def __init__(self, settings: Settings, embedder: PassageEmbedder, parser: DocumentParser | None = None) -> None:
        self.settings = settings
        self.embedder = embedder
        self.parser = parser or document_parser(settings)  # every file's bytes are parsed through it

    @cached_property
    def pipeline(self) -> DocumentPipeline:
        """Cleaning and chunking, made on the first document: the chunker's text splitter takes about a second to
        import, which a command that writes nothing (`qa docs list`) or a server before its first upload does not
        need."""
        return DocumentPipeline(ChunkingConfig(chunk_tokens=self.settings.chunk_tokens,
                                               overlap_tokens=self.settings.chunk_overlap_tokens),
                                cleaner=keep_lines if self.settings.cleaning == "none" else clean)

    def check_size(self, name: str, size: int) -> None:
        limit = self.settings.max_upload_bytes
        if size > limit:
            raise FileTooLarge(f"{name}: file too large ({size:,} bytes; the limit is {limit:,} bytes, "
                               f"QA_MAX_UPLOAD_BYTES)")

    def prepare(self, source: SourceDocument, origin: str, key: str, raw: bytes | None = None,
                stored_as: str | None = None, show_progress: bool = False, timer: StepTimes | None = None,
                embed: bool = True) -> IndexedDocument:
        """Clean, chunk and embed one loaded document; raises DocumentError (naming it) when it has no text.
        With embed=False the vectors are left to `embed_documents`, which embeds many documents in one call."""
        timer = timer or StepTimes()
        t0 = time.perf_counter()
        cleaned, chunks = self.pipeline.process(source)
        t1 = time.perf_counter()
        vectors = self.embedder.embed(chunks, show_progress) if embed else None
        timer.load += t1 - t0
        timer.embed += time.perf_counter() - t1
        timer.embedded += len(chunks)
        now = utc_now()
        doc_id = document_id(origin, key)
        record = DocumentRecord(
            id=doc_id, name=source.name, origin=origin,
            source=stored_as if origin == UPLOAD else key, sha256=source.sha256, format=source.format,
            encoding=source.encoding, pages=len(source.page_starts) or None, chunks=len(chunks),
            size=len(raw) if raw is not None else None, added_at=now, updated_at=now,
            date=stated_date(cleaned.text))
        return IndexedDocument(record, chunks, vectors, raw if origin == UPLOAD else None)  # type: ignore[arg-type]  (see vectors)

    def parse_and_prepare(self, name: str, raw: bytes, origin: str, key: str, stored_as: str | None = None,
                          show_progress: bool = False, timer: StepTimes | None = None,
                          embed: bool = True) -> IndexedDocument:
        """`prepare` of the document the sandbox parses from `raw` (the parse counted as loading)."""
        timer = timer or StepTimes()
        t0 = time.perf_counter()
        source = self.parser.parse(name, raw)
        timer.load += time.perf_counter() - t0
        return self.prepare(source, origin, key, raw, stored_as=stored_as, show_progress=show_progress,
                            timer=timer, embed=embed)
