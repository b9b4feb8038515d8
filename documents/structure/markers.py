"""Heading markers (一、 （一） 1. 第X条 ...) recognised at the start of a line.

Shared by the cleaner (which must keep heading lines on their own line) and the heading detector
(which decides which of those lines really are headings).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

CN_DIGITS = "一二三四五六七八九十百零〇两"
_CN = f"[{CN_DIGITS}]+"
# Measure words and units: "1.5 万元", "2.3 倍" are quantities, not section numbers like "1.1 网络设备".
_UNITS = "万亿元个倍年月日时分秒千百家项台人次所座条种款户件米克吨度天周期批届期亩位名"

# (style, pattern). Order matters: more specific patterns first. Group 1 is the number.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("yishi", re.compile(rf"^({_CN})是")),  # 一是…: enumerations inside paragraphs, never headings
    ("cn_comma", re.compile(rf"^({_CN})\s*、")),
    ("cn_paren", re.compile(rf"^[（(]\s*({_CN})\s*[）)]")),
    ("part", re.compile(rf"^第\s*({_CN}|\d+)\s*(?:篇|部分)")),
    ("chapter", re.compile(rf"^第\s*({_CN}|\d+)\s*章")),
    ("section", re.compile(rf"^第\s*({_CN}|\d+)\s*节")),
    ("article", re.compile(rf"^第\s*({_CN}|\d+)\s*条(?=\s|$)")),
    ("ordinal", re.compile(rf"^第({_CN})[，,]")),
    ("decimal3", re.compile(rf"^(\d{{1,2}}\.\d{{1,2}}\.\d{{1,2}})(?![\d.])\s*(?=[\u4e00-\u9fff])(?![{_UNITS}])")),
    ("decimal2", re.compile(rf"^([1-9]\d?\.[1-9]\d?)(?![\d.])\s*(?=[\u4e00-\u9fff])(?![{_UNITS}])")),
    ("arabic_dot", re.compile(r"^(\d{1,3})\s*[\.．](?![\d.．])\s*")),
    ("arabic_comma", re.compile(r"^(\d{1,3})\s*、")),
    ("arabic_paren", re.compile(r"^[（(]\s*(\d{1,2})\s*[）)]")),
    ("circled", re.compile(r"^([①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳])")),
    ("bracket", re.compile(r"^【([^】]{1,30})】")),
    ("box", re.compile(r"^专栏\s*(\d+)")),
    ("annex", re.compile(r"^附件\s*(\d*)\s*(?:[：:]|$|(?<=\d)\s)")),
]

# Markers that open a heading even when the previous line did not end a sentence.
STRONG_STYLES = frozenset(
    {"cn_comma", "cn_paren", "part", "chapter", "section", "article", "bracket", "box", "annex"}
)
NUMBERED_STYLES = frozenset(
    {"cn_comma", "cn_paren", "part", "chapter", "section", "article", "ordinal", "arabic_dot",
     "arabic_comma", "arabic_paren", "circled", "decimal2", "decimal3", "box"}
)


@dataclass(frozen=True)
class Marker:
    style: str
    number: int | None  # parsed number, None when it has none (【…】, 附件)
    end: int  # offset just past the marker (and following spaces) in the stripped line
    raw_number: str


_CN_VALUES = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def cn_to_int(text: str) -> int | None:
    """Parse Chinese numerals up to the hundreds (一, 十二, 二十六, 一百零五)."""
    if not text:
        return None
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for ch in text:
        if ch in _CN_VALUES:
            current = _CN_VALUES[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def match_marker(line: str) -> Marker | None:
    """The heading marker at the start of `line` (already stripped), if any."""
    for style, pattern in _PATTERNS:
        m = pattern.match(line)
        if not m:
            continue
        raw = m.group(1) if m.groups() else ""
        number: int | None
        if style in ("arabic_dot", "arabic_comma", "arabic_paren", "box"):
            number = int(raw)
        elif style == "annex":
            number = int(raw) if raw else None
        elif style == "circled":
            number = _CIRCLED.index(raw) + 1
        elif style in ("decimal2", "decimal3"):
            number = int(raw.rsplit(".", 1)[1])
        elif style == "bracket":
            number = None
        else:
            number = cn_to_int(raw)
        end = m.end()
        while end < len(line) and line[end] in " \t\u3000":
            end += 1
        return Marker(style=style, number=number, end=end, raw_number=raw)
    return None
