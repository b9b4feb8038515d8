"""The registry of knowledge bases on disk, shared by every process (servers, workers, `qa kb`).

`default` is the index directory (QA_INDEX_DIR, `--index`) as it always was. Every other knowledge base is one
folder under the root (QA_KB_ROOT, by default `kbs` beside the index directory):

    <root>/<name>/kb.json   its id (fixed at creation; names a Milvus collection) and its settings overrides
    <root>/<name>/index/    its index directory: CURRENT, v-<stamp>/ versions, uploads (embeddings/index_store.py)

The folder is the registry entry, so each change is one directory operation under the root's lock (an flock,
across processes): create writes a hidden folder then renames it into place; rename is a directory rename; delete
first renames the folder out of the registry (a hidden name), then removes its files. Rename and delete also hold
the knowledge base's own writer lock, so they never pull an index away from a writer in the middle of a version.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

from embeddings.index_lock import writer_lock
from qa_service.knowledge_bases.names import (DEFAULT_KB, DefaultKnowledgeBaseFixed, InvalidKnowledgeBase,
                                              KnowledgeBaseExists, KnowledgeBaseNotFound, checked_name,
                                              is_valid_name)
from qa_service.settings import Settings, SettingsError

log = logging.getLogger(__name__)

SETTINGS_FILE = "kb.json"
INDEX_FOLDER = "index"
REGISTRY_LOCK = ".kbs.lock"
# What a knowledge base may set for itself: how its documents are cut and indexed, and by which model (the
# index specification, embeddings/index_spec.py). Everything else (retrieval, answering, limits) is the service's.
CHUNKING_FIELDS = ("chunk_tokens", "chunk_overlap_tokens", "cleaning", "indexed_text", "bm25_tokenizer",
                   "bm25_stop_words")
MODEL_FIELDS = ("embedding_model", "embedding_backend", "embedding_precision")
OVERRIDABLE = CHUNKING_FIELDS + MODEL_FIELDS
LOCK_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class KnowledgeBaseRecord:
    name: str
    id: str
    created_at: str
    overrides: dict[str, Any] = field(default_factory=dict)
    directory: Path | None = None  # None: `default`, whose index is QA_INDEX_DIR

    @property
    def is_default(self) -> bool:
        return self.directory is None


def checked_overrides(base: Settings, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The overrides when each is an overridable field of the right type and the result is valid settings."""
    unknown = sorted(set(overrides) - set(OVERRIDABLE))
    if unknown:
        raise InvalidKnowledgeBase(f"a knowledge base cannot set {', '.join(unknown)}; it may set "
                                   f"{', '.join(OVERRIDABLE)}", code="invalid_kb_settings")
    defaults = {f.name: f.default for f in fields(Settings)}
    for name, value in overrides.items():
        if type(value) is not type(defaults[name]):
            raise InvalidKnowledgeBase(f"{name} must be a {type(defaults[name]).__name__}", code="invalid_kb_settings")
    try:
        base.with_overrides(**overrides)
    except SettingsError as exc:
        raise InvalidKnowledgeBase(str(exc), code="invalid_kb_settings") from None
    return dict(overrides)


class KnowledgeBaseStore:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.knowledge_base_root
        # the model id the OpenAI face lists `default` under is reserved: /v1/models could not tell them apart
        self.reserved = {DEFAULT_KB, settings.service_model_id}

    # -- reading ------------------------------------------------------------------------------------------

    def names(self) -> list[str]:
        """`default`, then every other knowledge base in name order."""
        try:
            found = sorted(p.name for p in self.root.iterdir()
                           if is_valid_name(p.name) and (p / SETTINGS_FILE).is_file())
        except FileNotFoundError:
            found = []
        return [DEFAULT_KB, *[n for n in found if n != DEFAULT_KB]]

    def get(self, name: str) -> KnowledgeBaseRecord:
        if name == DEFAULT_KB:
            return KnowledgeBaseRecord(DEFAULT_KB, DEFAULT_KB, "")
        if not is_valid_name(name):
            raise KnowledgeBaseNotFound()
        directory = self.root / name
        try:
            data = json.loads((directory / SETTINGS_FILE).read_text(encoding="utf-8"))
        except (FileNotFoundError, NotADirectoryError):
            raise KnowledgeBaseNotFound() from None
        except (OSError, ValueError) as exc:
            log.error("knowledge base %s: %s unreadable: %s", name, SETTINGS_FILE, exc)
            raise KnowledgeBaseNotFound() from None
        overrides = {k: v for k, v in dict(data.get("settings") or {}).items() if k in OVERRIDABLE}
        return KnowledgeBaseRecord(name, str(data.get("id", name)), str(data.get("created_at", "")), overrides,
                                   directory)

    def stamp(self, name: str) -> tuple[int, int] | None:
        """Identity of a knowledge base's entry (its kb.json): changes when it is deleted and made again, or another
        takes its name by a rename; None when there is none. A stat: cheap enough for every request."""
        if name == DEFAULT_KB:
            return (0, 0)
        if not is_valid_name(name):
            return None
        try:
            st = os.stat(self.root / name / SETTINGS_FILE)
        except OSError:
            return None
        return st.st_ino, st.st_dev

    def settings_for(self, record: KnowledgeBaseRecord) -> Settings:
        """The service's settings with this knowledge base's index directory, Milvus collection and overrides."""
        if record.is_default:
            return self.settings
        assert record.directory is not None
        return self.settings.with_overrides(index_dir=record.directory / INDEX_FOLDER,
                                            milvus_collection=f"{self.settings.milvus_collection}_{record.id}",
                                            **record.overrides)

    # -- changing -----------------------------------------------------------------------------------------

    def create(self, name: str, overrides: Mapping[str, Any] | None = None) -> KnowledgeBaseRecord:
        name = self._new_name(name)
        settings = checked_overrides(self.settings, overrides or {})
        entry = {"id": uuid.uuid4().hex[:16], "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                 "settings": settings}
        with self._locked():
            self._refuse_taken(name)
            staging = self.root / f".new-{uuid.uuid4().hex}"
            staging.mkdir()
            try:
                (staging / SETTINGS_FILE).write_text(json.dumps(entry, ensure_ascii=False, indent=2) + "\n",
                                                     encoding="utf-8")
                os.rename(staging, self.root / name)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
        log.info("knowledge base %s created", name)
        return self.get(name)

    def rename(self, name: str, new_name: str) -> KnowledgeBaseRecord:
        if name == DEFAULT_KB:
            raise DefaultKnowledgeBaseFixed("renamed")
        new_name = self._new_name(new_name)
        with self._locked():
            record = self.get(name)
            self._refuse_taken(new_name)
            assert record.directory is not None
            with writer_lock(record.directory / INDEX_FOLDER, LOCK_TIMEOUT_SECONDS):
                os.rename(record.directory, self.root / new_name)
        log.info("knowledge base %s renamed %s", name, new_name)
        return self.get(new_name)

    def delete(self, name: str) -> KnowledgeBaseRecord:
        if name == DEFAULT_KB:
            raise DefaultKnowledgeBaseFixed("deleted")
        with self._locked():
            record = self.get(name)
            assert record.directory is not None
            trash = self.root / f".deleted-{uuid.uuid4().hex}"
            settings = self.settings_for(record)
            with writer_lock(record.directory / INDEX_FOLDER, LOCK_TIMEOUT_SECONDS):
                os.rename(record.directory, trash)  # out of the registry: no request finds it from here on
        shutil.rmtree(trash, ignore_errors=True)
        _discard_vectors(settings)
        log.info("knowledge base %s deleted", name)
        return record

    def _new_name(self, name: str) -> str:
        name = checked_name(name)
        if name in self.reserved:
            raise KnowledgeBaseExists(f"the name `{name}` is reserved")
        return name

    def _refuse_taken(self, name: str) -> None:
        """Under the lock. A folder of that name without kb.json is no knowledge base: what a writer that was
        waiting for the index's lock when its knowledge base was renamed or deleted left behind; it goes."""
        folder = self.root / name
        if (folder / SETTINGS_FILE).exists():
            raise KnowledgeBaseExists(f"a knowledge base named `{name}` exists already")
        if folder.exists() or folder.is_symlink():
            log.warning("knowledge bases: %s has no %s; removed", folder, SETTINGS_FILE)
            trash = self.root / f".deleted-{uuid.uuid4().hex}"
            os.rename(folder, trash)
            shutil.rmtree(trash, ignore_errors=True)

    def _locked(self):
        return writer_lock(self.root, LOCK_TIMEOUT_SECONDS, lock_file=REGISTRY_LOCK)


def _discard_vectors(settings: Settings) -> None:
    """Drop what a vector engine outside the index directory held for a deleted knowledge base (its Milvus
    collection). The deletion stands if that fails (Milvus Lite opens its file in one process only: a `qa kb
    delete` while a server holds it): the collection is named in the warning, to drop by hand."""
    from qa_service.vector_backends import vector_backend

    backend = vector_backend(settings)
    try:
        backend.discard()
    except Exception as exc:  # pymilvus raises its own MilvusException and gRPC errors
        log.warning("knowledge base deleted, but its vectors in %s (collection %s) could not be dropped: %s",
                    settings.vector_store, settings.milvus_collection, exc)
    finally:
        backend.close()
