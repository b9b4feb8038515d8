"""The objects of one knowledge base: its QAService, DocumentService, index watcher and background embedder.

Built from the knowledge base's own settings (its index directory, chunking, model) and an encoder the caller
gives (one per model and process, qa_service/knowledge_bases/provider.py); each object is made on first use.
The composition root holds the `default` one; the provider loads the others on demand and `close()`s them when
it unloads them.
"""
from __future__ import annotations

import json
import logging
from functools import cached_property

from embeddings.encoders.base import TextEncoder
from embeddings.index_store import IndexNotFound, IndexStoreError
from qa_service.document_service import DocumentService, KnowledgeBaseConflict
from qa_service.index_watcher import IndexWatcher
from qa_service.ingestion import IngestionService, document_parser
from qa_service.ingestion.background import BackgroundEmbedding
from qa_service.knowledge_bases.names import DEFAULT_KB
from qa_service.knowledge_bases.store import SETTINGS_FILE
from qa_service.service import QAService
from qa_service.settings import Settings
from qa_service.vector_backends import VectorBackend, vector_backend

log = logging.getLogger(__name__)

EMPTY_KB_REASON = "this knowledge base has no documents yet: upload one"  # its 503 not_ready until then
# An upload waits this long for another writer (e.g. `qa ingest`) to finish, then gets 503 index_busy.
UPLOAD_LOCK_TIMEOUT_SECONDS = 60.0


class KnowledgeBaseServices:
    """`serving=True` for a process that answers requests: uploads then embed with the query encoder (one model per
    process) and the new version is loaded here as soon as it is written; otherwise (a command) `qa docs add` and
    `qa ingest` pick their own encoder (Ray with QA_INGEST_EMBEDDING=ray) and nothing is loaded after a change."""

    def __init__(self, name: str, settings: Settings, encoder: TextEncoder, *, serving: bool = False,
                 qa: QAService | None = None, kb_id: str | None = None) -> None:
        """`kb_id`: the id in the knowledge base's kb.json (None: `default`, which has none)."""
        self.name = name
        self.kb_id = kb_id
        self.settings = settings
        self.serving = serving
        self.encoder = encoder
        if qa is not None:
            self.__dict__.update(qa=qa, vector_backend=qa.vector_backend)  # the cached properties, filled

    @cached_property
    def vector_backend(self) -> VectorBackend:
        """Where dense vectors are searched; queries and uploads of this process go through the same one."""
        return vector_backend(self.settings)

    @cached_property
    def qa(self) -> QAService:
        return QAService(self.settings, self.encoder, vector_backend=self.vector_backend)

    @cached_property
    def watcher(self) -> IndexWatcher:
        """Keeps `qa` on the index directory's current version (QA_AUTO_RELOAD, and after each upload)."""
        return IndexWatcher(self.qa)

    @cached_property
    def documents(self) -> DocumentService:
        if not self.serving:
            documents = DocumentService(self.settings)
        else:
            documents = DocumentService(self.settings, encoder=self.encoder, on_change=self._changed,
                                        lock_timeout=UPLOAD_LOCK_TIMEOUT_SECONDS, vector_backend=self.vector_backend)
        if self.kb_id is not None:
            documents.before_write = self._still_registered
        return documents

    def _still_registered(self) -> None:
        """Under the writer lock: this knowledge base is still the one registered at its folder (not renamed or
        deleted, nor another made under its name, while a change waited), so a change never lands elsewhere."""
        try:
            registered = json.loads((self.settings.index_dir.parent / SETTINGS_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            registered = {}
        if registered.get("id") != self.kb_id:
            raise KnowledgeBaseConflict("kb_gone", "the knowledge base was renamed or deleted while this change "
                                                   "waited; nothing was written")

    @cached_property
    def background(self) -> BackgroundEmbedding:
        """Makes the vectors of a lexical version in the background and loads its complete version here."""
        return BackgroundEmbedding(self.documents.ingestion.completer, on_complete=self.watcher.refresh)

    @cached_property
    def ingestion(self) -> IngestionService:
        """The writer behind `qa ingest` (its encoder is built when something must be embedded)."""
        return IngestionService(self.settings)

    def _changed(self) -> None:
        """After an upload or a deletion here: serve the new version now; a lexical one gets its vectors next."""
        self.watcher.refresh()
        if "background" in self.__dict__:
            self.background.nudge()

    def warm_up(self, strict: bool = False) -> "KnowledgeBaseServices":
        """Load the index now. With strict=False an unusable (or not yet written) index leaves the knowledge base
        not ready (/readyz, 503 not_ready say why) instead of failing."""
        try:
            self.qa.load()
        except IndexStoreError as exc:
            if strict:
                raise
            if isinstance(exc, IndexNotFound) and self.name != DEFAULT_KB:  # made, nothing added yet: no fault
                self.qa.load_error = EMPTY_KB_REASON
                log.info("knowledge base %s has no documents yet: upload one (POST /v1/kbs/%s/documents) or run "
                         "`qa ingest DIR --kb %s`", self.name, self.name, self.name)
            else:
                self.qa.load_error = exc.public_reason
                log.warning("knowledge base %s: index not loaded: %s", self.name, exc)
        if self.serving:
            self.watcher  # noqa: B018 - starts from the version just loaded
            document_parser(self.settings).warm()  # a parsing child imports the loaders now, not on the first upload
            self.documents.ingestion.preparer.pipeline  # noqa: B018 - and the chunker (LangChain, ~0.5 s) here
            if self.settings.background_embedding:
                self.background.start()
                self.documents.lexical = self.settings.lexical_uploads  # their vectors follow in the background
        return self

    def close(self) -> None:
        """Stop the background embedder and release the vector backend's connections (Milvus)."""
        if "background" in self.__dict__:
            self.background.stop(timeout=5.0)
        if "vector_backend" in self.__dict__:
            self.vector_backend.close()
