"""What a search, ask or chat lets through (SearchFilter) and what that comes to in one loaded version
(AllowedRows): the values the Query carries down the chain. They are resolved by retrievers/filters.py; this
module holds only the data, so that understanding/ (the Query) needs nothing of the retrievers.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from documents.models import Chunk
from embeddings.vector_stores.keyed_base import RowSelection
from qa_service.document_records import DocumentRecord

# Format names a filter may use, and the loader format (DocumentRecord.format) each one means.
FORMAT_NAMES = {"text": "text", "txt": "text", "markdown": "markdown", "md": "markdown", "html": "html",
                "htm": "html", "docx": "docx", "pdf": "pdf", "image": "image"}

@dataclass(frozen=True)
class SearchFilter:
    """What a request lets through; every given field must hold (and), values inside one field are alternatives
    (or). Dates are ISO YYYY-MM-DD, both ends included."""

    documents: tuple[str, ...] = ()  # document ids or names (with or without the extension)
    formats: tuple[str, ...] = ()  # FORMAT_NAMES keys
    title_prefix: str | None = None  # the passage's document title starts with it
    section_prefix: str | None = None  # the passage's section path ("一、总体要求 > （一）目标") begins so
    date_from: str | None = None
    date_to: str | None = None

    @property
    def unconstrained(self) -> bool:
        return self == SearchFilter()

    @property
    def by_passage(self) -> bool:
        """Whether it cuts inside documents (title, section), not only whole documents in or out."""
        return self.title_prefix is not None or self.section_prefix is not None

    def admits(self, record: DocumentRecord) -> bool:
        """Whether a document passes the document-level fields."""
        if self.documents:
            stem = record.name.rsplit(".", 1)[0]
            if not {record.id, record.name, stem} & set(self.documents):
                return False
        if self.formats and record.format not in {FORMAT_NAMES.get(f, f) for f in self.formats}:
            return False
        day = record.dated
        return (self.date_from is None or day >= self.date_from) and (self.date_to is None or day <= self.date_to)

    def admits_passage(self, chunk: Chunk) -> bool:
        return (self.title_prefix is None or chunk.title.startswith(self.title_prefix)) and \
            (self.section_prefix is None or chunk.section.startswith(self.section_prefix))


@dataclass(frozen=True, eq=False)
class AllowedRows:
    """The rows of one loaded version a filter allows."""

    filter: SearchFilter
    mask: np.ndarray  # bool, one per row
    selection: RowSelection  # the same rows, as a vector store is told them

    @property
    def rows(self) -> np.ndarray:
        return self.selection.rows

    @property
    def empty(self) -> bool:
        return self.selection.rows.size == 0

    @property
    def nbytes(self) -> int:
        return int(self.mask.nbytes + self.selection.rows.nbytes)
