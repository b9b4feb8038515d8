"""Numbers with their units in Chinese policy text, and what kind of quantity each unit measures.

A question asking 多少亿元 wants an amount of money, 多少名 a count of people, 几家 a count of organisations;
a sentence answers it only when it states a number of that kind. Units are grouped into classes (money,
people, area, percent ...); any other measure word (家, 项, 所, 款 ...) makes a count of that measure.
Tables flattened from PDFs state the unit once in the row label ("全国高新技术企业数量（万家） 27.5 45" or
"3G/LTE基站规模 万个 95 120"): a bare number after such a label on the same line, or at the start of the next
when the label ends its line, takes the label's unit.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

UNIT_CLASSES: dict[str, tuple[str, ...]] = {
    "money": ("万亿元", "亿元", "万元", "千元", "百元", "美元", "欧元", "元"),
    "area": ("平方公里", "平方千米", "万平方米", "平方米", "平米", "公顷", "万亩", "亩"),
    "length": ("公里", "千米", "厘米", "米"),
    "people": ("人次", "万人", "人", "名", "位"),
    "percent": ("%", "％", "百分点", "‰"),
    "power": ("千瓦时", "兆瓦", "千瓦", "瓦", "度"),
    "mass": ("万吨", "吨", "千克", "公斤"),
    "data": ("TB", "PB", "GB", "Gbps", "Mbps", "kbps", "bit", "比特"),
    "times": ("倍",),
    "duration": ("小时", "分钟", "个月", "天", "周"),
}
MEASURE_WORDS = "家个项所款座条台套件批场次支只种类部本篇户张颗层届轮期处艘辆栋"
UNITS = tuple(sorted({u for units in UNIT_CLASSES.values() for u in units}, key=len, reverse=True))
_UNIT = "|".join(map(re.escape, UNITS)) + f"|[{MEASURE_WORDS}]"
_ARABIC = r"\d+(?:[.,]\d+)*"
CHINESE_NUMERAL = r"[一二两三四五六七八九十百千]+"
_QUANTITY = re.compile(rf"(?P<num>{_ARABIC}|{CHINESE_NUMERAL})\s*(?P<mag>万亿|亿|万|千)?\s*(?:余|多)?\s*(?P<unit>{_UNIT})?")
_LABEL_UNIT = re.compile(
    rf"[（(]\s*(?:万亿|亿|万|千)?\s*(?P<unit>{_UNIT})\s*[)）]"
    rf"|(?<=[\u4e00-\u9fff] )(?:万亿|亿|万|千)?(?P<column>{_UNIT})(?= [\d>＞<＜])")
_QUALIFIER_BEFORE = re.compile(r"(?:近|超过?|约|逾|达|不少于|不低于|不高于|不超过|大约)\s*$")
_QUALIFIER_AFTER = re.compile(r"\s*(?:余|多)?\s*(?:以上|以下|左右|余)?")
YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年?")
DATE = re.compile(r"(?<!\d)(?:19|20)\d{2}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?|(?<!\d)\d{1,2}\s*月\s*\d{1,2}\s*日")
# Between a row label and a number taking its unit: anything on the same line, or, when the label ends its line
# (PDF tables wrap the label: "全国高新技术企业数量\n（万家）\n27.5 45"), only the row's numbers on the next.
_ROW_GAP = re.compile(r"[^\n]*|[ \t]*\n[\d.,*\s]*")
_YEARS_LONG = re.compile(r"\s*年(?!\s*\d{1,2}\s*月)(?:以内|以上|内|左右|多)?")
LABEL_REACH = 40  # characters after a row label within which a bare number still takes its unit


def unit_class(unit: str) -> str:
    """"money", "people" ... for a unit, "count" for any other measure word, "" for no unit."""
    if not unit:
        return ""
    return next((name for name, units in UNIT_CLASSES.items() if unit in units), "count")


@dataclass(frozen=True)
class Quantity:
    start: int  # span in the text, qualifiers included (近 5000 名, 5%以上)
    end: int
    text: str
    unit: str  # the unit or measure word written with the number (or its row label's), "" for none
    kind: str  # unit class; "date" for years and dates; "magnitude" for a bare 亿/万 amount; "" for a bare number

    @property
    def digits(self) -> str:
        return re.sub(r"\D", "", self.text)


def find_quantities(text: str) -> list[Quantity]:
    """The numbers of `text` with their units, in order. A Chinese numeral counts only with a unit (统一, 十分 are
    not numbers) and 一 with a measure word is not a quantity (一个平台)."""
    labels = [(m.end(), m.group("unit") or m.group("column")) for m in _LABEL_UNIT.finditer(text)]
    found = []
    for m in _QUANTITY.finditer(text):
        number, unit, magnitude = m.group("num"), m.group("unit") or "", m.group("mag") or ""
        chinese = re.fullmatch(CHINESE_NUMERAL, number) is not None
        if chinese and (not unit or (number == "一" and unit in MEASURE_WORDS)):
            continue
        follows = text[m.end():m.end() + 1]
        is_year = re.fullmatch(r"(?:19|20)\d{2}", number) is not None and (unit == "年" or (not unit and follows in ("年", "")))
        if not unit and not magnitude and labels:
            label = [u for end, u in labels if end <= m.start() and m.start() - end < LABEL_REACH
                     and _ROW_GAP.fullmatch(text, end, m.start())]
            unit = label[-1] if label else ""
        start, end = m.start(), m.end()
        years_long = not is_year and not chinese and len(number) <= 2 and _YEARS_LONG.match(text, end)
        if years_long:  # 有效期 3年, 5 年内: a length of time, not a year (a date's 年 has its month: 3年5月)
            unit, kind, end = "年", "duration", years_long.end()
        elif is_year or unit in ("年", "月", "日") or follows == "年":
            kind = "date"
        elif not unit and magnitude:
            # "500 亿" is an amount; "1100万用户" counts users
            kind = "count" if re.match(r"\s*[\u4e00-\u9fff]", text[m.end():]) or magnitude == "千" else "magnitude"
        else:
            kind = unit_class(unit)
        head = text[max(0, start - 4):start]
        if q := _QUALIFIER_BEFORE.search(head):
            start -= len(head) - q.start()
        tail = _QUALIFIER_AFTER.match(text, end)
        if tail and tail.group(0).strip():
            end = tail.end()
        found.append(Quantity(start, end, text[start:end].strip(), unit, kind))
    return found
