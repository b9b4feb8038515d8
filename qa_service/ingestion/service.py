"""`IngestionService`: the one writer behind `qa ingest`, uploads and deletions, assembled from the steps of this
package (see __init__.py for the steps and the files that implement them)."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from documents.loaders import LoaderRegistry, default_registry
from documents.loaders.discovery import discover
from documents.models import SourceDocument
from documents.sandbox import DocumentParser
from embeddings.encoders.base import TextEncoder
from embeddings.index_lock import writer_lock
from qa_service.ingestion.background import VectorCompleter
from qa_service.ingestion.contents import read_contents
from qa_service.ingestion.embedding import PassageEmbedder
from qa_service.ingestion.preparing import DocumentPreparer
from qa_service.ingestion.records import EmptyIndex, IndexContents, IndexedDocument, IngestReport, StepTimes
from qa_service.ingestion.sync_run import SyncRun
from qa_service.ingestion.writing import VersionWriter
from qa_service.settings import Settings
from qa_service.upload_store import UploadStore
from qa_service.vector_backends import VectorBackend
from qa_service.vector_backends import vector_backend as make_vector_backend


class IngestionService:
    """Builds and changes index versions; the one writer behind `qa ingest`, uploads and deletions."""

    def __init__(self, settings: Settings, encoder: TextEncoder | None = None,
                 vector_backend: VectorBackend | None = None, parser: DocumentParser | None = None) -> None:
        self.settings = settings
        self._registry: LoaderRegistry | None = None
        self.spec = settings.index_spec
        self.embedder = PassageEmbedder(settings, encoder)
        self.preparer = DocumentPreparer(settings, self.embedder, parser)
        self.vector_backend = vector_backend or make_vector_backend(settings)
        self.uploads = UploadStore(settings.index_dir)
        self.writer = VersionWriter(settings, self.embedder, self.uploads, self.vector_backend)
        self.completer = VectorCompleter(settings, self.embedder, self.writer)

    @property
    def parser(self) -> DocumentParser:
        return self.preparer.parser

    @property
    def _encoder(self) -> TextEncoder | None:
        """The ingest encoder once built (benchmarks close a Ray pool through it)."""
        return self.embedder.encoder

    @property
    def model_calls(self) -> int | None:
        return self.embedder.model_calls

    # -- reading the current version ------------------------------------------------------------------

    def current_contents(self, with_rows: bool = True, pending_vectors_too: bool = True) -> IndexContents:
        """Records of the current version and, when they can be reused, its documents' chunks and vectors."""
        return read_contents(self.settings.index_dir, self.spec, with_rows, pending_vectors_too)

    # -- one document (uploads) -----------------------------------------------------------------------

    def check_size(self, name: str, size: int) -> None:
        self.preparer.check_size(name, size)

    def prepare(self, source: SourceDocument, origin: str, key: str, raw: bytes | None = None,
                stored_as: str | None = None, show_progress: bool = False, timer: StepTimes | None = None,
                embed: bool = True) -> IndexedDocument:
        return self.preparer.prepare(source, origin, key, raw, stored_as, show_progress, timer, embed)

    def embed_documents(self, documents: list[IndexedDocument], show_progress: bool = False,
                        timer: StepTimes | None = None) -> list[IndexedDocument]:
        return self.embedder.embed_documents(documents, show_progress, timer)

    def upload_path(self, doc_id: str, sha256: str, name: str) -> str:
        return self.uploads.relative_path(doc_id, sha256, name)

    # -- writing ---------------------------------------------------------------------------------------

    def commit(self, change: Callable[[IndexContents], list[IndexedDocument] | None],
               lock_timeout: float | None = None, with_rows: bool = True,
               lexical: bool = False) -> tuple[Path | None, IndexContents]:
        """Under the writer lock: read the current version, let `change` give the new document list
        (None: nothing to write), write it as a new version. Returns the version written (or None).
        `lexical`: documents without vectors are left to the background embedder (a lexical version)."""
        with writer_lock(self.settings.index_dir, lock_timeout):
            contents = self.current_contents(with_rows=with_rows, pending_vectors_too=not lexical)
            documents = change(contents)
            if documents is None:
                return None, contents
            # a change to a lexical version stays lexical: its vectors are made in one place, the background
            return self.writer.write(documents, lexical=lexical or contents.pending), contents

    def complete_pending(self, show_progress: bool = False) -> Path | None:
        """Make the vectors of the current lexical version now and switch its complete version in (what the
        background embedder does; `qa ingest` without --lexical does it in the foreground)."""
        return self.completer.complete(show_progress=show_progress)

    def mirror_current(self, lock_timeout: float | None = None) -> bool:
        """Fill an external vector store that lags behind the current version; True when it was filled."""
        return self.writer.mirror_current(lock_timeout)

    # -- syncing folders ------------------------------------------------------------------------------

    def _run(self, paths: Sequence[Path], rebuild: bool = False, show_progress: bool = False,
             lexical: bool = False) -> SyncRun:
        return SyncRun(self.preparer, self.uploads, discover(paths, self.registry), rebuild, show_progress,
                       embed=not lexical).read_files()

    @property
    def registry(self) -> LoaderRegistry:
        """The file types these settings read (images only with QA_OCR on): what discovery and uploads accept."""
        if self._registry is None:
            self._registry = default_registry(self.settings.ocr_options)
        return self._registry

    def is_current(self, paths: Sequence[Path], lexical: bool = False) -> bool:
        """True when the index holds exactly these files' current contents, built with these settings (and, unless
        `lexical`, with their vectors)."""
        contents = self.current_contents(with_rows=False)
        return self._run(paths).index_is_current(contents) and (lexical or not contents.pending)

    def run(self, paths: Sequence[Path], show_progress: bool = True) -> IngestReport:
        """Sync (see `sync`); raises when nothing at all could be indexed, as `qa ingest` always did."""
        report = self.sync(paths, show_progress=show_progress)
        if report.failures and not report.documents:
            raise EmptyIndex(report.failures[0].message)
        return report

    def sync(self, paths: Sequence[Path], rebuild: bool = False, show_progress: bool = True,
             lock_timeout: float | None = None, lexical: bool = False) -> IngestReport:
        """Make the folder documents of the index those under `paths` (see __init__.py). `lexical`: write a
        lexical version (chunks and BM25, no model) whose vectors a serving process makes in the background;
        otherwise a lexical current version is completed here."""
        run = self._run(paths, rebuild, show_progress, lexical)
        preview = self.current_contents(with_rows=False)
        if run.index_is_current(preview):
            completed = None if lexical else self.complete_pending(show_progress)
            if completed is not None:
                return run.report(completed.name, self.current_contents(with_rows=False))
            self.mirror_current(lock_timeout)
            return run.report(None, preview)
        run.process(run.plan_against(preview))  # outside the lock
        version, contents = self.commit(run.change, lock_timeout=lock_timeout, lexical=lexical)
        if not lexical:  # a change to a lexical version was written lexical: complete it now
            version = self.complete_pending(show_progress) or version
        return run.report(version.name if version is not None else None, contents)
