"""Filters of a search, ask or chat: which passages of the loaded version may be retrieved at all.

A filter is resolved once per index version into the rows it allows (a mask over the chunk list, the row
numbers, and what a vector store needs to restrict its own search), and the Query carries that resolution
to every retriever: BM25 scores only allowed rows, FAISS searches through an id selector and Milvus through
a filter expression. So the top k are the top k of the allowed passages, never a shortened list left after
dropping the others. Document fields (name, id, format, date) come from the version's records, title and
section from the chunks; a record without a stated date is dated by the day it was added.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Sequence

import numpy as np

from documents.models import Chunk
from embeddings.vector_stores.keyed_base import RowSelection
from qa_service.document_records import DocumentRecord
from qa_service.search_filter import AllowedRows, SearchFilter

# What an ask whose filters allow no passage answers (answerable false, no citations), and its notice.
NO_MATCH_ANSWER = "抱歉，没有文档符合所给的筛选条件，无法回答。"
NO_MATCH_NOTICE = "no documents match the filters"
# Resolutions remembered per loaded version, at most this many and this many bytes (each holds a byte per passage
# and 8 per allowed passage: 64 filters of the bundled index take 3 MB; at 540,000 passages the bytes bound it).
RESOLVED_PER_VERSION = 64
RESOLVED_BYTES = 64 * 2**20


class FilterResolver:
    """Resolves filters against one loaded version; remembers the last RESOLVED_PER_VERSION (thread-safe)."""

    def __init__(self, chunks: Sequence[Chunk], records: Sequence[DocumentRecord], doc_ids: Sequence[str],
                 keys: Sequence[str], remembered: int = RESOLVED_PER_VERSION) -> None:
        self._chunks = chunks
        self._keys = keys
        self._records = list(records)
        by_id = {r.id: i for i, r in enumerate(self._records)}
        by_name = {}
        for i, r in enumerate(self._records):
            by_name.setdefault(r.name, i)
        # Each row's record; -1 for a row no record accounts for (it fails every document-level filter).
        self._record_of = np.fromiter(
            (by_id.get(d, by_name.get(c.doc, -1)) for d, c in zip(doc_ids, chunks)), dtype=np.int64, count=len(chunks))
        self._doc_ids = list(doc_ids)
        self._remembered = remembered
        self._cache: OrderedDict[SearchFilter, AllowedRows] = OrderedDict()
        self._bytes = 0  # held by the remembered resolutions
        self._lock = threading.Lock()

    def resolve(self, wanted: SearchFilter | None) -> AllowedRows | None:
        """The rows `wanted` allows; None when it constrains nothing (every row allowed)."""
        if wanted is None or wanted.unconstrained:
            return None
        with self._lock:
            found = self._cache.get(wanted)
            if found is not None:
                self._cache.move_to_end(wanted)
                return found
        found = self._resolved(wanted)
        with self._lock:
            if wanted not in self._cache:
                self._cache[wanted] = found
                self._bytes += found.nbytes
            while len(self._cache) > 1 and (len(self._cache) > self._remembered or self._bytes > RESOLVED_BYTES):
                self._bytes -= self._cache.popitem(last=False)[1].nbytes
        return found

    def _resolved(self, wanted: SearchFilter) -> AllowedRows:
        documents = np.array([wanted.admits(r) for r in self._records] + [not _document_fields(wanted)], dtype=bool)
        mask = documents[self._record_of]  # index -1: the last entry (rows without a record)
        if wanted.by_passage:
            mask &= np.fromiter((wanted.admits_passage(c) for c in self._chunks), dtype=bool, count=len(mask))
        rows = np.flatnonzero(mask).astype(np.int64)
        whole = None if wanted.by_passage else frozenset(self._doc_ids[r] for r in rows)
        return AllowedRows(wanted, mask, RowSelection(rows, self._keys, whole))


def _document_fields(wanted: SearchFilter) -> bool:
    return bool(wanted.documents or wanted.formats) or wanted.date_from is not None or wanted.date_to is not None
