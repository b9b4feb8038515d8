"""What kind of answer a question asks for, and whether a sentence has that kind of content.

A question asking 多少 wants a number, 哪一年 a date, 哪个部门 an organisation, 哪几项 an enumeration; preferring sentences that
hold such content picks the answering sentence far more often than term overlap alone.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_ASKS_TIME = re.compile(r"哪一?年|哪一?天|哪个月|何时|什么时候|什么时间|起止|时间是|日期")
_ASKS_NUMBER = re.compile(r"多少|(?<!哪)几[个项家所类年次倍成座支条]|多大|多高|多长|多久|多远|比重|比例|占比|规模|上限|下限|权重|有效期")
_ASKS_ORG = re.compile(r"哪个部门|哪个单位|哪个机构|哪家|由谁|谁来|哪个部委|什么部门|什么机构|叫什么")
_ASKS_LIST = re.compile(r"哪些|哪几|哪[一二三四五六七八九十两\d]+[个项条类种座家]|分别|包括什么|有什么")

_HAS_TIME = re.compile(r"\d{4}\s*年|\d{1,2}\s*月|\d{1,2}\s*日|[〇一二三四五六七八九十]{4}年")
_HAS_ORG = re.compile(r"[部委局办院署会厅]|公司|中心|银行|集团|大学|机构")
_HAS_NUMBER = re.compile(r"\d|[一二两三四五六七八九十百千万亿]+\s*[个项家所类年次倍成座支条%％万亿]")


@dataclass(frozen=True)
class HeldKinds:
    """The kinds of answer content a sentence holds (computed once per sentence, reused for every question)."""

    time: bool
    number: bool
    org: bool
    enumeration: bool  # two or more 、

    @classmethod
    def of(cls, sentence: str) -> "HeldKinds":
        return cls(bool(_HAS_TIME.search(sentence)), bool(_HAS_NUMBER.search(sentence)),
                   bool(_HAS_ORG.search(sentence)), sentence.count("、") >= 2)


@dataclass(frozen=True)
class AskedKinds:
    """The kinds of answer content a question asks for (computed once per question). A question asking for
    a date is not also scored for numbers: dates are numbers too."""

    time: bool
    number: bool
    org: bool
    enumeration: bool

    @classmethod
    def of(cls, question: str) -> "AskedKinds":
        time = bool(_ASKS_TIME.search(question))
        return cls(time, not time and bool(_ASKS_NUMBER.search(question)), bool(_ASKS_ORG.search(question)),
                   bool(_ASKS_LIST.search(question)))

    def match(self, held: HeldKinds) -> int:
        """0 to 3: how many of the asked kinds the sentence holds."""
        return ((self.time and held.time) + (self.number and held.number) + (self.org and held.org)
                + (self.enumeration and held.enumeration))


def answer_type_match(question: str, sentence: str) -> int:
    """0 to 3: how many of the answer kinds the question asks for the sentence contains."""
    return AskedKinds.of(question).match(HeldKinds.of(sentence))


def required_kind(question: str) -> str | None:
    """"time" or "number" when the question can only be answered with one, else None."""
    if _ASKS_TIME.search(question):
        return "time"
    if _ASKS_NUMBER.search(question):
        return "number"
    return None


def holds_kind(text: str, kind: str) -> bool:
    return bool((_HAS_TIME if kind == "time" else _HAS_NUMBER).search(text))
