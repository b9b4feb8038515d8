"""Knowledge bases of one process, loaded on demand, the least recently used unloaded beyond a limit.

`default` is the composition root's own and always loaded. Another is loaded on its first request (its index,
watcher and, when serving, its background embedder) and kept while it is used; when more than QA_KB_MAX_LOADED are
loaded, the least recently used one no request holds is closed and dropped (a request holds its knowledge base
from `acquire` to `release`, so none is closed under a request). Encoders are shared: one per model specification,
the root's for the service's own model, so twenty knowledge bases of one model hold one model in memory.

Every request checks its knowledge base's registry entry (a stat): one deleted, renamed or made again by another
process (`qa kb`, another worker) is dropped here and found, or not, afresh.
"""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Mapping

from embeddings.encoders.base import TextEncoder
from embeddings.encoders.factory import EncoderSpec, build_encoder
from embeddings.encoders.lazy_encoder import LazyEncoder
from qa_service.knowledge_bases.names import DEFAULT_KB, KnowledgeBaseNotFound
from qa_service.knowledge_bases.services import KnowledgeBaseServices
from qa_service.knowledge_bases.store import KnowledgeBaseRecord, KnowledgeBaseStore

log = logging.getLogger(__name__)


@dataclass
class _Loaded:
    services: KnowledgeBaseServices
    stamp: tuple[int, int]
    users: int = 0


class KnowledgeBaseProvider:
    def __init__(self, store: KnowledgeBaseStore, default: KnowledgeBaseServices, *, serving: bool,
                 max_loaded: int, encoder_factory: Callable[[EncoderSpec], TextEncoder] | None = None) -> None:
        self.store = store
        self.default = default
        self.serving = serving
        self.max_loaded = max_loaded
        self._encoder_factory = encoder_factory or (lambda spec: LazyEncoder(partial(build_encoder, spec)))
        self._encoders: dict[EncoderSpec, TextEncoder] = {default.settings.encoder_spec: default.encoder}
        self._loaded: OrderedDict[str, _Loaded] = OrderedDict()
        self._lock = threading.RLock()

    # -- the registry -------------------------------------------------------------------------------------

    def names(self) -> list[str]:
        return self.store.names()

    def record(self, name: str) -> KnowledgeBaseRecord:
        return self.store.get(name)

    def create(self, name: str, overrides: Mapping[str, Any] | None = None) -> KnowledgeBaseRecord:
        return self.store.create(name, overrides)

    def rename(self, name: str, new_name: str) -> KnowledgeBaseRecord:
        record = self.store.rename(name, new_name)
        self._drop(name)  # its objects point at the old folder
        return record

    def delete(self, name: str) -> KnowledgeBaseRecord:
        record = self.store.delete(name)
        self._drop(name)
        return record

    # -- loaded knowledge bases ---------------------------------------------------------------------------

    def get(self, name: str) -> KnowledgeBaseServices:
        """The knowledge base's objects, loaded now if needed (not held: a command's, or a test's)."""
        services = self.acquire(name)
        self.release(services)
        return services

    def acquire(self, name: str) -> KnowledgeBaseServices:
        """The knowledge base's objects, held until `release` (no unloading meanwhile); KnowledgeBaseNotFound."""
        if name == DEFAULT_KB:
            return self.default
        stamp = self.store.stamp(name)
        if stamp is None:
            self._drop(name)
            raise KnowledgeBaseNotFound()
        with self._lock:
            entry = self._loaded.get(name)
            if entry is not None and entry.stamp != stamp:
                self._drop(name)
                entry = None
            if entry is None:
                entry = _Loaded(self._load(self.store.get(name)), stamp)
                self._loaded[name] = entry
            self._loaded.move_to_end(name)
            entry.users += 1
            self._trim()
            return entry.services

    def release(self, services: KnowledgeBaseServices) -> None:
        if services is self.default:
            return
        with self._lock:
            entry = self._loaded.get(services.name)
            if entry is not None and entry.services is services:
                entry.users -= 1
                self._trim()

    def loaded(self) -> list[str]:
        """The knowledge bases other than `default` loaded now, least recently used first."""
        with self._lock:
            return list(self._loaded)

    def close(self) -> None:
        with self._lock:
            for name in list(self._loaded):
                self._drop(name)

    def encoder_for(self, spec: EncoderSpec) -> TextEncoder:
        """One encoder per model specification and process, made on first use."""
        with self._lock:
            if spec not in self._encoders:
                self._encoders[spec] = self._encoder_factory(spec)
            return self._encoders[spec]

    def _load(self, record: KnowledgeBaseRecord) -> KnowledgeBaseServices:
        settings = self.store.settings_for(record)
        services = KnowledgeBaseServices(record.name, settings, self.encoder_for(settings.encoder_spec),
                                         serving=self.serving, kb_id=record.id)
        log.info("knowledge base %s loaded", record.name)
        return services.warm_up() if self.serving else services

    def _trim(self) -> None:
        """Unload the least recently used idle knowledge bases while more than the limit are loaded."""
        while len(self._loaded) > self.max_loaded:
            idle = next((name for name, entry in self._loaded.items() if entry.users <= 0), None)
            if idle is None:
                return  # every one is in use: the next release trims
            self._drop(idle)

    def _drop(self, name: str) -> None:
        with self._lock:
            entry = self._loaded.pop(name, None)
        if entry is not None:
            entry.services.close()
            log.info("knowledge base %s unloaded", name)
