"""Find the titles of member documents inside a compilation (汇编).

Two shapes occur:
- numbered titles, restarting in each themed section and often wrapped over two or three lines,
  that end with an issuer/date bracket: "2.关于印发“十四五”数字经济发展规划的通知（国发〔2021〕
  29号）（国务院/2021年 12月 12日）". Numbered items inside documents ("1.加快 5G 网络建设。…")
  look the same at the start but carry no date bracket, end sentences, and are long.
- unnumbered titles sharing a document-type ending ("北京市海淀区双创经验总结"): at least three
  short standalone lines with the same ending, spread through the file.
"""
from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass

from documents.cleaning.chars import ends_sentence
from documents.structure.lines import TextLine
from documents.structure.markers import match_marker

logger = logging.getLogger(__name__)

# Issuer/date bracket: "（国务院/2021年 12月 12日）", "（2021年 3月）", "（工信部办公厅 2020年 4月 30日）".
_DATE_BRACKET = re.compile(r"[（(][^（）()]{0,60}?\d{4}\s*年\s*\d{1,2}\s*月[^（）()]{0,20}[）)]")
_DOC_NUMBER = re.compile(r"〔\d{4}〕")
_CLOSERS = re.compile(r"^[）)\s]*")
_DOC_WORDS = re.compile(
    r"规划|通知|意见|方案|纲要|计划|办法|指南|决定|目录|公告|政策|指引|战略|条例|规定|通告|决议|措施|标准|"
    r"体系|行动|工程|细则|报告|总结|要点"
)
_TITLE_END_WORDS = re.compile(r"总结|报告|方案|规划|纲要|意见|通知|办法|计划|指南|汇报")
_INNER_STOPS = re.compile(r"[。；！？!?;]")
MAX_TITLE_LINES = 3
MAX_TITLE_CHARS = 110
# Unnumbered titles: standalone line length, shared ending length and spacing.
MAX_PLAIN_TITLE_CHARS = 40
MIN_FAMILY = 3
MIN_CHARS_BETWEEN = 500
# The first unnumbered title must come early: a compilation opens with (or soon reaches) a member.
MAX_FIRST_TITLE_SHARE = 0.1


@dataclass(frozen=True)
class TitleSpan:
    first: int  # index of the first line of the title in the line list
    count: int  # number of lines the title spans
    text: str  # title text without the list number
    number: int | None  # list number in the compilation, if any


def _numbered_titles(lines: list[TextLine]) -> list[TitleSpan]:
    found: list[TitleSpan] = []
    i = 0
    while i < len(lines):
        marker = match_marker(lines[i].text)
        if marker is None or marker.style != "arabic_dot":
            i += 1
            continue
        combined = lines[i].text
        k = i
        while not _DATE_BRACKET.search(combined) and k + 1 < len(lines) and k - i + 1 < MAX_TITLE_LINES:
            nxt = lines[k + 1].text
            if match_marker(nxt) is not None or len(combined) > MAX_TITLE_CHARS:
                break
            combined += nxt.strip()
            k += 1
        date = _DATE_BRACKET.search(combined)
        if date is None:
            i += 1
            continue
        body = combined[marker.end:date.start()]
        titled = _DOC_WORDS.search(body) or _DOC_NUMBER.search(body) or "/" in date.group(0)
        if not body or len(body) > MAX_TITLE_CHARS or _INNER_STOPS.search(body) or not titled:
            i += 1
            continue
        # Keep further issuer/date brackets that directly follow ("（…）（…）").
        end = date.end()
        while True:
            nxt = _DATE_BRACKET.match(combined, end)
            if not nxt:
                break
            end = nxt.end()
        end += _CLOSERS.match(combined[end:]).end()
        found.append(TitleSpan(first=i, count=k - i + 1, text=combined[marker.end:end].strip(), number=marker.number))
        i = k + 1
    return found


def _plain_candidates(lines: list[TextLine]) -> list[int]:
    out = []
    for i, line in enumerate(lines):
        t = line.text.strip()
        if 4 <= len(t) <= MAX_PLAIN_TITLE_CHARS and not ends_sentence(t) and match_marker(t) is None and "，" not in t:
            out.append(i)
    return out


def _plain_titles(lines: list[TextLine]) -> list[TitleSpan]:
    cands = _plain_candidates(lines)
    endings: Counter[str] = Counter()
    for i in cands:
        t = lines[i].text.strip()
        for n in range(4, min(8, len(t)) + 1):
            endings[t[-n:]] += 1
    families = [e for e, c in endings.items() if c >= MIN_FAMILY and _TITLE_END_WORDS.search(e[-2:])]
    if not families:
        return []
    # The most shared ending wins; among equals the longest ("双创经验总结" over "经验总结").
    ending = max(families, key=lambda e: (endings[e], len(e)))
    # Members: lines ending with the shared ending, or starting with a title that ends with it
    # and was glued to the following paragraph ("…实验区双创经验总结河南省郑州…").
    members: list[tuple[int, str]] = []
    for i, line in enumerate(lines):
        t = line.text.strip()
        at = t.find(ending)
        if at < 0 or at + len(ending) > MAX_PLAIN_TITLE_CHARS:
            continue
        head = t[:at + len(ending)]
        if match_marker(head) is None and not _INNER_STOPS.search(head) and "，" not in head:
            members.append((i, head))
    spaced: list[tuple[int, str]] = []
    for i, head in members:
        if spaced and lines[i].start - lines[spaced[-1][0]].start < MIN_CHARS_BETWEEN:
            continue
        spaced.append((i, head))
    if len(spaced) < MIN_FAMILY or spaced[0][0] > MAX_FIRST_TITLE_SHARE * len(lines):
        return []
    found = []
    for i, t in spaced:
        if t == ending and i > 0:
            prev = lines[i - 1].text.strip()
            # The place name wrapped onto the line before: "广东省广州…园区" / "双创经验总结".
            if len(prev) <= MAX_PLAIN_TITLE_CHARS and not ends_sentence(prev) and match_marker(prev) is None:
                found.append(TitleSpan(first=i - 1, count=2, text=prev + t, number=None))
                continue
        found.append(TitleSpan(first=i, count=1, text=t, number=None))
    return found


def find_member_titles(lines: list[TextLine]) -> list[TitleSpan]:
    """Titles of member documents, in order; empty for a single (non-compilation) document."""
    numbered = _numbered_titles(lines)
    plain = _plain_titles(lines)
    titles = numbered if len(numbered) >= len(plain) else plain
    if len(titles) < MIN_FAMILY:
        return []
    logger.debug("found %d member titles", len(titles))
    return titles
