"""Find page-number lines in PDF-extracted text without touching table cells.

A bare "12" on its own line is either a page number or a table cell / row number; deleting a
table cell would lose characters that evidence may quote. Page numbers betray themselves by
forming an increasing sequence spread over whole pages, so we keep only bare numbers that lie on
the longest such chain; decorated forms ("－ 8 －", "- 3 -", "第 3 页") are always page numbers.
"""
from __future__ import annotations

import re

from documents.cleaning.chars import ends_sentence, width

_DECORATED = re.compile(
    r"^(?:[-－—–]\s*\d{1,4}\s*[-－—–]|第\s*\d{1,4}\s*页(?:\s*[，,/]?\s*共\s*\d{1,4}\s*页)?)$"
)
_BARE = re.compile(r"^\d{1,4}$")
# A page carries at least this many characters, so consecutive page numbers p < q found `d`
# characters apart must satisfy d >= MIN_CHARS_PER_PAGE * (q - p). In the corpus pages hold 470+
# characters and table rows under 190, so row numbers fail this test. Counting characters rather
# than lines keeps the test the same once lines have been rejoined into paragraphs.
MIN_CHARS_PER_PAGE = 300
# ... and at most this many (corpus pages hold up to ~1,000): scattered table cells far apart,
# e.g. once the real page numbers are gone, do not pass for a page sequence.
MAX_CHARS_PER_PAGE = 2500
# A chain shorter than this is not evidence of page numbering.
MIN_CHAIN = 3
# Outside a chain, a bare number still is a page number when it interrupts a sentence between two
# full-width lines (table cells sit among short lines). "Full" = this share of the typical width.
FULL_LINE_SHARE = 0.85


def page_number_lines(lines: list[str]) -> set[int]:
    """Indices into `lines` of the lines that are page numbers."""
    found: set[int] = set()
    bare: list[tuple[int, int, int]] = []  # (line index, non-empty line count, value)
    chain_cands: list[tuple[int, int, int]] = []  # (line index, characters before it, value)
    nonempty: list[int] = []
    chars = 0
    for i, line in enumerate(lines):
        s = line.strip()
        if not s:
            continue
        nonempty.append(i)
        if _DECORATED.match(s):
            found.add(i)
        elif _BARE.match(s):
            bare.append((i, len(nonempty), int(s)))
            chain_cands.append((i, chars, int(s)))
        chars += len(s)
    found.update(_longest_page_chain(chain_cands))
    found.update(_mid_sentence_numbers(lines, nonempty, bare, found))
    return found


def _mid_sentence_numbers(lines: list[str], nonempty: list[int], bare: list[tuple[int, int, int]], found: set[int]) -> set[int]:
    widths = sorted(width(lines[i].strip()) for i in nonempty)
    if not widths:
        return set()
    full = widths[int(0.75 * (len(widths) - 1))] * FULL_LINE_SHARE
    out: set[int] = set()
    for index, position, _ in bare:
        if index in found or position < 2 or position >= len(nonempty):
            continue
        prev = lines[nonempty[position - 2]].strip()
        nxt = lines[nonempty[position]].strip()
        if width(prev) >= full and width(nxt) >= full and not ends_sentence(prev):
            out.add(index)
    return out


def _longest_page_chain(cands: list[tuple[int, int, int]]) -> set[int]:
    """Longest chain of increasing values at least a page of text apart (O(n^2), n is small)."""
    n = len(cands)
    if n < MIN_CHAIN:
        return set()
    best = [1] * n
    prev = [-1] * n
    for j in range(n):
        _, pj, vj = cands[j]
        for i in range(j):
            _, pi, vi = cands[i]
            step = vj - vi
            if step > 0 and MIN_CHARS_PER_PAGE * step <= pj - pi <= MAX_CHARS_PER_PAGE * step and best[i] + 1 > best[j]:
                best[j] = best[i] + 1
                prev[j] = i
    end = max(range(n), key=lambda k: best[k])
    if best[end] < MIN_CHAIN:
        return set()
    chain: set[int] = set()
    while end != -1:
        chain.add(cands[end][0])
        end = prev[end]
    return chain
