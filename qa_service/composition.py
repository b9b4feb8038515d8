"""The composition root: every object a face needs, built from `Settings` once, in one place.

Each face asks this module for its objects and builds nothing itself: `qa serve` (waitress) and each gunicorn
worker, the in-process evaluation backend, and the `qa` commands. Construction is cheap; the heavy state (the
model, the index) is loaded by `warm_up()`, so `qa docs list` never loads a model.

    root = ServiceRoot(settings, serving=True).warm_up()   # a serving process: model and index loaded now
    app = create_app(root)                                  # qa_service/api/app.py

The knowledge bases are one provider here (`kbs`, qa_service/knowledge_bases/): `default` is the index these
settings name, and `qa`, `documents`, `watcher`, `background`, `ingestion` are its objects, as they always were;
the others are loaded on demand, sharing the root's encoder. A later provider (a chat-tool channel) is one more
property here, and its HTTP face one more blueprint registered in qa_service/api/app.py. The MCP server is a face of its own over the same objects:

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
from qa_service.blas_threads import one_blas_thread
from qa_service.document_service import DocumentService
from qa_service.feedback.store import FeedbackStore
from qa_service.index_watcher import IndexWatcher
from qa_service.ingestion import IngestionService
from qa_service.ingestion.background import BackgroundEmbedding
from qa_service.knowledge_bases import (DEFAULT_KB, KnowledgeBaseProvider, KnowledgeBaseServices,
                                        KnowledgeBaseStore)
from qa_service.knowledge_bases.services import UPLOAD_LOCK_TIMEOUT_SECONDS
from qa_service.service import QAService
from qa_service.settings import Settings
from qa_service.vector_backends import VectorBackend

if TYPE_CHECKING:
    from qa_service.channels.hub import ChannelHub

log = logging.getLogger(__name__)

__all__ = ["ServiceRoot", "UPLOAD_LOCK_TIMEOUT_SECONDS"]


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
        self.default = KnowledgeBaseServices(DEFAULT_KB, settings, self.encoder, serving=serving, qa=qa)

    @cached_property
    def kbs(self) -> KnowledgeBaseProvider:
        """Every knowledge base: `default` (this root's objects) and the others under QA_KB_ROOT, on demand."""
        return KnowledgeBaseProvider(KnowledgeBaseStore(self.settings), self.default, serving=self.serving,
                                     max_loaded=self.settings.kb_max_loaded)

    # The default knowledge base's objects, as every face has always had them.
    @property
    def vector_backend(self) -> VectorBackend:
        return self.default.vector_backend

    @property
    def qa(self) -> QAService:
        return self.default.qa

    @property
    def watcher(self) -> IndexWatcher:
        return self.default.watcher

    @property
    def documents(self) -> DocumentService:
        return self.default.documents

    @property
    def background(self) -> BackgroundEmbedding:
        return self.default.background

    @property
    def ingestion(self) -> IngestionService:
        return self.default.ingestion

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

    def warm_up(self, strict: bool = False) -> "ServiceRoot":
        """Load the model and the default index now, before the first request (the other knowledge bases load
        on their first request). With strict=False an unusable index leaves the service not ready (/readyz says
        why) instead of failing the process. Numpy's BLAS is then kept to one thread (blas_threads.py)."""
        one_blas_thread()
        self.default.warm_up(strict)
        return self

    def close(self) -> None:
        """Release the knowledge bases' background embedders and vector backends (Milvus) and the channels; the
        process may go on without this root."""
        if "kbs" in self.__dict__:
            self.kbs.close()
        self.default.close()
        if "channels" in self.__dict__:
            self.channels.close()
        if self.__dict__.get("feedback") is not None:
            self.feedback.close()
