"""One service object behind every face (HTTP API, CLI, evaluation): search and ask over an index."""
from __future__ import annotations

import dataclasses
import logging
import threading
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Iterator

from embeddings.encoders.base import TextEncoder
from embeddings.encoders.factory import build_encoder
from embeddings.encoders.lazy_encoder import LazyEncoder
from embeddings.index_spec import Difference
from embeddings.index_store import IndexMismatch, IndexStoreError, LoadedIndex, load_index
from embeddings.pending_vectors import read_progress
from qa_service.answerers.base import stream_pieces
from qa_service.chain import QueryChain, build_chain
from qa_service.conversation.question_rewriter import HistoryLimits, LLMQuestionRewriter, Turn
from qa_service.llm_client import llm_configured, make_client
from qa_service.query_limits import LAST_USER_MESSAGE, QUERY, QUESTION, checked_text, checked_top_k
from qa_service.retrievers.filters import NO_MATCH_ANSWER, NO_MATCH_NOTICE
from qa_service.search_filter import SearchFilter
from qa_service.settings import Settings
from qa_service.types import Answer, Deadline, Passage
from embeddings.vector_stores.keyed_base import KeyedVectorStore
from qa_service.vector_backends import VectorBackend, row_document_ids, row_keys
from qa_service.vector_backends import vector_backend as make_vector_backend
from qa_service.vector_backends.base import VectorStoreUnavailable

log = logging.getLogger(__name__)

READINESS_PROBE_SECONDS = 2.0


class ServiceNotReady(RuntimeError):
    """No usable index is loaded; the message says why and what to do, without server paths."""


def check_compatible(index: LoadedIndex, settings: Settings) -> None:
    """Refuse an index whose vectors or passages were made differently from what this deployment expects; the
    comparison is the writer's (embeddings/index_spec.py); differences a server can serve as built are logged."""
    manifest = index.manifest
    where = index.directory.parent
    for difference in settings.index_spec.differences(manifest):
        if difference.served:
            log.warning("index at %s was built with other %s settings than these (%s, not %s); it is served as "
                        "built, and the next `qa ingest` rebuilds it", where, difference.name, difference.built,
                        difference.expected)
            continue
        raise IndexMismatch(_mismatch(difference, where, settings))


def _mismatch(difference: Difference, where: Path, settings: Settings) -> str:
    """What differs and the two ways out: rebuild the index, or set the settings it was built with."""
    built = difference.built
    if difference.name == "model":
        return (f"index at {where} was built with embedding model {built!r} but QA_EMBEDDING_MODEL is "
                f"{settings.embedding_model!r}: rebuild it with `qa ingest --index {where}` or set "
                f"QA_EMBEDDING_MODEL={built}")
    if difference.name == "embedding_variant":
        backend, _, precision = built.partition("-")
        return (f"index at {where} was built with embedding backend {built!r} but "
                f"QA_EMBEDDING_BACKEND / QA_EMBEDDING_PRECISION give {settings.embedding_variant!r} (their vectors "
                f"differ slightly and must not be mixed): rebuild it with `qa ingest --index {where}` or set "
                f"QA_EMBEDDING_BACKEND={backend} QA_EMBEDDING_PRECISION={precision}")
    if difference.name == "chunk_size":
        return (f"index at {where} was built with chunking {built} but the settings ask for {difference.expected}: "
                f"rebuild it with `qa ingest --index {where}` or set QA_CHUNK_TOKENS={built['chunk_tokens']} "
                f"QA_CHUNK_OVERLAP_TOKENS={built['overlap_tokens']}")
    return (f"index at {where} has {difference.name} {built}, this version expects {difference.expected}; rebuild "
            f"with `qa ingest --index {where}`")


def _no_match(retrieval: str) -> Answer:
    """The honest answer when the filters allow no passage: nothing to answer from (not an error)."""
    return Answer(NO_MATCH_ANSWER, False, [], 0.0, notice=NO_MATCH_NOTICE, retrieval=retrieval)


@dataclass
class _Components:
    index: LoadedIndex
    chain: QueryChain
    rewriter: LLMQuestionRewriter | None = None
    vectors: KeyedVectorStore | None = None  # what the dense side searches (for the readiness probe)


class QAService:
    """Holds the loaded index, the encoder, the retriever and the answerer; safe to share between threads.

    Built by the composition root (qa_service/composition.py), which hands it the process's encoder and vector
    backend; without them it builds its own. It refuses questions and top_k outside its limits (QueryRefused).
    """

    def __init__(self, settings: Settings, encoder: TextEncoder | None = None,
                 vector_backend: VectorBackend | None = None) -> None:
        self.settings = settings
        self._encoder = encoder
        self.vector_backend: VectorBackend = vector_backend or make_vector_backend(settings)
        self._components: _Components | None = None
        self.load_error: str | None = None  # for clients: no paths
        self._lock = threading.Lock()
        self._probe: tuple[float, str | None] = (-READINESS_PROBE_SECONDS, None)  # (when, reason)

    @classmethod
    def from_settings(cls, settings: Settings, encoder: TextEncoder | None = None, strict: bool = True) -> "QAService":
        """Load the index named by the settings. With strict=False a bad index leaves the service not ready."""
        service = cls(settings, encoder)
        try:
            service.load()
        except IndexStoreError as exc:
            if strict:
                raise
            service.load_error = exc.public_reason
            log.error("index not loaded: %s", exc)
        return service

    def load(self) -> None:
        """Load the current version. A lexical one (its vectors still being made) is served by BM25 and the
        reranker without touching the model, which may not even be fetched yet."""
        index = load_index(self.settings.index_dir, mmap=self.settings.vector_mmap)
        check_compatible(index, self.settings)
        if self._encoder is None:
            self._encoder = LazyEncoder(partial(build_encoder, self.settings.encoder_spec))
        if not index.lexical_only and self._encoder.dimension != index.manifest.dimension:
            raise IndexMismatch(f"encoder gives {self._encoder.dimension}-dimensional vectors, the index holds "
                                f"{index.manifest.dimension}: rebuild with `qa ingest --index {self.settings.index_dir}`")
        s = self.settings
        client = make_client(s) if llm_configured(s) else None
        rewriter = None if client is None else LLMQuestionRewriter(client, s.llm_model, HistoryLimits(
            s.chat_history_turns, s.chat_history_chars, s.max_question_chars), s.llm_timeout, s.llm_max_retries)
        doc_ids = row_document_ids(index.manifest, index.chunks)
        keys = row_keys(index.chunks, doc_ids)
        vectors = None if index.lexical_only else self.vector_backend.open(index, keys, doc_ids)
        chain = build_chain(s, index, self._encoder, vectors, keys, client)
        components = _Components(index, chain, rewriter, vectors)
        with self._lock:
            self._components = components
            self.load_error = None
        log.info("index %s loaded: %d chunks, retrieval %s", index.directory.name, len(index.chunks),
                 chain.retrieval + (" (its vectors are being made)" if index.lexical_only else ""))

    @property
    def ready(self) -> bool:
        return self._components is not None

    def readiness(self) -> str | None:
        """None when this process can answer now, else why not (for /readyz, without paths): an index is loaded
        and, for a vector store outside the process, the store answers. The store is asked at most every
        READINESS_PROBE_SECONDS, so a load balancer polling /readyz cannot load it."""
        components = self._components
        if components is None:
            return self.load_error or "no index loaded"
        if components.vectors is None or self.vector_backend.name == "faiss":
            return None
        now = time.monotonic()
        checked, reason = self._probe
        if now - checked < READINESS_PROBE_SECONDS:
            return reason
        try:
            len(components.vectors)
            reason = None
        except Exception as exc:  # pymilvus raises its own and gRPC errors
            log.warning("vector store probe failed: %s", exc)
            reason = VectorStoreUnavailable.public_reason
        self._probe = (now, reason)
        return reason

    def _require(self) -> _Components:
        components = self._components
        if components is None:
            raise ServiceNotReady(self.load_error or "no index loaded")
        return components

    def search(self, query: str, top_k: int, filters: SearchFilter | None = None) -> list[Passage]:
        return self.search_with_retrieval(query, top_k, filters)[0]

    def search_with_retrieval(self, query: str, top_k: int, filters: SearchFilter | None = None
                              ) -> tuple[list[Passage], str]:
        """The passages and what found them ("lexical", "dense", "hybrid"), from one loaded version; with
        filters, the top_k of the passages they allow (none when they allow none)."""
        query = checked_text(query, self.settings.max_question_chars, QUERY)
        chain = self._require().chain
        return chain.passages(chain.query(query, checked_top_k(top_k), filters)), chain.retrieval

    def deadline(self) -> Deadline:
        """The deadline of a request starting now (QA_ASK_DEADLINE_SECONDS)."""
        return Deadline.after(self.settings.ask_deadline_seconds)

    def ask(self, question: str, top_k: int, deadline: Deadline | None = None,
            filters: SearchFilter | None = None) -> Answer:
        question, top_k = checked_text(question, self.settings.max_question_chars, QUESTION), checked_top_k(top_k)
        deadline = deadline or self.deadline()
        chain = self._require().chain
        query = chain.query(question, top_k, filters)
        if query.allowed is not None and query.allowed.empty:
            return _no_match(chain.retrieval)
        return dataclasses.replace(chain.answerer.answer(query, chain.passages(query), deadline),
                                   retrieval=chain.retrieval)

    def ask_stream(self, question: str, top_k: int, deadline: Deadline | None = None,
                   filters: SearchFilter | None = None) -> Iterator[str | Answer]:
        """Answer text pieces as they are generated, then the complete Answer.

        Retrieval happens here, before the first piece is asked for, so a service that is not ready fails
        at once rather than in the middle of a stream.
        """
        question, top_k = checked_text(question, self.settings.max_question_chars, QUESTION), checked_top_k(top_k)
        deadline = deadline or self.deadline()
        chain = self._require().chain
        query = chain.query(question, top_k, filters)
        if query.allowed is not None and query.allowed.empty:
            return stream_pieces(_no_match(chain.retrieval))
        return (dataclasses.replace(item, retrieval=chain.retrieval) if isinstance(item, Answer) else item
                for item in chain.answerer.stream(query, chain.passages(query), deadline))

    def standalone_question(self, history: list[Turn], question: str, deadline: Deadline | None = None) -> str:
        """The follow-up rewritten with the conversation when an LLM is configured, else unchanged."""
        question = checked_text(question, self.settings.max_question_chars, LAST_USER_MESSAGE)
        rewriter = self._require().rewriter
        if rewriter is None or not history:
            return question
        return rewriter.rewrite(history, question, deadline or self.deadline())

    @property
    def index_version(self) -> str | None:
        """The version answering now (None: nothing loaded); recorded with each answer for feedback."""
        components = self._components
        return components.index.directory.name if components is not None else None

    @property
    def retrieval(self) -> str | None:
        """"lexical", "dense" or "hybrid": what answers now (None: nothing loaded)."""
        components = self._components
        return components.chain.retrieval if components is not None else None

    def embedding_state(self) -> dict[str, Any] | None:
        """Where the vectors of the served version stand: {"state": "complete"}, or, for a lexical version,
        "embedding" with n of N passages and the time left (from the background embedder's note, any process)."""
        components = self._components
        if components is None:
            return None
        index = components.index
        total = len(index.chunks)
        if not index.lexical_only:
            return {"state": "complete", "embedded": total, "total": total, "seconds_left": 0}
        progress = read_progress(self.settings.index_dir)
        if progress is None or progress.version != index.directory.name:
            return {"state": "waiting", "phase": None, "embedded": None, "total": total, "seconds_left": None}
        return progress.to_public()

    def info(self) -> dict[str, Any]:
        components = self._components
        return {
            "model": self.settings.embedding_model,
            "retriever": self.settings.retriever,
            "reranker": components.chain.reranker.name if components and components.chain.reranker else None,
            "answerer": components.chain.answerer.name if components else None,
            "ready": components is not None,
            "index_dir": str(self.settings.index_dir),
            "index_version": components.index.directory.name if components else None,
            "manifest": components.index.manifest.to_dict() if components else None,
            "retrieval": self.retrieval,
            "embedding": self.embedding_state(),
        }
