"""Keeps a serving QAService on the index directory's current version, without a restart.

Before each request a worker stats DIR/CURRENT (a few microseconds); when the pointer changed since
the last look, the worker loads the version it names before serving, so a document uploaded through
one gunicorn worker is visible to the next request on any worker. Loads are serialised per process;
requests already running finish on the version they started with. A version that fails to load is
logged and the old one stays in service until CURRENT changes again.

A watcher starts from the version its service serves: if CURRENT already names another one (a version
written while a gunicorn worker was still starting, between its load and its watcher), the first request
loads it. POST /admin/reload does the same on demand, and is the way when QA_AUTO_RELOAD is off.
"""
from __future__ import annotations

import logging
import threading

from embeddings.index_store import IndexStoreError, current_version_dir, pointer_stamp
from qa_service.service import QAService

log = logging.getLogger(__name__)


class IndexWatcher:
    def __init__(self, service: QAService) -> None:
        self._service = service
        self._index_dir = service.settings.index_dir
        self._lock = threading.Lock()
        stamp = pointer_stamp(self._index_dir)  # read before CURRENT: a change after it is seen as a change
        try:
            current = current_version_dir(self._index_dir)
        except IndexStoreError:
            current = None
        served = service.info().get("index_version")
        self._seen = stamp if current is not None and current.name == served else None

    def check(self) -> None:
        """Load the current version when CURRENT changed since the last check; cheap when it did not."""
        if pointer_stamp(self._index_dir) != self._seen:
            self.refresh()

    def refresh(self) -> bool:
        """Load the current version unless it is the one being served; True when a new one was loaded."""
        with self._lock:
            stamp = pointer_stamp(self._index_dir)  # before reading CURRENT: a later change is seen next time
            try:
                current = current_version_dir(self._index_dir)
                if current is None or current.name == self._service.info()["index_version"]:
                    self._seen = stamp
                    return False
                self._service.load()
            except IndexStoreError as exc:
                log.error("index version in %s not loaded, still serving the previous one: %s", self._index_dir, exc)
                self._seen = stamp
                return False
            except Exception:  # never fail the request that noticed the change
                log.exception("loading the new index version failed; still serving the previous one")
                self._seen = stamp
                return False
            self._seen = stamp
            log.info("now serving index version %s", current.name)
            return True
