"""Reading order of a recognised page: text boxes -> lines, columns read one after the other, table rows kept.

The recogniser returns boxes (a line, or a cell of a table row) in detection order. A reader takes a page in
bands: a heading or any line across the page is read where it stands; between two such lines, text set in
columns is read column by column (left first), and a table row by row, its cells joined by " | " as the .docx
loader joins cells. What tells the two apart when both leave a vertical gap: columns hold running text (lines of
many characters), a table short cells. Lines are boxes whose middles lie within half a character height of each
other, ordered left to right. A character height is the median box height of the page.
"""
from __future__ import annotations

import re
import statistics
from typing import Sequence

from documents.ocr.engine import OcrBox

CELL_SEPARATOR = " | "
# A vertical gap between columns, in character heights: at least 1.5 (a gutter is two characters or more wide;
# words of a line are never that far apart in Chinese text), searched in the middle 70% of the text's width.
_MIN_GUTTER = 1.5
_CENTRAL = 0.15
# A box wider than this share of the text's width runs across the page: it cannot belong to one column.
_WIDE = 0.55
# Column text: the boxes on each side of a gutter hold at least this many characters (median); table cells fewer.
_COLUMN_CHARS = 8
_MAX_DEPTH = 3  # columns within columns: three at most
_WORD_CHAR = re.compile(r"[0-9A-Za-z]")


def reading_order(boxes: Sequence[OcrBox]) -> list[str]:
    """The page's lines of text, in the order a reader takes them."""
    if not boxes:
        return []
    unit = statistics.median(b.height for b in boxes) or 1.0
    return [_join(line, unit) for line in _order(list(boxes), unit, 0)]


def _lines(boxes: list[OcrBox], unit: float) -> list[list[OcrBox]]:
    lines: list[list[OcrBox]] = []
    middle = 0.0
    for box in sorted(boxes, key=lambda b: (b.middle, b.x0)):
        if lines and abs(box.middle - middle) <= unit / 2:
            lines[-1].append(box)
            middle = statistics.fmean(b.middle for b in lines[-1])
        else:
            lines.append([box])
            middle = box.middle
    return [sorted(line, key=lambda b: b.x0) for line in lines]


def _gutter(boxes: list[OcrBox], unit: float) -> float | None:
    """The x of the widest vertical gap with at least two boxes on each side and no more boxes across it than
    on either side (headings across columns), or None."""
    left, right = min(b.x0 for b in boxes), max(b.x1 for b in boxes)
    width = right - left
    if width <= 0:
        return None
    spans = sorted((b.x0, b.x1) for b in boxes if b.x1 - b.x0 <= _WIDE * width)
    lo, hi = left + _CENTRAL * width, right - _CENTRAL * width
    gaps: list[tuple[float, float]] = []
    reach = left
    for x0, x1 in spans:
        gap_start, gap_end = max(reach, lo), min(x0, hi)
        if gap_end - gap_start >= _MIN_GUTTER * unit:
            gaps.append((gap_end - gap_start, (gap_start + gap_end) / 2))
        reach = max(reach, x1)
    for _, x in sorted(gaps, reverse=True):
        before = sum(b.x1 <= x for b in boxes)
        after = sum(b.x0 >= x for b in boxes)
        across = len(boxes) - before - after
        if before >= 2 and after >= 2 and across <= min(before, after):
            return x
    return None


def _is_running_text(side: list[OcrBox]) -> bool:
    return len(side) >= 2 and statistics.median(len(b.text) for b in side) >= _COLUMN_CHARS


def _order(boxes: list[OcrBox], unit: float, depth: int) -> list[list[OcrBox]]:
    gutter = _gutter(boxes, unit) if depth < _MAX_DEPTH else None
    if gutter is None:
        return _lines(boxes, unit)
    out: list[list[OcrBox]] = []
    band: list[OcrBox] = []

    def close_band() -> None:
        left = [b for b in band if b.x1 <= gutter]
        right = [b for b in band if b.x0 >= gutter]
        if _is_running_text(left) and _is_running_text(right):
            out.extend(_order(left, unit, depth + 1))
            out.extend(_order(right, unit, depth + 1))
        else:  # a table, or a lone line beside a gap: rows across the page
            out.extend(_lines(band, unit))
        band.clear()

    for box in sorted(boxes, key=lambda b: (b.y0, b.x0)):
        if box.x0 < gutter < box.x1:  # across the gutter: a heading or a full line between bands
            close_band()
            out.extend(_lines([box], unit))
        else:
            band.append(box)
    close_band()
    return out


def _join(line: list[OcrBox], unit: float) -> str:
    text = line[0].text
    for before, box in zip(line, line[1:]):
        gap = box.x0 - before.x1
        if gap >= _MIN_GUTTER * unit:
            text += CELL_SEPARATOR
        elif _WORD_CHAR.match(box.text) and _WORD_CHAR.match(text[-1]):
            text += " "
        text += box.text
    return text
