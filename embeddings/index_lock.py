"""One writer at a time per index directory, across processes (`qa ingest`, uploads, deletions, workers).

An exclusive `flock` on DIR/.writer.lock: the kernel drops it when the holder exits, even on SIGKILL,
so a crashed writer never leaves the index locked. Each acquisition opens the file anew, so two threads
of one process exclude each other too. Readers never take it: they follow CURRENT, which writers
replace atomically.
"""
from __future__ import annotations

import fcntl
import logging
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from embeddings.index_store import IndexStoreError

log = logging.getLogger(__name__)

LOCK_FILE = ".writer.lock"
EMBEDDER_LOCK_FILE = ".embedder.lock"  # held by the one process that embeds a lexical version in the background


class IndexBusy(IndexStoreError):
    public_reason = "another change to the index is being written; retry shortly"


@contextmanager
def writer_lock(index_dir: Path, timeout: float | None = None, poll_seconds: float = 0.05,
                lock_file: str = LOCK_FILE) -> Iterator[None]:
    """Hold the index directory's writer lock (or another of its locks); wait at most `timeout` seconds (None: as
    long as it takes, 0: not at all)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(index_dir / lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        waiting_logged = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    raise IndexBusy(f"{index_dir} is being written by another process (waited {timeout:.0f} s)") \
                        from None
                if not waiting_logged:
                    log.info("waiting for another writer of %s to finish", index_dir)
                    waiting_logged = True
                time.sleep(poll_seconds)
        yield
    finally:
        os.close(fd)  # releases the lock
