"""Data that flows out of `documents/`: loaded files, cleaned text and chunks.

Nothing here knows about vectors; `embeddings/` and `qa_service/` consume these types.
"""
from __future__ import annotations

import bisect
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

SECTION_SEPARATOR = " > "


class HeadingLine(NamedTuple):
    """A heading the file itself states (DOCX style, HTML h1-h6, Markdown #), by line of the loaded text.

    Numbering patterns only guess at headings; these are known, so the pipeline places them through
    the cleaner's line anchors and merges them with the detected ones.
    """

    line: int  # 1-based line of `SourceDocument.text` the heading stands on
    level: int  # 0 = the document's title, 1 = top-level heading, 2 = below it ...
    text: str


@dataclass(frozen=True)
class SourceDocument:
    """A file as read from disk or received as bytes, turned into text with one block per line."""

    path: str  # path as given / found while walking (the name only, for uploads)
    name: str  # file name, used as the `doc` of every chunk
    text: str  # decoded or extracted text, original line structure kept where the format has lines
    encoding: str  # encoding the bytes were decoded from ("binary" for PDF / DOCX)
    sha256: str  # hash of the raw bytes, for corpus fingerprints
    format: str = "text"  # "text", "markdown", "html", "docx" or "pdf": which loader read it
    # 1-based line of `text` on which each page starts (page 1 first); empty where there are no pages.
    page_starts: tuple[int, ...] = ()
    heading_lines: tuple[HeadingLine, ...] = ()  # headings the format states, in line order
    # 1-based pages whose text OCR recognised from an image (scanned PDF pages, image files); () for none.
    ocr_pages: tuple[int, ...] = ()

    def page_of(self, line: int) -> int | None:
        """1-based page holding 1-based `line`, or None when the source has no pages."""
        if not self.page_starts:
            return None
        return max(bisect.bisect_right(self.page_starts, line), 1)


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
    # 1-based pages of the first and last line (PDF); None where the source has no pages. Not part of
    # the id, so indexes of text files stay identical.
    page: int | None = None
    page_end: int | None = None
    # Some of its text was recognised by OCR (a scanned page or an image), so it may hold misread characters;
    # citations say so. Not part of the id.
    ocr: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Chunk":
        """Read a chunk dict; keys added since it was written (page, page_end) take their defaults."""
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
