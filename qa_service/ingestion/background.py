"""Completing a lexical version: its vectors made batch by batch and kept as they are made, then a complete
version of the same documents written and switched in.

A lexical version (embeddings/index_store.py, `dense: "pending"`) is served by BM25 and the reranker from the
moment it is written. `VectorCompleter.complete` makes what it lacks: the term vectors (the reader's close words;
a lexical version with them is switched in at once), then the passage vectors, each through the embedding cache and in the encoder's own batches (`batch_plan`: the groups one
call over the same texts would make, so every vector is the one `qa ingest` would have made), committing every
batch to DIR/.pending-vectors.sqlite (embeddings/pending_vectors.py). A kill loses at most the batch being
encoded; the next run finds the rest there. Then, under the writer lock, if CURRENT still names the version it
started from, the complete version is written by the same writer as every other version (its checksums, the
external vector store, the atomic switch); if an upload or a deletion wrote another lexical version meanwhile,
it carries on with that one (the vectors it made stay usable: they are keyed by text, not by version).

`BackgroundEmbedding` runs it in a thread of a serving process, under DIR/.embedder.lock, so that with several
workers (or servers) on one index one of them embeds and the others serve the versions it writes; another takes
over if that one dies (the kernel drops its lock).
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from embeddings.carried_vectors import absorb as absorb_carried
from embeddings.index_lock import EMBEDDER_LOCK_FILE, IndexBusy, writer_lock
from embeddings.index_store import IndexStoreError, current_version_dir, read_manifest, read_version
from embeddings.lexical.term_vectors import TermVectors
from embeddings.pending_vectors import EmbeddingProgress, write_progress
from qa_service.ingestion.contents import manifest_records, pending_store
from qa_service.ingestion.embedding import PassageEmbedder
from qa_service.ingestion.records import IndexedDocument
from qa_service.ingestion.writing import VersionWriter
from qa_service.settings import Settings

log = logging.getLogger(__name__)

# The complete version waits this long for another writer (an upload, `qa ingest`), then tries again later.
SWITCH_LOCK_TIMEOUT_SECONDS = 60.0


class Stopped(Exception):
    """The process is stopping: what was made is kept, the rest is made by the next run."""


class VectorCompleter:
    def __init__(self, settings: Settings, embedder: PassageEmbedder, writer: VersionWriter) -> None:
        self.settings = settings
        self.spec = settings.index_spec
        self.index_dir = settings.index_dir
        self.embedder = embedder
        self.writer = writer
        self.store = pending_store(self.index_dir, self.spec)
        self._version = ""  # the lexical version being completed (for the log)

    def pending(self) -> bool:
        """Whether CURRENT names a lexical version of these settings (one this process can complete)."""
        try:
            manifest = read_manifest(self.index_dir)
        except IndexStoreError:
            return False
        return manifest is not None and manifest.pending and self.spec.matches(manifest)

    def complete(self, stop: threading.Event | None = None, show_progress: bool = False,
                 on_switch: Callable[[], object] | None = None) -> Path | None:
        """Make the current lexical version's vectors and switch its complete version in; the version written,
        or None when there was nothing to complete. Raises Stopped when `stop` is set (nothing is lost).

        The term vectors come first (about a tenth of the work): without them the reader misses close words, and
        on dev.jsonl the lexical version answered 56% of the questions right instead of 83%. A lexical version
        with them is switched in as soon as they are made (`on_switch` is called), then the passages follow."""
        while self.pending():
            absorb_carried(self.store, self.index_dir, self.spec)  # what a replaced complete version held
            stored = read_version(self.index_dir)
            name = self._version = stored.directory.name
            started = time.time()
            n = len(stored.chunks)
            self._note(name, 0, n, "model", started, None)
            model, cache = self.embedder.model_and_cache()
            bm25 = self.writer.index.bm25(stored.chunks)
            terms = TermVectors.build(bm25.vocabulary, lambda words: self._embed(
                words, model, cache, "terms", stop, show_progress,
                lambda done, left: self._note(name, 0, n, "terms", started, left)))
            if self._held_terms(stored.directory) is None:  # an upload's version holds those it carried over
                if self._switch(stored, name, None, terms) is not None and on_switch is not None:
                    on_switch()
                continue  # the version with the term vectors (or whatever replaced it) is completed next
            texts = [self.spec.text_of(c) for c in stored.chunks]
            vectors = self._embed(texts, model, cache, "passages", stop, show_progress,
                                  lambda done, left: self._note(name, done, n, "passages", started, left))
            self._note(name, n, n, "switching", started, None)
            version = self._switch(stored, name, vectors, terms)
            if version is None:
                continue
            log.info("index version %s: vectors complete after %.0f s; hybrid retrieval in %s", name,
                     time.time() - started, version.name)
            return version
        return None

    @staticmethod
    def _held_terms(directory: Path) -> TermVectors | None:
        """The term vectors the lexical version holds (all of its words', or those a change carried over)."""
        try:
            return TermVectors.load(directory)
        except (OSError, ValueError):
            return None

    def _switch(self, stored, name: str, vectors: np.ndarray | None, terms: TermVectors) -> Path | None:
        """Under the writer lock, if CURRENT still names `name`: write its documents with these vectors (None: a
        lexical version with the term vectors) and switch to it; None when another version replaced it."""
        with writer_lock(self.index_dir, SWITCH_LOCK_TIMEOUT_SECONDS):
            current = current_version_dir(self.index_dir)
            if current is None or current.name != name:
                log.info("index version %s was replaced while its vectors were made; carrying on with %s",
                         name, current.name if current else None)
                return None
            documents, row = [], 0
            for record in manifest_records(stored.manifest):
                documents.append(IndexedDocument(record, stored.chunks[row:row + record.chunks],
                                                 None if vectors is None else vectors[row:row + record.chunks]))
                row += record.chunks
            version = self.writer.write(documents, lexical=vectors is None, terms=terms)
        if vectors is None:
            log.info("index version %s: term vectors made; close words in %s, passages next", name, version.name)
        return version

    def _embed(self, texts: Sequence[str], model, cache, phase: str, stop: threading.Event | None,
               show_progress: bool, note: Callable[[int, float | None], None]) -> np.ndarray:
        """Vectors of `texts`, row for row: from the pending store, the embedding cache, else the model, one of its
        batches at a time, each committed to the pending store before the next; `note(done, seconds_left)` after
        each."""
        keys = [self.store.key(t) for t in texts]
        found = self.store.get(keys, model.dimension)
        if cache is not None:
            unknown = [i for i, k in enumerate(keys) if k not in found]
            cached = cache.lookup([texts[i] for i in unknown])
            if cached:
                hits = [unknown[j] for j in cached]
                self.store.put([keys[i] for i in hits], np.vstack(list(cached.values())))
                found.update((keys[i], cached[j]) for j, i in zip(cached, hits))
        missing = [i for i, k in enumerate(keys) if k not in found]
        total, done = len(texts), len(texts) - len(missing)
        if missing:
            log.info("%s of %s: %d to embed, %d already made", phase, self._version, len(missing), done)
        plan = model.batch_plan([texts[i] for i in missing]) if missing else []
        # The time left is measured in characters, not passages: the batches run longest first, so a rate in
        # passages would make the first estimates several times too long.
        chars_left = sum(len(texts[i]) for i in missing)
        t0, chars_made = time.monotonic(), 0
        bar = _progress_bar(len(missing), phase) if show_progress else None
        for group in plan:
            if stop is not None and stop.is_set():
                raise Stopped(f"stopped with {done} of {total} {phase} embedded")
            rows = [missing[j] for j in group]
            batch_texts = [texts[i] for i in rows]
            batch = np.asarray(model.encode_documents(batch_texts), dtype=np.float32)
            self.store.put([keys[i] for i in rows], batch)
            if cache is not None:
                cache.remember(batch_texts, batch)
            found.update(zip((keys[i] for i in rows), batch))
            done += len(rows)
            chars = sum(len(t) for t in batch_texts)
            chars_made, chars_left = chars_made + chars, chars_left - chars
            if bar is not None:
                bar.update(len(rows))
            note(done, chars_left * (time.monotonic() - t0) / max(chars_made, 1))
        if bar is not None:
            bar.close()
        note(total, 0.0)
        if not texts:
            return np.zeros((0, model.dimension), dtype=np.float32)
        return np.vstack([found[k] for k in keys]).astype(np.float32, copy=False)

    def _note(self, version: str, embedded: int, total: int, phase: str, started: float,
              seconds_left: float | None) -> None:
        try:
            write_progress(self.index_dir, EmbeddingProgress(version, embedded, total, phase, started, seconds_left,
                                                             time.time()))
        except OSError as exc:  # progress is for people; the vectors are what matters
            log.debug("progress note not written: %s", exc)


def _progress_bar(total: int, phase: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=f"Embedding {phase}", unit="text")


class BackgroundEmbedding:
    """A thread of a serving process that completes lexical versions of its index, one process per index."""

    def __init__(self, completer: VectorCompleter, on_complete: Callable[[], object],
                 poll_seconds: float = 2.0) -> None:
        self.completer = completer
        self._on_complete = on_complete
        self._poll = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.embedding = False  # this process holds the embedder lock now

    def start(self) -> "BackgroundEmbedding":
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="background-embedding", daemon=True)
            self._thread.start()
        return self

    def nudge(self) -> None:
        """Look now (a lexical version was just written here)."""
        self._wake.set()

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                if self.completer.pending():
                    with writer_lock(self.completer.index_dir, timeout=0, lock_file=EMBEDDER_LOCK_FILE):
                        self.embedding = True
                        try:
                            version = self.completer.complete(self._stop, on_switch=self._on_complete)
                        finally:
                            self.embedding = False
                    if version is not None:
                        self._on_complete()
                failures = 0
            except IndexBusy:
                pass  # another process embeds this index (or a writer held on too long): look again later
            except Stopped:
                return
            except Exception:  # noqa: BLE001 (a failed run is retried; the lexical version stays in service)
                failures += 1
                log.exception("background embedding failed (attempt %d); the lexical version stays in service",
                              failures)
            self._wake.wait(self._poll * min(2 ** failures, 30))
            self._wake.clear()
