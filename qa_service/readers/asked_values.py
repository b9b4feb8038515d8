"""Where a quote states a value of the asked kind: the candidates the detail reader checks (readers/detail_reader.py).

A number of the asked unit class or measure, a date, a duration, an enumeration (of as many items as a question like
哪三个 asks for: what holds two or five is not the three asked for), an organisation
the question does not name itself; a value said to change is read with the value it changes to. An ordinal
(第一、二条) is no value: it says which, not how many.
"""
from __future__ import annotations

import re

from qa_service.understanding.asked_detail import DetailQuestion, _small_number, clause_start
from qa_service.understanding.entity_grounding import _compact
from qa_service.understanding.quantities import DATE, Quantity
from qa_service.understanding.sentence_splitter import Sentence

_ORG = re.compile(r"[\u4e00-\u9fa5]{2,20}?(?:部|委员会|委|局|办公室|院|署|厅|公司|中心|银行|集团|大学|学院|机构|政府)")
_ENUMERATION = re.compile(r"[^，,；;。：:\n]*、[^，,；;。：:\n]*")
_LIST_ITEM = re.compile(r"、|和|及|与")
_COUNT = re.compile(r"(?<![一二两三四五六七八九十\d])([一二两三四五六七八九十\d]+)\s*[\u4e00-\u9fff]")
_FROM = re.compile(r"[从由]")
# an ordinal (第八条, 第一、二条: which article, not how many) ends here: 第 and a run of numerals and separators
_ORDINAL_BEFORE = re.compile(r"第[0-9一二三四五六七八九十百零两、，,和及至-]*$")
_CHANGE_TO = re.compile(r"[^。；;！？!?\d]{0,12}?(?:到|至)[^。；;！？!?\d]{0,6}")  # 人，减少到目前 / 降至


def values_of_asked_kind(detail: DetailQuestion, text: str, quantities: tuple[Quantity, ...], asked_in: str = "",
                         list_counts: bool = True):
    """(start, end, weight) of the values of the asked kind in `text` (`quantities`: find_quantities(text));
    `asked_in`: the question; `list_counts` (QA_LIST_COUNTS): 哪三个 takes three items or an enumeration said to be
    three, else at least three."""
    asked = detail.detail
    if asked.kind == "date":
        yield from ((m.start(), m.end(), 1.0) for m in DATE.finditer(text))
        return
    if asked.kind == "list":  # 哪三个: three items, or an enumeration the text itself counts as three
        for m in _ENUMERATION.finditer(text):
            items = [item for item in _LIST_ITEM.split(m.group(0)) if item.strip()]
            if len(items) >= max(2, asked.items) and (not asked.items or not list_counts or len(items) == asked.items
                                                      or _counted_as(m.group(0), asked.items)):
                yield m.start(), m.end(), 1.0
        return
    if asked.kind == "org":  # not one the question names itself (跟哪所大学合作 is not 清华大学 of 清华大学在美国…)
        question = _compact(asked_in)
        for m in _ORG.finditer(text):
            name = _compact(m.group(0))  # the pattern may take a word before the name (是清华大学)
            if not any(name[i:] in question for i in range(len(name) - 2)):
                yield m.start(), m.end(), 1.0
        return
    for q in quantities:
        if q.kind == "date" or q.digits in detail.numbers or _ORDINAL_BEFORE.search(text, max(0, q.start - 12), q.start):
            continue
        if asked.kind == "duration":  # 有效期是几年: 3年, not the 6个月 of the sentence after
            if q.kind == "duration" and (not asked.measure or q.unit == asked.measure):
                yield q.start, q.end, 1.0
            elif not asked.measure and not q.kind:
                yield q.start, q.end, 0.5
        elif not asked.unit_class and not asked.measure:
            yield q.start, q.end, (0.8 if q.kind else 0.6)
        elif asked.measure and q.unit == asked.measure:
            yield q.start, q.end, 1.0
        elif asked.unit_class == "count" and q.kind == "count":
            yield q.start, q.end, 0.5
        elif asked.unit_class and asked.unit_class != "count" and q.kind == asked.unit_class:
            yield q.start, q.end, 0.9
        elif q.kind == "magnitude" and asked.unit_class == "money":
            yield q.start, q.end, 0.7


def _counted_as(enumeration: str, items: int) -> bool:
    """The enumeration says how many it names (…、“楚才回家”三个创新创业活动品牌, …税务登记证“三证合一”): its clause may run
    on into more than the items asked for."""
    return any(_small_number(size.group(1)) == items for size in _COUNT.finditer(enumeration))


def onward(text: str, candidates: list[tuple[int, int, float]],
            quantities: tuple[Quantity, ...]) -> list[tuple[int, int, float]]:
    """A value said to change (从 16728 人，减少到 2432 人) is read with the value it changes to, as one span: the
    clause of the starting value alone answered 降到了多少 with the starting figure."""
    out: list[tuple[int, int, float]] = []
    absorbed: set[int] = set()
    for start, end, weight in candidates:
        if start in absorbed:
            continue
        after = next((q for q in quantities if q.start >= end), None)
        # 从 before this value, with no other value between: it is the starting one (not 11 项 in 由 156 项减少到 11 项)
        since = max([clause_start(text, start)] + [q.end for q in quantities if q.end <= start])
        if after is not None and _FROM.search(text, since, start) and _CHANGE_TO.fullmatch(text, end, after.start):
            absorbed.add(after.start)  # candidates come in text order: the changed-to value is still ahead
            # to the end of the value of the asked kind starting there (从2017年7月至2018年12月: 12月, not 2018)
            whole = next((c for c in candidates if c[0] == after.start), None)
            end = max(after.end, whole[1]) if whole else after.end
        out.append((start, end, weight))
    return out


def sentence_of(sentences: list[Sentence], at: int, text: str) -> Sentence:
    """The sentence of `text` holding offset `at` (all of `text` when none does)."""
    for sentence in sentences:
        if sentence.start <= at < sentence.start + len(sentence.text):
            return sentence
    return Sentence(text, 0)
