"""One folder sync, step by step: read the files found, plan against the current version, process (load, chunk,
embed) what the plan asks for outside the writer lock, then under the lock plan again against the version as it
is now, assemble the documents the plan names and hand them to the writer; and the report."""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import time

from documents.errors import DocumentError
from documents.loaders import Discovery, FoundFile
from qa_service.document_records import FOLDER, UPLOAD
from qa_service.ingestion.plan import (CARRY, KEEP, PROCESS, FoundState, IndexAsIs, SyncPlan, changes_between,
                                       plan_sync)
from qa_service.ingestion.preparing import DocumentPreparer
from qa_service.ingestion.records import (EmptyIndex, FileTooLarge, IndexContents, IndexedDocument, IngestFailure,
                                          IngestReport, StepTimes)
from qa_service.upload_store import UploadStore

log = logging.getLogger(__name__)


def index_as_is(contents: IndexContents) -> IndexAsIs:
    return IndexAsIs(contents.records, reusable=contents.documents is not None, exists=contents.version is not None)


class SyncRun:
    """The state of one sync: the files found, their bytes and hashes, what was processed, and the outcome."""

    def __init__(self, preparer: DocumentPreparer, uploads: UploadStore, found: Discovery, rebuild: bool = False,
                 show_progress: bool = False, embed: bool = True) -> None:
        self.preparer = preparer
        self.embed = embed  # False: a lexical version (the vectors are made in the background)
        self.uploads = uploads  # stored copies of uploads, processed again when chunks cannot be reused
        self.found = found
        self.rebuild = rebuild
        self.show_progress = show_progress
        self.timer = StepTimes()
        self.started = time.perf_counter()
        self.model_before = preparer.embedder.model_calls
        self.failures: list[IngestFailure] = [IngestFailure.of(f.path, f.error) for f in found.failures]
        self.raws: dict[str, tuple[bytes, str]] = {}  # file key -> (bytes, sha256)
        self.prepared: dict[tuple[str, str], IndexedDocument] = {}  # (file key or upload id, sha256) -> document
        self.bad: dict[str, IngestFailure] = {}  # file key or upload id -> why it could not be indexed
        self.plan: SyncPlan | None = None  # the plan made under the lock, once there is one
        self.chunks = 0  # passages of the new version

    def read_files(self) -> "SyncRun":
        t0 = time.perf_counter()
        for f in self.found.files:
            try:
                self.preparer.check_size(str(f.path), f.path.stat().st_size)
                raw = f.path.read_bytes()
            except FileTooLarge as exc:
                self.failures.append(IngestFailure.of(str(f.path), exc))
                continue
            except OSError as exc:
                self.failures.append(IngestFailure(str(f.path), "DocumentError", f"{f.path}: cannot read: {exc}"))
                continue
            self.raws[f.key] = (raw, hashlib.sha256(raw).hexdigest())
        self.timer.load += time.perf_counter() - t0
        return self

    def plan_against(self, contents: IndexContents) -> SyncPlan:
        files = [FoundState(f.key, f.path.name, *((self.raws[f.key][1], len(self.raws[f.key][0]))
                                                   if f.key in self.raws else (None, None)))
                 for f in self.found.files]
        return plan_sync(index_as_is(contents), files, self.found.missing, frozenset(self.bad), self.rebuild)

    def index_is_current(self, contents: IndexContents) -> bool:
        """Nothing to do, judged from the records alone: every file readable and indexed as it is, nothing else."""
        return not self.failures and not self.rebuild and self.plan_against(contents).current

    def process(self, plan: SyncPlan) -> None:
        """Load and chunk the files the plan processes, then embed them all in one call (outside the lock; not at
        all for a lexical version)."""
        files = {f.key: f for f in self.found.files}
        pending = [(key, self.raws[key][1]) for key in plan.to_process
                   if self._prepare_file(files[key], embed=False) is not None]
        unembedded = [k for k in pending if self.prepared[k].vectors is None]
        if unembedded and self.embed:
            embedded = self.preparer.embedder.embed_documents([self.prepared[k] for k in unembedded],
                                                             self.show_progress, self.timer)
            self.prepared.update(zip(unembedded, embedded))

    def _prepare_file(self, f: FoundFile, embed: bool | None = None) -> IndexedDocument | None:
        raw, sha = self.raws[f.key]
        embed = self.embed if embed is None else embed
        if (f.key, sha) not in self.prepared and f.key not in self.bad:
            try:
                self.prepared[(f.key, sha)] = self.preparer.parse_and_prepare(
                    str(f.path), raw, FOLDER, f.key, show_progress=self.show_progress, timer=self.timer, embed=embed)
            except Exception as exc:  # noqa: BLE001 (any failure with one file is that file's, never the batch's)
                if not isinstance(exc, DocumentError):
                    log.warning("%s: cannot be indexed", f.path, exc_info=True)
                self.bad[f.key] = IngestFailure.of(str(f.path), exc)
        return self.prepared.get((f.key, sha))

    def _prepare_upload(self, contents: IndexContents, row: int) -> IndexedDocument | None:
        record = contents.records[row]
        if record.id not in self.bad and (record.id, record.sha256) not in self.prepared:
            try:
                raw = self.uploads.read(record.source)  # type: ignore[arg-type]  (REPROCESS: it has a source)
                doc = self.preparer.parse_and_prepare(record.name, raw, UPLOAD, record.name, stored_as=record.source,
                                                      timer=self.timer, embed=self.embed)
                self.prepared[(record.id, record.sha256)] = dataclasses.replace(
                    doc, record=doc.record.renewed(record), raw=None)
            except Exception as exc:  # noqa: BLE001 (one stored upload's failure is that document's, never the run's)
                self.bad[record.id] = IngestFailure(record.name, type(exc).__name__,
                                                    f"{record.name}: the stored upload cannot be indexed again: {exc}")
        return self.prepared.get((record.id, record.sha256))

    def change(self, contents: IndexContents) -> list[IndexedDocument] | None:
        """The new document list, given the current version (called under the writer lock); None: nothing to
        write. Files or uploads that fail to process here are planned again without them."""
        while True:
            plan = self.plan_against(contents)
            documents = self._assemble(plan, contents)
            if documents is not None:
                break
        if not documents:
            where = ", ".join(str(f.path) for f in self.found.files) or "the given paths (no supported files)"
            raise EmptyIndex(f"no text to index in {where}")
        self.plan, self.chunks = plan, sum(d.record.chunks for d in documents)
        return documents if plan.writes else None

    def _assemble(self, plan: SyncPlan, contents: IndexContents) -> list[IndexedDocument] | None:
        """The documents the plan names; None when one failed to process (the plan must be made again)."""
        files = {f.key: f for f in self.found.files}
        out: list[IndexedDocument] = []
        for p in plan.documents:
            if p.action in (CARRY, KEEP):
                held = contents.documents[p.row]  # type: ignore[index]  (a reusable version's row)
                carried = IndexedDocument(p.record, held.chunks, held.vectors)  # type: ignore[arg-type]
                out.append(held if p.action == KEEP else carried)
                continue
            fresh = (self._prepare_file(files[p.key]) if p.action == PROCESS
                     else self._prepare_upload(contents, p.row))  # type: ignore[arg-type]
            if fresh is None:
                return None
            if p.action == PROCESS:
                fresh = dataclasses.replace(fresh, record=fresh.record.renewed(p.earlier))
            out.append(fresh)
        return out

    def report(self, version_name: str | None, contents: IndexContents) -> IngestReport:
        self.failures.extend(self.bad.values())
        for failure in self.failures:
            log.warning("not indexed: %s", failure.message)
        model_after = self.preparer.embedder.model_calls
        written = version_name is not None
        if self.plan is not None:
            changes, chunks = self.plan.changes, self.chunks
        else:  # the index was current: nothing planned
            changes = changes_between(contents.records, contents.records)
            chunks = sum(r.chunks for r in contents.records)
        total = time.perf_counter() - self.started
        return IngestReport(
            index_version=version_name or contents.version,
            documents=len(changes.added) + len(changes.updated) + len(changes.unchanged), chunks=chunks,
            load_clean_chunk_seconds=self.timer.load, embed_seconds=self.timer.embed,
            index_seconds=max(total - self.timer.load - self.timer.embed, 0.0),
            added=changes.added, updated=changes.updated, removed=changes.removed, unchanged=changes.unchanged,
            embedded_chunks=self.timer.embedded if self.embed else 0,  # a lexical version's are made later
            model_chunks=(None if self.model_before is None or model_after is None
                          else model_after - self.model_before),
            written=written, rebuilt=changes.rebuilt,
            failures=tuple(self.failures), skipped=tuple(self.found.skipped))
