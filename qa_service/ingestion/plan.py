"""The plan of a folder sync: the index as it is and the files as found -> what each document of the new version
is made from, and which documents are added, updated, removed or unchanged. Pure: no files, no model.

A file is identified by its resolved path (its document id derives from it). It is carried over when the index
holds its name with its content hash (its chunks and vectors are reused, from wherever they were), processed
otherwise. A file that cannot be read or processed now keeps the version the index holds; folder documents
under a given path that could not be read at all stay; uploaded documents are never touched by a sync, but are
processed again from their stored copies when the index's chunks cannot be reused (other settings, --rebuild).
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Callable, Sequence

from qa_service.document_records import FOLDER, UPLOAD, DocumentRecord, document_id

CARRY = "carry"  # the file as the index holds it: chunks and vectors reused
PROCESS = "process"  # the file is loaded, chunked and embedded
KEEP = "keep"  # the document stays as the index holds it
REPROCESS = "reprocess"  # an upload processed again from its stored copy


@dataclass(frozen=True)
class IndexAsIs:
    """What the plan needs of the current version: its records, and whether their chunks can be reused."""

    records: Sequence[DocumentRecord]
    reusable: bool  # built with the same index specification and readable
    exists: bool = True  # False: there is no index yet


@dataclass(frozen=True)
class FoundState:
    """A file as found: its identity, its name and its content hash (None: it could not be read)."""

    key: str
    name: str
    sha256: str | None
    size: int | None = None


@dataclass(frozen=True)
class PlannedDocument:
    action: str  # CARRY, PROCESS, KEEP or REPROCESS
    doc_id: str
    name: str
    sha256: str
    key: str | None = None  # the file (CARRY, PROCESS)
    row: int | None = None  # the current record it is made from (CARRY, KEEP, REPROCESS)
    earlier: DocumentRecord | None = None  # the record it replaces: its history (added_at), and what changed
    record: DocumentRecord | None = None  # the record the new version holds (None: known once processed)


@dataclass(frozen=True)
class Changes:
    """Document names added, updated, unchanged and removed by a write."""

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    rebuilt: bool = False  # every document processed again


@dataclass(frozen=True)
class SyncPlan:
    documents: tuple[PlannedDocument, ...]  # the new version's documents, in order
    changes: Changes
    reusable: bool
    current: bool  # the index holds exactly these files as they are: nothing to do
    records_unchanged: bool  # the new version would hold exactly the current records: nothing to write

    @property
    def to_process(self) -> tuple[str, ...]:
        """Keys of the files to load, chunk and embed."""
        return tuple(d.key for d in self.documents if d.action == PROCESS and d.key is not None)

    @property
    def writes(self) -> bool:
        return not self.records_unchanged


def history(records: Sequence[DocumentRecord]) -> Callable[[str, str], DocumentRecord | None]:
    """The record a new folder document replaces: same id, or (old manifests) a record of the same name."""
    by_id = {r.id: r for r in records}
    legacy = {r.name: r for r in records if r.origin == FOLDER and r.source is None}
    return lambda doc_id, name: by_id.get(doc_id) or legacy.get(name)


def under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def plan_sync(index: IndexAsIs, files: Sequence[FoundState], missing: Sequence[str] = (),
              failed: frozenset[str] = frozenset(), rebuild: bool = False) -> SyncPlan:
    """The new version's documents for a sync of `files`. `missing`: given paths (resolved) that could not be
    read at all; `failed`: file keys and upload ids whose processing failed (known after a first plan)."""
    records = list(index.records)
    reusable = index.reusable and not rebuild
    previous = history(records)
    usable = list(enumerate(records)) if reusable else []
    carried = {(r.name, r.sha256): row for row, r in usable}
    by_id = {r.id: row for row, r in usable}
    planned: list[PlannedDocument] = []

    def keep(row: int) -> PlannedDocument:
        record = records[row]
        return PlannedDocument(KEEP, record.id, record.name, record.sha256, row=row, earlier=record, record=record)

    for f in files:
        doc_id = document_id(FOLDER, f.key)
        entry: PlannedDocument | None = None
        if f.sha256 is not None:
            earlier = previous(doc_id, f.name)
            row = carried.get((f.name, f.sha256))
            if row is not None:
                record = dataclasses.replace(records[row], id=doc_id, origin=FOLDER, source=f.key, size=f.size)
                entry = PlannedDocument(CARRY, doc_id, f.name, f.sha256, f.key, row, earlier, record.renewed(earlier))
            elif f.key not in failed:
                entry = PlannedDocument(PROCESS, doc_id, f.name, f.sha256, f.key, None, earlier)
        if entry is None and doc_id in by_id:
            entry = keep(by_id[doc_id])  # a file that cannot be indexed now keeps its indexed version
        if entry is not None:
            planned.append(entry)
    planned.extend(keep(row) for row, r in usable
                   if r.origin == FOLDER and r.source and any(under(r.source, root) for root in missing))
    for row, r in enumerate(records):
        if r.origin != UPLOAD:
            continue
        if reusable:
            planned.append(keep(row))
        elif r.source and r.id not in failed:
            planned.append(PlannedDocument(REPROCESS, r.id, r.name, r.sha256, row=row, earlier=r))
    return SyncPlan(tuple(planned), _changes(records, planned, rebuilt=not reusable and bool(records)), reusable,
                    current=not rebuild and index.reusable and index.exists and _holds_exactly(records, files),
                    records_unchanged=reusable and [p.record for p in planned] == records)


def _holds_exactly(records: Sequence[DocumentRecord], files: Sequence[FoundState]) -> bool:
    """Every file indexed as it is, in the order found, nothing else but uploads after them (from the records
    alone: nothing is processed to tell)."""
    folder = [(r.id, r.sha256, r.source) for r in records if r.origin == FOLDER]
    uploads_last = all(r.origin == UPLOAD for r in records[len(folder):])
    expected = [(document_id(FOLDER, f.key), f.sha256, f.key) for f in files]
    return uploads_last and all(f.sha256 is not None for f in files) and folder == expected


def _changes(before: Sequence[DocumentRecord], after: Sequence[PlannedDocument], rebuilt: bool) -> Changes:
    matched: set[str] = set()
    out: dict[str, list[str]] = {"added": [], "updated": [], "unchanged": []}
    for doc in after:
        if doc.earlier is None:
            out["added"].append(doc.name)
            continue
        matched.add(doc.earlier.id)
        out["unchanged" if doc.earlier.sha256 == doc.sha256 else "updated"].append(doc.name)
    return Changes(tuple(out["added"]), tuple(out["updated"]), tuple(out["unchanged"]),
                   tuple(r.name for r in before if r.id not in matched), rebuilt)


def changes_between(before: Sequence[DocumentRecord], after: Sequence[DocumentRecord]) -> Changes:
    """What a write changed, from the records alone (records are matched by id; of old manifests by name)."""
    previous = history(before)
    by_id = {r.id: r for r in before}
    return _changes(before, [PlannedDocument(KEEP, r.id, r.name, r.sha256, earlier=(
        previous(r.id, r.name) if r.origin == FOLDER else by_id.get(r.id))) for r in after], rebuilt=False)
