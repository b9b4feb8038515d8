"""Does a passage state what a sentence of an LLM answer states?

Checking that a marker points to a real passage says nothing of what the sentence before it claims: a
scripted LLM answering "每位市民每月可领取一万元人工智能补贴[1]" cited a real passage that holds no 一万元
and came back as a clean answer. A sentence is checked against a set of passages for the claims that can be
checked without understanding:
- numbers with their unit: amounts, counts, years and dates, percentages (33所, 2025年, 3.5%, 百分之二十).
  Chinese numerals and digits are compared by value (一万元 = 1万元 = 10000元); a Chinese numeral counts
  only before a unit (so 统一, 十分, 万众创新 are not numbers) and 一 alone ("一个平台") is not a claim;
- named entities and quoted terms, as the question's are found (qa_service.understanding.entity_grounding):
  places, organisations, Latin-script terms, “…” and 《…》. An entity of the question (already required
  in the passages before the LLM was asked) or one common in the corpus (中国) is not a new claim.
Matching is on the compact form (NFKC, lower case, no whitespace or punctuation) of the passage's
document name, title, headings and text, which is what the LLM was shown.

One answer is checked in one ClaimSession: a sentence's claims are found once however many passages it is
held against (qa_service.answerers.content_attribution tries several), and the part-of-speech tagging and
corpus look-ups of the whole answer share one budget.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from qa_service.answerers.citation_markers import MARKER
from qa_service.types import Passage
from qa_service.understanding.entity_grounding import EntityGrounding, TaggingBudget, _compact
from qa_service.understanding.query import Query

# Characters that may follow a Chinese numeral for it to count as a number: units, measure words, time.
_UNITS = frozenset("个项家所类年月日号时次倍成座支条元角人名位批户台套件种亩吨米克升度岁期届轮周天季%‰")
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}
_NUMBER = re.compile(
    r"(?P<pct>百分之)?"
    r"(?:(?P<arabic>\d+(?:,\d{3})*(?:\.\d+)?)|(?P<cn>[零〇一二两三四五六七八九十][零〇一二两三四五六七八九十百千万亿]*"
    r"(?:点[零〇一二三四五六七八九]+)?))"
    r"\s*(?P<mult>[万亿]?)\s*(?P<unit>[%‰]|[\u4e00-\u9fff])?")
# An item number at the start of a line ("1. ", "(2)", "3、"): the answer's layout, not a claim.
_ITEM_NUMBER = re.compile(r"(?m)^[ \t]*[(（]?\d{1,2}(?:[)）、]|\.(?!\d))")
# Where a sentence ends: closing punctuation with the markers right after it, or a line break.
_SENTENCE_END = re.compile(r"[。！？；!?;]+(?:[ \t]*\[\d{1,3}\])*|\n")
# Bounds on the work for one answer (an LLM talked into writing pages must not cost the server seconds):
MAX_CHECKED_CHARS = 4000  # sentences beyond are not checked but removed (an answer is a few sentences)
MAX_CORPUS_LOOKUPS = 64  # "is this entity common in the corpus?" scans (~2 ms each); past them it is not


@dataclass(frozen=True)
class _Number:
    value: Decimal
    unit: str  # "%", "‰", a unit or measure character, or "" (no unit)


@dataclass(frozen=True)
class _Mention:
    written: str  # as in the text: "一万元", "33 所"
    number: _Number
    chinese: bool  # written in Chinese numerals


@dataclass
class _Budget:
    """What one answer's check may still spend."""

    tagging: TaggingBudget = field(default_factory=TaggingBudget)  # one HMM allowance for the whole answer
    corpus_lookups: int = MAX_CORPUS_LOOKUPS


class ClaimChecker:
    def __init__(self, grounding: EntityGrounding) -> None:
        self._grounding = grounding

    def session(self, query: Query, shown: list[Passage]) -> "ClaimSession":
        """The checks of one answer's sentences against `shown`, sharing one budget."""
        return ClaimSession(self._grounding, _compact(query.text), shown)


class ClaimSession:
    """One answer's claim checks: the passages' prepared sources and the tagging and look-up budget are
    shared by its sentences (qa_service.answerers.content_attribution asks one sentence against several
    passages)."""

    def __init__(self, grounding: EntityGrounding, question_compact: str, shown: list[Passage]) -> None:
        self._grounding = grounding
        self._question = question_compact
        self._shown = shown
        self._sources: dict[tuple[int, ...], _Source] = {}
        self._claims: dict[str, tuple[list[_Mention], list[str]]] = {}
        self._generic: dict[str, bool] = {}
        self._budget = _Budget()

    def unsupported(self, sentence: str, refs: tuple[int, ...]) -> list[tuple[str, str]]:
        """(claim, kind) of each number or entity of `sentence` (markers removed) that the passages `refs`
        (1-based into shown) do not state."""
        if refs not in self._sources:
            self._sources[refs] = _Source.of([self._shown[r - 1] for r in refs])
        source = self._sources[refs]
        numbers, entities = self._claims_of(sentence)
        claims: list[tuple[str, str]] = []
        for mention in numbers:
            if source.states(mention.number):
                continue
            # Chinese numerals also as written: a passage's "十三五"时期 holds the answer's 十三五时期.
            if mention.chinese and _compact(mention.written) in source.compact:
                continue
            claims.append((mention.written, "number"))
        claims.extend((entity, "entity") for entity in entities
                      if _compact(entity) not in source.compact and not self._is_generic(entity))
        return claims

    def _claims_of(self, sentence: str) -> tuple[list[_Mention], list[str]]:
        """The sentence's numbers, and its entities that are not the question's."""
        if sentence not in self._claims:
            numbers = _numbers(_ITEM_NUMBER.sub("", sentence))
            entities = [e for e in self._grounding.entities(sentence, self._budget.tagging)
                        if _compact(e) not in self._question]
            self._claims[sentence] = (numbers, entities)
        return self._claims[sentence]

    def _is_generic(self, entity: str) -> bool:
        """Common in the corpus (中国): not a claim. Asked once per entity, within the answer's budget."""
        if entity not in self._generic:
            if self._budget.corpus_lookups <= 0:
                return False  # past the budget an entity counts as a claim
            self._budget.corpus_lookups -= 1
            self._generic[entity] = self._grounding.is_generic(entity)
        return self._generic[entity]


def answer_sentences(text: str) -> list[str]:
    """The answer cut after each sentence's closing punctuation and markers; the pieces join to `text`."""
    pieces, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        pieces.append(text[start:m.end()])
        start = m.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def cited_refs(text: str, count: int) -> tuple[int, ...]:
    return tuple(dict.fromkeys(ref for m in MARKER.finditer(text) if 1 <= (ref := int(m.group(1))) <= count))


@dataclass(frozen=True)
class _Source:
    compact: str
    numbers: frozenset[_Number]
    values: frozenset[Decimal]

    @classmethod
    def of(cls, passages: list[Passage]) -> "_Source":
        text = "\n".join(f"{p.chunk.doc}\n{p.chunk.title}\n{p.chunk.section}\n{p.chunk.text}" for p in passages)
        numbers = frozenset(m.number for m in _numbers(text))
        return cls(_compact(text), numbers, frozenset(n.value for n in numbers))

    def states(self, number: _Number) -> bool:
        return number in self.numbers if number.unit else number.value in self.values


def _numbers(text: str) -> list[_Mention]:
    """(as written, value and unit) of each number in the text that makes a claim."""
    found = []
    for m in _NUMBER.finditer(unicodedata.normalize("NFKC", text)):
        unit = m.group("unit") or ""
        unit = unit if unit in _UNITS else ""  # the next character is a word: the value alone is the claim
        if m.group("arabic"):
            value = _decimal(m.group("arabic").replace(",", ""))
            if value is None:
                continue
        else:
            chinese = m.group("cn")
            if not (unit or m.group("mult") or m.group("pct")):
                continue  # 统一, 十分, 万众创新: words, not numbers
            if chinese == "一" and not m.group("mult"):
                continue  # "一个平台", "一年内": an article more often than a claim
            value = _chinese_value(chinese)
        if m.group("mult"):
            value *= 10_000 if m.group("mult") == "万" else 100_000_000
        if m.group("pct"):
            unit = "%"
        written = m.group(0) if m.group("unit") and m.group("unit") in _UNITS else m.string[m.start():m.end("mult")]
        found.append(_Mention(written.strip(), _Number(value.normalize(), unit), not m.group("arabic")))
    return found


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _chinese_value(text: str) -> Decimal:
    """二〇二五 -> 2025, 三十三 -> 33, 一亿五千万 -> 150000000, 三点五 -> 3.5."""
    whole, _, fraction = text.partition("点")
    value = Decimal(_chinese_integer(whole))
    if fraction:
        value += Decimal("0." + "".join(str(_CN_DIGITS[c]) for c in fraction))
    return value


def _chinese_integer(text: str) -> int:
    if not text:
        return 0
    if all(c in _CN_DIGITS for c in text):
        return int("".join(str(_CN_DIGITS[c]) for c in text))  # read digit by digit: 二〇二五
    for big, factor in (("亿", 100_000_000), ("万", 10_000)):
        if big in text:
            high, _, low = text.partition(big)
            return (_chinese_integer(high) if high else 1) * factor + _chinese_integer(low)
    total, digit = 0, None
    for c in text:
        if c in _CN_DIGITS:
            digit = _CN_DIGITS[c]
        elif c in _CN_SMALL:
            total += (1 if digit is None else digit) * _CN_SMALL[c]
            digit = None
    return total + (digit or 0)
