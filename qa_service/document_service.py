"""The knowledge base: add, list and remove documents. The HTTP routes and `qa docs` are thin faces over it.

An added file is checked (name, size, type), loaded, chunked and embedded before the writer lock is
taken, so a bad file is refused with nothing written; then the new version is written with the
current version's other documents carried over as they are. A document's id is stable: uploading a
file of the same name again replaces it (and keeps its id and added_at).

Files are parsed in the parsing sandbox (documents/sandbox.py, limits QA_PARSE_*); any failure with one file is
that file's refusal with a code, never an error of the request. An upload may not take the name of a document of
another origin (the folder documents are the official ones): answers would cite the upload under the official
name. Names are compared without extension, case, width or spaces (NFKC, casefolded), so 通知.PDF does not
shadow 通知.txt either.
"""
from __future__ import annotations

import dataclasses
import logging
import unicodedata
from dataclasses import dataclass
from typing import Callable, Sequence

from documents.errors import (CorruptDocument, DocumentError, DocumentTooDeep, DocumentTooLarge, EmptyDocument,
                              EncryptedDocument, NotText, ParseFailed, ScannedPdf, UndecodableFile,
                              UnsupportedFileType)
from documents.loaders.file_types import IMAGE_EXTENSIONS, SUPPORTED_EXTENSIONS, check_supported, extension_of
from embeddings.encoders.base import TextEncoder
from embeddings.index_store import IndexStoreError
from qa_service.document_records import UPLOAD, DocumentRecord, document_id
from qa_service.ingestion import FileTooLarge, IndexContents, IndexedDocument, IngestionService
from qa_service.settings import Settings
from qa_service.upload_store import safe_file_name
from qa_service.vector_backends import VectorBackend

log = logging.getLogger(__name__)

ADDED, UPDATED, UNCHANGED = "added", "updated", "unchanged"


class DocumentRejected(Exception):
    """A file that was not added, with a stable code; the message names the file."""

    def __init__(self, name: str, code: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.code = code
        self.message = message


class DocumentNotFound(LookupError):
    pass


class KnowledgeBaseConflict(Exception):
    """The change cannot be made to the index as it is; `code` says why, the message what to do."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# Most specific first: CorruptDocument and EncryptedDocument are UnsupportedFileTypes, ScannedPdf an EmptyDocument,
# NotText an UndecodableFile, DocumentTooDeep a DocumentTooLarge. ParseFailed subclasses carry their own code.
_CODES: tuple[tuple[type[Exception], str], ...] = (
    (FileTooLarge, "file_too_large"),
    (DocumentTooDeep, "document_too_deep"),
    (DocumentTooLarge, "document_too_large"),
    (NotText, "not_text"),
    (CorruptDocument, "corrupt_document"),
    (EncryptedDocument, "encrypted_document"),
    (UnsupportedFileType, "unsupported_file_type"),
    (ScannedPdf, "scanned_pdf"),
    (EmptyDocument, "empty_document"),
    (UndecodableFile, "undecodable_file"),
    (DocumentError, "unreadable_document"),
)


def rejection(name: str, exc: DocumentError) -> DocumentRejected:
    if isinstance(exc, ParseFailed):
        return DocumentRejected(name, exc.code, str(exc))
    code = next(code for kind, code in _CODES if isinstance(exc, kind))
    return DocumentRejected(name, code, str(exc))


def name_key(name: str) -> str:
    """What two document names must not share across origins: the stem, NFKC-normalised, casefolded, no spaces."""
    dot = name.rfind(".")
    stem = name[:dot] if dot > 0 else name
    return "".join(unicodedata.normalize("NFKC", stem).casefold().split())


def _name_taken(name: str, holder: DocumentRecord) -> DocumentRejected:
    return DocumentRejected(name, "name_taken", f"{name}: the name is taken by the {holder.origin} document "
                            f"{holder.name!r} ({holder.id}); an upload cannot take the name of a document it does "
                            "not replace. Rename the file and upload it again")


def _official_holder(name: str, records: Sequence[DocumentRecord]) -> DocumentRecord | None:
    key = name_key(name)
    return next((r for r in records if r.origin != UPLOAD and name_key(r.name) == key), None)


@dataclass(frozen=True)
class AddResult:
    record: DocumentRecord
    status: str  # ADDED, UPDATED (same name, new content) or UNCHANGED (same name and content)


class DocumentService:
    def __init__(self, settings: Settings, encoder: TextEncoder | None = None,
                 on_change: Callable[[], object] | None = None, lock_timeout: float | None = None,
                 vector_backend: VectorBackend | None = None) -> None:
        self.settings = settings
        self._encoder = encoder
        self._vector_backend = vector_backend
        self._ingestion: IngestionService | None = None
        self._on_change = on_change
        self._lock_timeout = lock_timeout
        self.lexical = False  # True: added files are written without vectors, made by the background embedder
        # Checked under the writer lock before a change is written: a knowledge base renamed or deleted while the
        # change waited for the lock raises KnowledgeBaseConflict there (qa_service/knowledge_bases/services.py).
        self.before_write: Callable[[], None] | None = None

    @property
    def ingestion(self) -> IngestionService:
        """Built on first use: apps that never change documents do not pay for the chunker."""
        if self._ingestion is None:
            self._ingestion = IngestionService(self.settings, self._encoder, self._vector_backend)
        return self._ingestion

    @property
    def accepted_extensions(self) -> list[str]:
        """The file types an upload may have: every loader's, images only while OCR is on (QA_OCR)."""
        return sorted(SUPPORTED_EXTENSIONS if self.settings.ocr else SUPPORTED_EXTENSIONS - IMAGE_EXTENSIONS)

    # -- reading --------------------------------------------------------------------------------------

    def list(self) -> list[DocumentRecord]:
        """The documents of the current version, in index order ([] when there is no index)."""
        return self.ingestion.current_contents(with_rows=False).records

    def served(self, info: dict) -> tuple[list[DocumentRecord], str | None]:
        """The documents answers are drawn from and their index version, given a serving QAService's `info()`;
        without a loaded index, the directory's current documents (no version)."""
        if info["manifest"] is not None:
            created = info["manifest"].get("created_at", "")
            return [DocumentRecord.from_dict(d, created) for d in info["manifest"]["documents"]], info["index_version"]
        try:
            return self.list(), None
        except IndexStoreError:
            return [], None

    def find(self, id_or_name: str, records: Sequence[DocumentRecord] | None = None) -> DocumentRecord:
        """A document by id, else by exact name; a name several documents share must be given as an id."""
        records = self.list() if records is None else records
        for record in records:
            if record.id == id_or_name:
                return record
        named = [r for r in records if r.name == id_or_name]
        if len(named) == 1:
            return named[0]
        if named:
            raise DocumentNotFound(f"{id_or_name}: {len(named)} documents have this name; give one of their ids: "
                                   + ", ".join(r.id for r in named))
        raise DocumentNotFound(f"no document with id or name {id_or_name!r}")

    # -- changing -------------------------------------------------------------------------------------

    def prepare_upload(self, name: str, raw: bytes, records: Sequence[DocumentRecord] = ()) -> IndexedDocument:
        """Check, parse (in the sandbox), chunk and embed one file; DocumentRejected (naming it) when it cannot be
        indexed. `records`: the current documents, so a name taken by an official document is refused before any
        parsing."""
        safe = safe_file_name(name)
        holder = _official_holder(safe, records)
        if holder is not None:
            raise _name_taken(safe, holder)
        try:
            self.ingestion.check_size(safe, len(raw))
            check_supported(safe)  # the type before the bytes: an unsupported file is never parsed
            if not self.settings.ocr and extension_of(safe) in IMAGE_EXTENSIONS:
                raise UnsupportedFileType(f"{safe}: image files are read only with OCR on (QA_OCR=on); expected one "
                                          f"of {self.accepted_extensions}")
            source = self.ingestion.parser.parse(safe, raw)
            doc_id = document_id(UPLOAD, safe)
            stored = self.ingestion.upload_path(doc_id, source.sha256, safe)
            return self.ingestion.prepare(source, UPLOAD, safe, raw, stored_as=stored, embed=not self.lexical)
        except DocumentError as exc:
            raise rejection(safe, exc) from None
        except Exception as exc:  # noqa: BLE001 (cleaning or chunking failed on this file: its refusal, logged)
            log.exception("%s: cannot be indexed", safe)
            raise DocumentRejected(safe, "unreadable_document",
                                   f"{safe}: cannot be indexed ({type(exc).__name__})") from None

    def add(self, name: str, raw: bytes) -> AddResult:
        results, rejected = self.add_many([(name, raw)])
        if rejected:
            raise rejected[0]
        return results[0]

    def add_many(self, files: Sequence[tuple[str, bytes]]) -> tuple[list[AddResult], list[DocumentRejected]]:
        """Add files in one new version; the good ones go in even when others are refused."""
        prepared: list[IndexedDocument] = []
        rejected: list[DocumentRejected] = []
        try:
            records = self.list()
        except IndexStoreError:
            records = []  # checked again under the lock
        for name, raw in files:
            try:
                prepared.append(self.prepare_upload(name, raw, records))
            except DocumentRejected as exc:
                log.warning("upload refused: %s", exc.message)
                rejected.append(exc)
        if not prepared:
            return [], rejected
        results: list[AddResult] = []
        refused_late: list[DocumentRejected] = []

        def change(contents: IndexContents) -> list[IndexedDocument] | None:
            documents = list(self._writable(contents))
            results.clear()
            refused_late.clear()
            for doc in prepared:
                holder = _official_holder(doc.record.name, [d.record for d in documents])
                if holder is not None:  # an official document of that name arrived while this one was prepared
                    refused_late.append(_name_taken(doc.record.name, holder))
                    continue
                at = next((i for i, d in enumerate(documents) if d.record.id == doc.record.id), None)
                if at is None:
                    documents.append(doc)
                    results.append(AddResult(doc.record, ADDED))
                elif documents[at].record.sha256 == doc.record.sha256:
                    results.append(AddResult(documents[at].record, UNCHANGED))
                else:
                    record = doc.record.renewed(documents[at].record)
                    documents[at] = dataclasses.replace(doc, record=record)
                    results.append(AddResult(record, UPDATED))
            return None if all(r.status == UNCHANGED for r in results) else documents

        self._commit(change)
        return results, rejected + refused_late

    def remove(self, id_or_name: str) -> DocumentRecord:
        """Remove one document (by id, or by a name only one document has); returns its record."""
        removed: list[DocumentRecord] = []

        def change(contents: IndexContents) -> list[IndexedDocument]:
            documents = self._writable(contents)
            target = self.find(id_or_name, [d.record for d in documents])
            remaining = [d for d in documents if d.record.id != target.id]
            if not remaining:
                raise KnowledgeBaseConflict("last_document", f"{target.name} is the only document; the index "
                                            "cannot be empty (add another document first)")
            removed.append(target)
            return remaining

        self._commit(change)
        return removed[0]

    def _writable(self, contents: IndexContents) -> list[IndexedDocument]:
        if contents.documents is None:
            raise KnowledgeBaseConflict("index_unusable", f"{contents.why_not_reusable}; documents can be added or "
                                        "removed again after a full rebuild: `qa ingest --rebuild`")
        return contents.documents

    def _commit(self, change: Callable[[IndexContents], list[IndexedDocument] | None]) -> None:
        def checked(contents: IndexContents) -> list[IndexedDocument] | None:
            if self.before_write is not None:
                self.before_write()
            return change(contents)

        version, _ = self.ingestion.commit(checked, lock_timeout=self._lock_timeout, lexical=self.lexical)
        if version is None:
            return
        log.info("index version %s written", version.name)
        if self._on_change is not None:
            try:
                self._on_change()
            except (IndexStoreError, OSError) as exc:
                log.error("the new version %s was written but not loaded here: %s", version.name, exc)
