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
# Extra cleaning rounds on the output until it no longer changes (see `clean`): at least this many...
MIN_ROUNDS = 5
# ... and more while rounds x characters stays under this budget. Real documents settle in 1-3 rounds (137
# rounds for the 10x corpus's 50 files), but degenerate text (short number lines under a heading, found by
# hypothesis) joins one line a round; the budget keeps a large file's cleaning linear in its size.
ROUND_BUDGET_CHARS = 2_000_000
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


def _assemble(raw_lines: list[str], pages: set[int], dedupe_bold: bool,
              rewrite_chars: bool) -> tuple[str, list[tuple[int, int]], int]:
    """Repair kept lines and join them into paragraphs: (text, line anchors, debris lines dropped)."""
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
    return "".join(parts), anchors, dropped_debris


def clean(source: SourceDocument, *, rewrite_chars: bool = False) -> CleanedDocument:
    """Cleaned text of `source`, one paragraph or heading per line, with line anchors.

    `rewrite_chars` also fixes font-mapping character errors (臵 -> 置); it is off by default
    because evidence quoted verbatim from the source may contain the wrong character.

    Page-number and joining rules judge line widths against the document's typical width, and
    joining changes both: a number kept beside a short heading can stand beside a full paragraph
    once lines are joined. Cleaning the output again until nothing changes makes `clean`
    idempotent in content; joins and removals only shrink the text, so this ends within a few rounds.
    """
    raw_lines = _source_lines(source.text)
    dedupe_bold = count_bold_repeats(raw_lines) >= MIN_BOLD_REPEAT_LINES
    if dedupe_bold:
        logger.info("%s: collapsing bold headings printed four times", source.name)
    cleaned = _clean_once(source.name, raw_lines, dedupe_bold, rewrite_chars)
    rounds = 0
    # a round that changes the text joins or drops at least one line, so the source's lines bound the rounds too
    while rounds < MIN_ROUNDS or ((rounds + 1) * len(cleaned.text) <= ROUND_BUDGET_CHARS
                                  and rounds <= len(raw_lines)):
        rounds += 1
        again = _clean_once(source.name, _source_lines(cleaned.text), dedupe_bold, rewrite_chars)
        if again.text == cleaned.text:
            break
        cleaned = CleanedDocument(name=again.name, title=again.title, text=again.text,
                                  line_anchors=_compose_anchors(cleaned, again))
    return cleaned


def _compose_anchors(before: CleanedDocument, after: CleanedDocument) -> list[tuple[int, int]]:
    """Anchors of `after` (cleaned from `before.text`) pointing at `before`'s source lines.

    Each line of `before.text` reappears in `after` at its anchor, usually verbatim, so the source
    anchors inside that line are carried over at the same distance from its start.
    """
    line_starts = [0]
    for line in before.text.split("\n"):
        line_starts.append(line_starts[-1] + len(line) + 1)
    composed: list[tuple[int, int]] = []
    bounds = [off for off, _ in after.line_anchors[1:]] + [len(after.text)]
    for (offset, line), limit in zip(after.line_anchors, bounds):
        start, end = line_starts[line - 1], line_starts[line] - 1
        composed.append((offset, line_at(before, start)))
        i = bisect.bisect_right(before.line_anchors, (start, float("inf")))
        while i < len(before.line_anchors) and before.line_anchors[i][0] < end:
            moved = offset + before.line_anchors[i][0] - start
            if moved >= limit:
                break
            composed.append((moved, before.line_anchors[i][1]))
            i += 1
    return composed


def _clean_once(name: str, raw_lines: list[str], dedupe_bold: bool, rewrite_chars: bool) -> CleanedDocument:
    """One cleaning round; anchors point at (1-based) indices of `raw_lines`."""
    pages = page_number_lines(raw_lines)
    text, anchors, dropped_debris = _assemble(raw_lines, pages, dedupe_bold, rewrite_chars)
    logger.debug(
        "%s: %d source lines -> %d chars; %d page-number lines, %d debris lines dropped",
        name, len(raw_lines), len(text), len(pages), dropped_debris,
    )
    return CleanedDocument(name=name, title=Path(name).stem, text=text, line_anchors=anchors)


def line_at(cleaned: CleanedDocument, offset: int) -> int:
    """1-based source line of the character at `offset` in the cleaned text."""
    anchors = cleaned.line_anchors
    if not anchors:
        return 1
    i = bisect.bisect_right(anchors, (offset, float("inf"))) - 1
    return anchors[max(i, 0)][1]
