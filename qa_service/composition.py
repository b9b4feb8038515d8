"""The composition root: every object a face needs, built from `Settings` once, in one place.

Each face asks this module for its objects and builds nothing itself: `qa serve` (waitress) and each gunicorn
worker, the in-process evaluation backend, and the `qa` commands. Construction is cheap; the heavy state (the
model, the index) is loaded by `warm_up()`, so `qa docs list` never loads a model.

    root = ServiceRoot(settings, serving=True).warm_up()   # a serving process: model and index loaded now
    app = create_app(root)                                  # qa_service/api/app.py

A later provider (several knowledge bases, a chat-tool channel) is one more property here, and its HTTP face one
more blueprint registered in qa_service/api/app.py. The MCP server is a face of its own over the same objects:

    root = ServiceRoot(settings).warm_up()
    server = create_mcp_server(root)                        # qa_service/mcp_server/tools.py (`qa mcp`)
"""
from __future__ import annotations

import logging
from functools import cached_property, partial
from typing import TYPE_CHECKING

from embeddings.encoders.base import TextEncoder
from embeddings.encoders.factory import build_encoder
from embeddings.encoders.lazy_encoder import LazyEncoder
from embeddings.index_store import IndexStoreError
from qa_service.document_service import DocumentService
from qa_service.feedback.store import FeedbackStore
from qa_service.index_watcher import IndexWatcher
from qa_service.ingestion import IngestionService, document_parser
from qa_service.ingestion.background import BackgroundEmbedding
from qa_service.service import QAService
from qa_service.settings import Settings
from qa_service.vector_backends import VectorBackend, vector_backend

if TYPE_CHECKING:
    from qa_service.channels.hub import ChannelHub

log = logging.getLogger(__name__)

# An upload waits this long for another writer (e.g. `qa ingest`) to finish, then gets 503 index_busy.
UPLOAD_LOCK_TIMEOUT_SECONDS = 60.0


class ServiceRoot:
    """The objects of one process. `serving=True` for a process that answers requests: uploads then embed with
    the query encoder (one model per process) and the new version is loaded here as soon as it is written;
    otherwise (a command) `qa docs add` and `qa ingest` pick their own encoder (Ray with QA_INGEST_EMBEDDING=ray)
    and nothing is loaded after a change."""

    def __init__(self, settings: Settings, *, serving: bool = False, encoder: TextEncoder | None = None,
                 qa: QAService | None = None) -> None:
        """`encoder` and `qa` may be given when they already exist (tests share one loaded model and index
        between apps of different settings); otherwise they are built from the settings on first use."""
        self.settings = settings
        self.serving = serving
        self.encoder: TextEncoder = encoder or LazyEncoder(partial(build_encoder, settings.encoder_spec))
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
            return DocumentService(self.settings)
        return DocumentService(self.settings, encoder=self.encoder, on_change=self._changed,
                               lock_timeout=UPLOAD_LOCK_TIMEOUT_SECONDS, vector_backend=self.vector_backend)

    @cached_property
    def channels(self) -> "ChannelHub":
        """What the chat-tool channels share (answering threads, message ids taken); built only when one is on."""
        from qa_service.channels.hub import ChannelHub  # here: a `qa` command imports no Flask

        return ChannelHub(self.qa, self.settings)

    @cached_property
    def feedback(self) -> FeedbackStore | None:
        """The answers given and their ratings (QA_FEEDBACK_DB), opened on first use; None when it is off."""
        path = self.settings.feedback_file
        return None if path is None else FeedbackStore(path, self.settings.feedback_max_answers,
                                                       self.settings.feedback_max_ratings)

    @cached_property
    def background(self) -> BackgroundEmbedding:
        """Makes the vectors of a lexical version in the background and loads its complete version here."""
        return BackgroundEmbedding(self.documents.ingestion.completer, on_complete=self.watcher.refresh)

    def _changed(self) -> None:
        """After an upload or a deletion here: serve the new version now; a lexical one gets its vectors next."""
        self.watcher.refresh()
        if "background" in self.__dict__:
            self.background.nudge()

    @cached_property
    def ingestion(self) -> IngestionService:
        """The writer behind `qa ingest` (its encoder is built when something must be embedded)."""
        return IngestionService(self.settings)

    def warm_up(self, strict: bool = False) -> "ServiceRoot":
        """Load the model and the index now, before the first request. With strict=False an unusable index
        leaves the service not ready (/readyz says why) instead of failing the process."""
        try:
            self.qa.load()
        except IndexStoreError as exc:
            if strict:
                raise
            self.qa.load_error = exc.public_reason
            log.error("index not loaded: %s", exc)
        if self.serving:
            self.watcher  # noqa: B018 - starts from the version just loaded
            document_parser(self.settings).warm()  # a parsing child imports the loaders now, not on the first upload
            if self.settings.background_embedding:
                self.background.start()
                self.documents.lexical = self.settings.lexical_uploads  # their vectors follow in the background
        return self

    def close(self) -> None:
        """Release the vector backend's connections (Milvus); the process may go on without this root."""
        if "background" in self.__dict__:
            self.background.stop(timeout=5.0)
        if "vector_backend" in self.__dict__:
            self.vector_backend.close()
        if "channels" in self.__dict__:
            self.channels.close()
        if self.__dict__.get("feedback") is not None:
            self.feedback.close()
