"""Clean PDF-extracted text: rejoin broken lines, drop page numbers, keep every sentence character.

Matching in evaluation ignores whitespace and punctuation but not characters, so this cleaner only
(a) changes whitespace and punctuation, (b) drops lines that are not document text (page numbers,
bare URLs) and (c) collapses bold headings the PDF printed four times. Every output line records
which source line it came from (`line_anchors`) so citations can point back to the file.
"""
from __future__ import annotations

import bisect
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from documents.cleaning.chars import ends_sentence, is_ascii_alnum, width
from documents.cleaning.line_repairs import count_bold_repeats, is_debris, repair_line
from documents.cleaning.page_numbers import page_number_lines
from documents.models import CleanedDocument, SourceDocument
from documents.structure.markers import STRONG_STYLES, match_marker

logger = logging.getLogger(__name__)

# A line narrower than this share of the document's typical line width ended its paragraph
# (PDF text wraps at the margin; a paragraph's last line stops short).
SHORT_LINE_RATIO = 0.7
# A heading line (一、, （一）, 第X章 ...) narrower than this share of the full width is complete:
# the next line starts the paragraph under it, even without a full stop.
HEADING_LINE_RATIO = 0.85
# Percentile of line widths taken as the "full line" width of a document.
FULL_WIDTH_PERCENTILE = 0.9
# Overprinted bold headings are only collapsed in documents where they clearly occur.
MIN_BOLD_REPEAT_LINES = 5
_CLAUSE_STOP = re.compile(r"[。；：！？;:!?]")
# A trailing bracket holding a date ends a document title in compilations:
# "…的通知（国发〔2021〕29号）（国务院/2021年 12月 12日）".
_DATE_BRACKET_END = re.compile(r"[（(][^（）()]*\d{4}\s*年[^（）()]*[）)][）)\s]*$")


@dataclass(frozen=True)
class _Line:
    number: int  # 1-based line number in the source
    text: str  # repaired text
    width: float
    indent: int  # leading whitespace characters in the source line


def _source_lines(text: str) -> list[str]:
    """Split on newlines only (not on the exotic separators `str.splitlines` knows), keeping numbering."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _typical_width(lines: list[_Line]) -> float:
    if not lines:
        return 0.0
    widths = sorted(line.width for line in lines)
    return widths[int(FULL_WIDTH_PERCENTILE * (len(widths) - 1))]


def _breaks_paragraph(prev: _Line, cur: _Line, full: float) -> bool:
    """True when `cur` starts a new paragraph rather than continuing `prev`'s sentence."""
    if ends_sentence(prev.text):
        return True
    if prev.width < SHORT_LINE_RATIO * full:
        return True
    if _DATE_BRACKET_END.search(prev.text):
        return True
    prev_marker = match_marker(prev.text)
    if prev_marker is not None and prev_marker.style != "yishi":
        if prev.width < HEADING_LINE_RATIO * full and (
            prev_marker.style in STRONG_STYLES or not _CLAUSE_STOP.search(prev.text)
        ):
            return True
        # A full-width heading followed by "一是…" ends there: the enumeration opens the paragraph.
        cur_marker = match_marker(cur.text)
        if prev_marker.style in STRONG_STYLES and cur_marker is not None and cur_marker.style == "yishi":
            return True
    if cur.indent >= 2:
        return True
    marker = match_marker(cur.text)
    if marker is not None and marker.style != "yishi":
        if marker.style in STRONG_STYLES:
            return True
        if cur.width < SHORT_LINE_RATIO * full:
            return True
        # "…分类）" then "3.关于做好…的通知": a closing bracket ends a note, the numbered line is new.
        if prev.text[-1] in "）)":
            return True
    return False


def _joiner(prev: str, cur: str) -> str:
    """No space between CJK characters; one space only where two Latin/digit tokens would fuse."""
    return " " if is_ascii_alnum(prev[-1]) and is_ascii_alnum(cur[0]) else ""


def clean(source: SourceDocument, *, rewrite_chars: bool = False) -> CleanedDocument:
    """Cleaned text of `source`, one paragraph or heading per line, with line anchors.

    `rewrite_chars` also fixes font-mapping character errors (臵 -> 置); it is off by default
    because evidence quoted verbatim from the source may contain the wrong character.
    """
    raw_lines = _source_lines(source.text)
    pages = page_number_lines(raw_lines)
    dedupe_bold = count_bold_repeats(raw_lines) >= MIN_BOLD_REPEAT_LINES
    if dedupe_bold:
        logger.info("%s: collapsing bold headings printed four times", source.name)
    kept: list[_Line] = []
    dropped_debris = 0
    for index, raw in enumerate(raw_lines):
        if index in pages or not raw.strip():
            continue
        if is_debris(raw):
            dropped_debris += 1
            continue
        text = repair_line(raw, dedupe_bold=dedupe_bold, rewrite_chars=rewrite_chars)
        if not text:
            continue
        indent = len(raw) - len(raw.lstrip())
        kept.append(_Line(number=index + 1, text=text, width=width(text), indent=indent))
    full = _typical_width(kept)

    parts: list[str] = []
    anchors: list[tuple[int, int]] = []
    pos = 0
    for k, line in enumerate(kept):
        if k:
            prev = kept[k - 1]
            sep = "\n" if _breaks_paragraph(prev, line, full) else _joiner(prev.text, line.text)
            parts.append(sep)
            pos += len(sep)
        anchors.append((pos, line.number))
        parts.append(line.text)
        pos += len(line.text)
    text = "".join(parts)
    logger.debug(
        "%s: %d source lines -> %d chars; %d page-number lines, %d debris lines dropped",
        source.name, len(raw_lines), len(text), len(pages), dropped_debris,
    )
    return CleanedDocument(name=source.name, title=Path(source.name).stem, text=text, line_anchors=anchors)


def line_at(cleaned: CleanedDocument, offset: int) -> int:
    """1-based source line of the character at `offset` in the cleaned text."""
    anchors = cleaned.line_anchors
    if not anchors:
        return 1
    i = bisect.bisect_right(anchors, (offset, float("inf"))) - 1
    return anchors[max(i, 0)][1]
