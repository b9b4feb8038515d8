"""Cleaning for formats whose lines are whole blocks (DOCX, HTML, Markdown): repair lines, join none.

The PDF cleaner rejoins lines that a PDF wrapped at the page margin, judging by line widths. A DOCX
paragraph, heading or table row is already whole: joining a table row or a heading to the next
line would corrupt it. So each line gets the same per-line repairs as PDF text (whitespace,
quotes, ** marks, letter-spaced words) and bare-URL lines are dropped, but nothing is joined and
no page numbers are looked for (these formats have none in their body).

(It belongs beside the PDF cleaner in documents/cleaning/; it lives here while that package is
being changed.)
"""
from __future__ import annotations

from pathlib import Path

from documents.cleaning.line_repairs import is_debris, repair_line
from documents.models import CleanedDocument, SourceDocument


def clean_blocks(source: SourceDocument) -> CleanedDocument:
    """Cleaned text of `source`, one repaired block per line, each anchored to its source line."""
    parts: list[str] = []
    anchors: list[tuple[int, int]] = []
    pos = 0
    for number, raw in enumerate(source.text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        if not raw.strip() or is_debris(raw):
            continue
        text = repair_line(raw)
        if not text:
            continue
        if parts:
            parts.append("\n")
            pos += 1
        anchors.append((pos, number))
        parts.append(text)
        pos += len(text)
    return CleanedDocument(name=source.name, title=Path(source.name).stem, text="".join(parts), line_anchors=anchors)
