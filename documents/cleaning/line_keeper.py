"""The no-cleaning baseline: every non-empty source line kept as it is, one line per line.

It exists to measure what the PDF cleaner is worth (QA_CLEANING=none); nothing is joined, dropped or
repaired, only blank lines are left out, and every line is anchored to its source line.
"""
from __future__ import annotations

from pathlib import Path

from documents.models import CleanedDocument, SourceDocument


def keep_lines(source: SourceDocument) -> CleanedDocument:
    parts: list[str] = []
    anchors: list[tuple[int, int]] = []
    pos = 0
    for number, line in enumerate(source.text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        if not line.strip():
            continue
        if parts:
            parts.append("\n")
            pos += 1
        anchors.append((pos, number))
        parts.append(line)
        pos += len(line)
    return CleanedDocument(name=source.name, title=Path(source.name).stem, text="".join(parts), line_anchors=anchors)
