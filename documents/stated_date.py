"""The date a document states for itself: the issue or signature date of a notice, a plan, a bulletin.

Chinese official documents end with the issuing body and a date on a line of its own (落款, e.g.
2021年10月4日 or 二〇二一年三月十二日), or carry a labelled date near the top (发布日期：2021-03-12). Dates inside the text
(deadlines, a table of regulations each with its own date, a history) are not the document's, so only two
kinds of line count, and only among the first and last lines: a line that is nothing but a full date, and a
line whose label says it is the document's date. The end is read first (the signature is the most reliable),
then the start. Month-only or year-only dates do not count: a date filter needs a day.
"""
from __future__ import annotations

import re
from datetime import date

EDGE_LINES = 15  # non-empty lines read at each end
MIN_YEAR, MAX_YEAR = 1949, 2100

_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "Ｏ": 0, "O": 0}
_CN_YEAR = "[〇零○ＯO一二三四五六七八九]{4}"
_CN_SMALL = "[一二三四五六七八九十]{1,3}"
_SP = r"\s*"
# 2021年3月12日 (spaces allowed: PDF text puts them around digits), 2021-03-12, 2021.3.12, 2021/3/12
_ARABIC = re.compile(rf"(\d{{4}}){_SP}(?:年{_SP}(\d{{1,2}}){_SP}月{_SP}(\d{{1,2}}){_SP}日"
                     rf"|([-./])(\d{{1,2}})\4(\d{{1,2}})(?!\d))")
_CHINESE = re.compile(rf"({_CN_YEAR}){_SP}年{_SP}({_CN_SMALL}){_SP}月{_SP}({_CN_SMALL}){_SP}日")
_LABEL = re.compile(r"^\s*[(（]?\s*(?:发布|印发|成文|发文|签发|公布|颁布|施行)?\s*(?:日期|时间)\s*[:：]\s*")


def _small_number(text: str) -> int:
    """一 .. 三十一 as an integer (十 = 10, 十二 = 12, 二十 = 20, 二十三 = 23)."""
    if "十" not in text:
        return _CN_DIGITS[text] if len(text) == 1 else -1
    tens, _, ones = text.partition("十")
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


def _valid(year: int, month: int, day: int) -> date | None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date(text: str) -> tuple[date, int, int] | None:
    """The first full date in `text`, with where it starts and ends."""
    found: list[tuple[int, int, date]] = []
    for m in _ARABIC.finditer(text):
        month, day = (m.group(2), m.group(3)) if m.group(2) else (m.group(5), m.group(6))
        if (value := _valid(int(m.group(1)), int(month), int(day))) is not None:
            found.append((m.start(), m.end(), value))
            break
    for m in _CHINESE.finditer(text):
        year = int("".join(str(_CN_DIGITS[c]) for c in m.group(1)))
        if (value := _valid(year, _small_number(m.group(2)), _small_number(m.group(3)))) is not None:
            found.append((m.start(), m.end(), value))
            break
    if not found:
        return None
    start, end, value = min(found, key=lambda f: f[0])
    return value, start, end


def _line_date(line: str) -> date | None:
    """The date of a line that is only a date, or of a labelled document date; None for any other line."""
    labelled = _LABEL.match(line)
    rest = (line[labelled.end():] if labelled else line).strip().strip("()（）。. ")
    parsed = parse_date(rest)
    if parsed is None:
        return None
    value, start, end = parsed
    return value if start == 0 and (labelled or end == len(rest)) else None


def stated_date(text: str) -> str | None:
    """The document's own date as ISO YYYY-MM-DD, or None when neither end of the text states one."""
    lines = [line for line in text.splitlines() if line.strip()]
    tail = lines[-EDGE_LINES:]
    head = lines[:EDGE_LINES]
    for line in reversed(tail):
        if (value := _line_date(line)) is not None:
            return value.isoformat()
    for line in head:
        if (value := _line_date(line)) is not None:
            return value.isoformat()
    return None
