"""Data that flows out of `documents/`: loaded files, cleaned text and chunks.

Nothing here knows about vectors; `embeddings/` and `qa_service/` consume these types.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SECTION_SEPARATOR = " > "


@dataclass(frozen=True)
class SourceDocument:
    """A file as read from disk, decoded to text."""

    path: str  # path as given / found while walking
    name: str  # file name, used as the `doc` of every chunk
    text: str  # decoded text, original line structure kept
    encoding: str  # encoding the bytes were decoded from
    sha256: str  # hash of the raw bytes, for corpus fingerprints


@dataclass(frozen=True)
class Heading:
    """A heading found in the cleaned text."""

    level: int  # 0 = document title (member of a compilation), 1 = 一、, 2 = （一）, 3 = 1. ...
    text: str
    start: int  # offset of the heading in the cleaned text
    # "title" (member document of a compilation), "theme" (compilation grouping above titles,
    # e.g. 二、集成电路和半导体; also level 0) or "section" (numbered heading inside a document).
    kind: str = "section"
    style: str = ""  # numbering style key (e.g. "cn_comma" for 一、), used for nesting


@dataclass(frozen=True)
class CleanedDocument:
    """Cleaned text plus the information needed to map offsets back to the source file."""

    name: str
    title: str  # the file's own title (first heading or file stem)
    text: str
    # Sorted (cleaned_offset, original_line_number) anchors: the character at cleaned_offset came
    # from that 1-based line of the original file; characters up to the next anchor follow it.
    line_anchors: list[tuple[int, int]]
    headings: list[Heading] = field(default_factory=list)


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage with everything a citation needs."""

    id: str  # stable: derived from doc name, offsets and text
    doc: str  # file name
    title: str  # title of the (member) document the chunk belongs to
    section: str  # heading path joined with SECTION_SEPARATOR
    text: str  # the passage, characters as in the cleaned document
    start: int  # character offset of text in the cleaned document
    end: int
    line_start: int  # 1-based line numbers in the original file
    line_end: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Chunk":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})
