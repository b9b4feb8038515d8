"""The short answer inside a quote: the figure, the enumeration or the clause that answers, never a cut clause.

The reader (readers/detail_reader.py) answers with a quote of a sentence and the next, 90-120 characters, while
the question wants a figure, a list or a phrase: char-F1 against the short gold answers was 0.255 (median answer
92 characters). Measured on the answered dev questions (docs/evaluation.md, issue 18), per kind of answer:
- a figure the reader found as the only value of the asked kind: the figure with its unit and the words that
  qualify it (近 5000 名, 2-3个, 0.99 元/分钟, 10 毫秒范围内) holds the gold as often as its clause (27 of 27) and
  scores twice its char-F1, so it is the short answer; so is the only date or organisation of the asked kind;
  when the value read is not the quote's only one, its sentence without the next (no answer lost the gold);
- a list: the clause holding the enumeration (、-separated items) the question's words point at, chosen among
  the quote's enumerations by the question's words it holds (at least one) and by the number of items asked;
- anything else: the clause sharing most of the question's words and, when it ends with a comma or a colon,
  the clause after it (the statement the question's words lead up to).
A clause is split at ，；：。！？ outside quotation marks and brackets, so a quoted term is never cut. When no
candidate is found the answer stays the quote (an empty short answer).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

import jieba

from qa_service.understanding.asked_detail import normalise
from qa_service.understanding.quantities import MEASURE_WORDS
from qa_service.understanding.sentence_splitter import split_sentences

_OPENING = {"“": "”", "《": "》", "（": "）", "(": ")", "「": "」", "『": "』", "‘": "’", "【": "】", "〔": "〕"}
_CLAUSE_END = frozenset("，,；;：:。！？!?")
_CONTINUES = frozenset("，,：:")  # a clause ending so leads up to the next one
_RANGE_BEFORE = re.compile(r"\d+(?:\.\d+)?\s*[-－—~～至到]\s*$")  # 2-3个: the figure is a range
_PER_UNIT_AFTER = re.compile(r"\s*/\s*[\u4e00-\u9fa5A-Za-z]{1,3}")  # 0.99 元/分钟
_QUALIFIER_AFTER = re.compile(r"\s*(?:以上|以下|以内|之内|左右|范围内)")
_WORDS_TO_CLAUSE_END = re.compile(r"\s*[\u4e00-\u9fa5]{1,5}(?=[，,；;。！？!?]|$)")  # 10 毫秒范围内。
_ENUMERATION_ITEM = re.compile(r"、")
FIGURE_KINDS = frozenset({"number", "duration"})  # the figure, widened to its range, unit and qualifiers
VALUE_KINDS = FIGURE_KINDS | {"date", "org"}  # the value the reader found is the short answer
# Which answers are shortened (QA_SHORT_ANSWER_SCOPE): the figure only, figures and enumerations, or every answer.
# Each wider scope raised char-F1 and lost answers holding the gold on dev (docs/evaluation.md, issue 18).
SCOPES = ("figures", "lists", "all")


@dataclass(frozen=True)
class Clause:
    start: int
    end: int
    text: str


def clauses(text: str) -> list[Clause]:
    """The clauses of `text`, each with its closing punctuation; punctuation inside “…” 《…》 （…） does not end
    one, so a quoted term (“两中心，一支撑”) stays whole."""
    out: list[Clause] = []
    start = 0
    closing: list[str] = []
    for i, ch in enumerate(text):
        if closing and ch == closing[-1]:
            closing.pop()
        elif ch in _OPENING:
            closing.append(_OPENING[ch])
        elif ch in _CLAUSE_END and not closing:
            out.append(Clause(start, i + 1, text[start:i + 1]))
            start = i + 1
    if start < len(text):
        out.append(Clause(start, len(text), text[start:]))
    return [c for c in out if any(ch.isalnum() for ch in c.text)]


def figure(text: str, start: int, end: int) -> tuple[int, int]:
    """The span of the figure text[start:end] widened to the range it ends (2-3个), its per-unit (元/分钟) and the
    words qualifying it (以上, 左右, 范围内); a bare number ending its clause takes the words after it (10 毫秒)."""
    if m := _RANGE_BEFORE.search(text, 0, start):
        start = m.start()
    bare = not any("\u4e00" <= ch <= "\u9fff" or ch in "%％‰" or ch.isalpha() for ch in text[start:end].strip()
                   if not ch.isdigit())
    if bare and (m := _WORDS_TO_CLAUSE_END.match(text, end)):
        return start, m.end()
    end = _word_end(text, start, end)
    if m := _PER_UNIT_AFTER.match(text, end):
        end = m.end()
    if m := _QUALIFIER_AFTER.match(text, end):
        end = m.end()
    return start, end


def _word_end(text: str, start: int, end: int) -> int:
    """Where the word holding the figure's last character ends: a measure word may begin a longer word (8部门,
    read 8 部 by the number finder). Words by jieba's dictionary (no guessed words: its HMM joins 家物 in
    10 家物联网企业), cut from the figure's clause start so that 余家中小企业 stays 余家 + 中小企业."""
    if end >= len(text) or text[end - 1] not in MEASURE_WORDS or not "\u4e00" <= text[end] <= "\u9fff":
        return end
    begin = max((i + 1 for i in range(start) if text[i] in _CLAUSE_END), default=0)
    at = begin
    for word in jieba.cut(text[begin:end + 4], HMM=False):
        at += len(word)
        if at >= end:
            return at if at > end and at - len(word) >= start else end
    return end


def shared_weight(text: str, weights: Mapping[str, float]) -> float:
    """The IDF weight of the question's terms standing in `text`."""
    norm = normalise(text)
    return sum(w for term, w in weights.items() if term in norm)


def enumeration_clause(parts: list[Clause], weights: Mapping[str, float], items: int) -> Clause | None:
    """The clause holding the enumeration the question asks for: among those with 、-separated items that share a
    word with the question, one of the asked number of items first, then the one sharing most, the first of
    equals. (Counting the clause before as well, or the question's words near its question word twice, chose
    worse on dev; an enumeration sharing no word was the wrong one every time it was chosen.)"""
    best: tuple[tuple[bool, float], Clause] | None = None
    for part in parts:
        count = len(_ENUMERATION_ITEM.findall(part.text)) + 1
        shared = shared_weight(part.text, weights)
        if count < 2 or shared <= 0:
            continue
        key = (items > 0 and count == items, shared)
        if best is None or key > best[0]:
            best = (key, part)
    return best[1] if best else None


def leading_clauses(parts: list[Clause], weights: Mapping[str, float]) -> tuple[int, int] | None:
    """The clause sharing most of the question's words, with the next when it ends with a comma or a colon."""
    scores = [shared_weight(p.text, weights) for p in parts]
    if not parts or max(scores) <= 0:
        return None
    at = scores.index(max(scores))
    last = at + 1 if at + 1 < len(parts) and parts[at].text.rstrip()[-1:] in _CONTINUES else at
    return parts[at].start, parts[last].end


def short_answer(quote: str, kind: str, weights: Mapping[str, float], value: tuple[int, int] | None = None,
                 unique_value: bool = False, items: int = 0, scope: str = "all") -> str:
    """The short answer inside `quote` ("" to answer with the whole quote). `value`: the span (in the quote) of
    the value of the asked kind the reader found, `unique_value` when it is the quote's only one; `kind` the asked
    detail's kind (understanding/asked_detail.py), `items` the number of items a list question asks for; `scope`
    one of SCOPES."""
    if kind in VALUE_KINDS:
        if value is None:
            return ""
        if not unique_value:  # which value answers is less sure: the whole sentence stating the one read
            return _flat(_sentence_of(quote, *value))
        start, end = figure(quote, *value) if kind in FIGURE_KINDS else value
        return _flat(quote[start:end])
    if scope == "figures":
        return ""
    parts = clauses(quote)
    if kind == "list":
        found = enumeration_clause(parts, weights, items)
        return _flat(found.text) if found else ""
    if scope == "lists":
        return ""
    span = leading_clauses(parts, weights)
    return _flat(quote[span[0]:span[1]]) if span else ""


def _sentence_of(quote: str, start: int, end: int) -> str:
    """The sentence of the quote holding text[start:end] (to its end, when the value runs on past it)."""
    for sentence in split_sentences(quote):
        if sentence.start <= start < sentence.start + len(sentence.text):
            return quote[sentence.start:max(end, sentence.start + len(sentence.text))]
    return quote


def _flat(text: str) -> str:
    return " ".join(text.split()).rstrip("，,；;：:。")
