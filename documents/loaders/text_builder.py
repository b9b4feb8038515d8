"""Accumulates the lines a structured format yields, with its headings and page starts.

Loaders of structured formats (PDF pages, DOCX paragraphs and tables, HTML and Markdown blocks)
emit one block per line. A block may be pinned to a line number (Markdown keeps its blocks on
their source lines, so citations point into the original file); blank lines fill the gap.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from documents.loaders.base import base_name, sha256_of
from documents.models import HeadingLine, SourceDocument


@dataclass
class TextBuilder:
    lines: list[str] = field(default_factory=list)
    headings: list[HeadingLine] = field(default_factory=list)
    page_starts: list[int] = field(default_factory=list)
    ocr_pages: list[int] = field(default_factory=list)  # 1-based pages whose lines OCR read off an image

    def _place(self, at_line: int | None) -> None:
        if at_line is not None:
            while len(self.lines) < at_line - 1:
                self.lines.append("")

    def add_line(self, text: str, at_line: int | None = None) -> int | None:
        """Append one block (newlines inside become spaces); returns its 1-based line, None if blank."""
        text = text.replace("\r", " ").replace("\n", " ").rstrip()
        if not text.strip():
            return None
        self._place(at_line)
        self.lines.append(text)
        return len(self.lines)

    def add_heading(self, text: str, level: int, at_line: int | None = None) -> None:
        """Append a heading line and record it as a heading hint."""
        line = self.add_line(text, at_line)
        if line is not None:
            self.headings.append(HeadingLine(line, level, self.lines[line - 1].strip()))

    def start_page(self, ocr: bool = False) -> None:
        """The next line starts a new page (`ocr`: its text is recognised from an image, not extracted)."""
        self.page_starts.append(len(self.lines) + 1)
        if ocr:
            self.ocr_pages.append(len(self.page_starts))

    @property
    def has_text(self) -> bool:
        return any(line.strip() for line in self.lines)

    def build(self, name: str, raw: bytes, format: str, encoding: str) -> SourceDocument:
        return SourceDocument(
            path=name,
            name=base_name(name),
            text="\n".join(self.lines),
            encoding=encoding,
            sha256=sha256_of(raw),
            format=format,
            page_starts=tuple(self.page_starts),
            heading_lines=tuple(self.headings),
            ocr_pages=tuple(self.ocr_pages),
        )
