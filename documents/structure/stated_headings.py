"""Headings the file itself states (DOCX styles, HTML h1-h6, Markdown #), merged with detected ones.

The loader records stated headings by line of the loaded text; the cleaner's line anchors give
the offset where that line starts in the cleaned text. A stated heading is certain, so it
replaces a heading detected on the same line, and numbered headings detected between stated
ones nest below the stated heading above them (their level is shifted by its level). Level 0
stated headings are the document's title (DOCX "Title"): they name the chunks below them.
"""
from __future__ import annotations

import bisect
import dataclasses
import logging
from typing import Sequence

from documents.models import CleanedDocument, Heading, HeadingLine

logger = logging.getLogger(__name__)


def place_stated_headings(cleaned: CleanedDocument, stated: Sequence[HeadingLine]) -> list[Heading]:
    """Stated headings as `Heading`s at their offsets in the cleaned text; lines cleaning dropped are skipped."""
    if not stated:
        return []
    first_offset: dict[int, int] = {}
    for offset, line in cleaned.line_anchors:
        first_offset.setdefault(line, offset)
    anchor_offsets = [offset for offset, _ in cleaned.line_anchors]
    out: list[Heading] = []
    for hint in stated:
        start = first_offset.get(hint.line)
        if start is None:
            logger.debug("%s: stated heading %r (line %d) was dropped by cleaning", cleaned.name, hint.text, hint.line)
            continue
        nxt = bisect.bisect_right(anchor_offsets, start)
        end = anchor_offsets[nxt] if nxt < len(anchor_offsets) else len(cleaned.text)
        newline = cleaned.text.find("\n", start, end)
        text = cleaned.text[start:newline if newline >= 0 else end].strip() or hint.text
        if hint.level <= 0:
            out.append(Heading(level=0, text=text, start=start, kind="title", style="stated_title"))
        else:
            out.append(Heading(level=hint.level, text=text, start=start, style=f"stated_h{hint.level}"))
    return out


def merge_headings(cleaned: CleanedDocument, detected: list[Heading], stated: list[Heading]) -> list[Heading]:
    """`detected` and `stated` headings in one sorted list; stated ones win on their line."""
    if not stated:
        return detected
    stated = sorted(stated, key=lambda h: h.start)
    line_starts = [0] + [i + 1 for i, ch in enumerate(cleaned.text) if ch == "\n"]

    def line_of(offset: int) -> int:
        return bisect.bisect_right(line_starts, offset)

    stated_lines = {line_of(h.start) for h in stated}
    starts = [h.start for h in stated]
    merged = list(stated)
    for h in detected:
        if line_of(h.start) in stated_lines:
            continue
        if h.level > 0:
            above = bisect.bisect_right(starts, h.start) - 1
            if above >= 0:
                h = dataclasses.replace(h, level=h.level + stated[above].level)
        merged.append(h)
    merged.sort(key=lambda h: h.start)
    return merged
