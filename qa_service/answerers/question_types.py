"""What kind of answer a question asks for, and whether a sentence has that kind of content.

A question asking 多少 wants a number, 哪一年 a date, 哪个部门 an organisation, 哪几项 an enumeration; preferring sentences that
hold such content picks the answering sentence far more often than term overlap alone.
"""
from __future__ import annotations

import re

_ASKS_TIME = re.compile(r"哪一?年|哪一?天|哪个月|何时|什么时候|什么时间|起止|时间是|日期")
_ASKS_NUMBER = re.compile(r"多少|(?<!哪)几[个项家所类年次倍成座支条]|多大|多高|多长|多久|多远|比重|比例|占比|规模|上限|下限|权重|有效期")
_ASKS_ORG = re.compile(r"哪个部门|哪个单位|哪个机构|哪家|由谁|谁来|哪个部委|什么部门|什么机构|叫什么")
_ASKS_LIST = re.compile(r"哪些|哪几|哪[一二三四五六七八九十两\d]+[个项条类种座家]|分别|包括什么|有什么")

_HAS_TIME = re.compile(r"\d{4}\s*年|\d{1,2}\s*月|\d{1,2}\s*日|[〇一二三四五六七八九十]{4}年")
_HAS_ORG = re.compile(r"[部委局办院署会厅]|公司|中心|银行|集团|大学|机构")
_HAS_NUMBER = re.compile(r"\d|[一二两三四五六七八九十百千万亿]+\s*[个项家所类年次倍成座支条%％万亿]")


def answer_type_match(question: str, sentence: str) -> int:
    """0 to 3: how many of the answer kinds the question asks for the sentence contains."""
    score = 0
    if _ASKS_TIME.search(question):
        score += bool(_HAS_TIME.search(sentence))
    elif _ASKS_NUMBER.search(question):
        score += bool(_HAS_NUMBER.search(sentence))
    if _ASKS_ORG.search(question):
        score += bool(_HAS_ORG.search(sentence))
    if _ASKS_LIST.search(question):
        score += sentence.count("、") >= 2
    return score


def required_kind(question: str) -> str | None:
    """"time" or "number" when the question can only be answered with one, else None."""
    if _ASKS_TIME.search(question):
        return "time"
    if _ASKS_NUMBER.search(question):
        return "number"
    return None


def holds_kind(text: str, kind: str) -> bool:
    return bool((_HAS_TIME if kind == "time" else _HAS_NUMBER).search(text))
