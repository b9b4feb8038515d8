"""Detect headings in cleaned text and give them nesting levels.

Level 0 marks member documents of a compilation (their titles, plus the themed sections such as
"二、集成电路和半导体" that sit right above a title). Inside a member document, numbering styles
nest in order of first appearance: a stack of styles where a style seen before pops back to its
own level. A numbered line only counts as a heading when its number continues the sequence of its
style (or starts one), which filters page-break artefacts like a paragraph line starting "一、…".

Long lines: a line starting with a marker is a run-in heading ("（一）服务能力。主要从…"); the
heading text is the marker and phrase up to the first sentence stop within 40 characters. When a
heading was merged into its paragraph without any stop ("一、发展现状及面临形势基于 IPv4…"), we
take the phrase up to the first comma, or the first 20 characters: a prefix, since the boundary is
lost. For 第X条 articles only the label ("第十二条") is kept when the line is long.
"""
from __future__ import annotations

import logging
import re

from documents.cleaning.chars import normalize_for_match
from documents.models import CleanedDocument, Heading
from documents.structure.lines import TextLine, split_lines
from documents.structure.markers import NUMBERED_STYLES, Marker, match_marker
from documents.structure.member_titles import TitleSpan, find_member_titles

logger = logging.getLogger(__name__)

SHORT_HEADING_CHARS = 40  # a marker line this short is a heading as a whole
LONG_HEADING_CHARS = 60  # ... and up to this long when it holds no sentence stop
RUN_IN_MAX = 40  # a run-in heading's phrase ends at a stop within this many characters
MERGED_PREFIX = 20  # characters kept from a heading merged into its paragraph
# Numbers may skip this many (a heading lost to extraction) and still continue a sequence.
MAX_NUMBER_GAP = 3
# Themes sit at most this many lines above a member title and are short.
MAX_THEME_LINES = 2
MAX_THEME_CHARS = 20

# "第四章", "第十二条", "专栏 5": explicit enough to need no sequence check (excerpts start anywhere).
SELF_EVIDENT_STYLES = frozenset({"part", "chapter", "section", "article", "box"})

_STOPS = "。！？；：!?;:"
_TOC_ENTRY = re.compile(r"^(.{2,80}?)\s+(\d{1,3})$")
_TABLE_CELL = re.compile(r"^(?:[—\-–]+|[〔\[(（]?[\d.,%<>≥≤~～+*]+[〕\])）]?|定性|定量|预期性|约束性)$")


def _looks_tabular(text: str) -> bool:
    """Rows of flattened tables ("1.2 省级以上研发平台… 定性 — 7%") are not headings."""
    tokens = text.split()
    return len(tokens) >= 3 and all(_TABLE_CELL.match(tok) for tok in tokens[-2:])


def heading_text(text: str, marker: Marker) -> str | None:
    """The part of a marker line that is the heading, or None when the line is not a heading."""
    t = text.strip()
    rest = t[marker.end:]
    if _looks_tabular(t):
        return None
    if marker.style == "article":
        return t if len(t) <= SHORT_HEADING_CHARS and not any(c in _STOPS for c in rest[:-1]) else t[:marker.end].strip()
    if marker.style in ("bracket", "box", "annex", "decimal2", "decimal3"):
        return t if len(t) <= LONG_HEADING_CHARS else None
    inner = [i for i, c in enumerate(rest) if c in _STOPS]
    if len(t) <= SHORT_HEADING_CHARS and (not inner or inner[0] == len(rest) - 1):
        return t
    if inner and inner[0] < RUN_IN_MAX:
        return t[: marker.end + inner[0] + 1]
    if not inner and len(t) <= LONG_HEADING_CHARS:
        return t
    comma = rest.find("，")
    cut = comma if 0 < comma <= RUN_IN_MAX else MERGED_PREFIX
    return t[: marker.end + cut]


def _toc_entries(lines: list[TextLine]) -> tuple[set[str], set[int]]:
    """Entries of a table of contents (lines ending in a page number) and the TOC's own lines."""
    entries: set[str] = set()
    toc_lines: set[int] = set()
    run: list[int] = []
    for i, line in enumerate(lines[:200]):
        if _TOC_ENTRY.match(line.text.strip()) and not _looks_tabular(line.text):
            run.append(i)
            continue
        if len(run) >= 3:
            toc_lines.update(run)
        run = []
    if len(run) >= 3:
        toc_lines.update(run)
    for i in toc_lines:
        m = _TOC_ENTRY.match(lines[i].text.strip())
        if m:
            entries.add(normalize_for_match(m.group(1)))
    return entries, toc_lines


class _Nesting:
    """Stack of numbering styles of one member document, with the last number seen per style."""

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.last: dict[str, int] = {}

    def accepts(self, style: str, number: int | None) -> bool:
        if number is None or style not in NUMBERED_STYLES or style in SELF_EVIDENT_STYLES:
            return True
        last = self.last.get(style)
        if style in self.stack:
            return last is None or last < number <= last + MAX_NUMBER_GAP
        # A fresh list starts near 1, or continues numbering across parents ("（十五）" under "六、").
        return number <= MAX_NUMBER_GAP or (last is not None and last < number <= last + MAX_NUMBER_GAP)

    def push(self, style: str, number: int | None) -> int:
        if style == "annex":
            self.stack.clear()  # 附件 are top-level whatever came before
        if style in self.stack:
            del self.stack[self.stack.index(style) + 1:]
        else:
            self.stack.append(style)
        if number is not None:
            self.last[style] = number
        return len(self.stack)


def _themes_above(lines: list[TextLine], title: TitleSpan, taken: set[int]) -> list[int]:
    """Short numbered lines directly above a member title: the compilation's themed sections."""
    found: list[int] = []
    i = title.first - 1
    while i >= 0 and len(found) < MAX_THEME_LINES and i not in taken:
        t = lines[i].text.strip()
        marker = match_marker(t)
        if marker is None or marker.style not in ("cn_comma", "cn_paren") or len(t) > MAX_THEME_CHARS:
            break
        found.append(i)
        i -= 1
    return sorted(found)


def detect_headings(cleaned: CleanedDocument) -> list[Heading]:
    """Headings of `cleaned`, sorted by offset."""
    lines = split_lines(cleaned.text)
    titles = find_member_titles(lines)
    headings: list[Heading] = []
    title_at: dict[int, TitleSpan] = {}
    covered: set[int] = set()
    for span in titles:
        title_at[span.first] = span
        covered.update(range(span.first, span.first + span.count))
    for span in titles:
        for i in _themes_above(lines, span, covered):
            covered.add(i)
            headings.append(Heading(level=0, text=lines[i].text.strip(), start=lines[i].start, kind="theme", style="theme"))
    toc, toc_lines = _toc_entries(lines)

    nesting = _Nesting()
    for i, line in enumerate(lines):
        if i in title_at:
            span = title_at[i]
            headings.append(Heading(level=0, text=span.text, start=line.start, kind="title", style="title"))
            nesting = _Nesting()
            continue
        if i in covered or i in toc_lines:
            continue
        t = line.text.strip()
        marker = match_marker(t)
        if marker is not None and marker.style == "yishi":
            continue
        if marker is None:
            if toc and normalize_for_match(t) in toc:
                style = "toc"
                text, number = t, None
            else:
                continue
        else:
            text = heading_text(t, marker)
            if text is None:
                continue
            style, number = marker.style, marker.number
        if not nesting.accepts(style, number):
            logger.debug("%s: %r breaks the %s sequence; not a heading", cleaned.name, text, style)
            continue
        level = nesting.push(style, number)
        indent = len(line.text) - len(line.text.lstrip())
        headings.append(Heading(level=level, text=text, start=line.start + indent, style=style))
    headings.sort(key=lambda h: h.start)
    logger.debug("%s: %d headings, %d member titles", cleaned.name, len(headings), len(titles))
    return headings
