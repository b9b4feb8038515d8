"""What the question takes for granted, checked against the documents.

Two ways a question cannot be answered however well its other words match:
- it names something the documents never mention (鸿蒙, 墨子号, “黄金二十条”): `absent` finds its named things
  and quoted terms nowhere in the corpus. A quoted term is the user's wording, so it may be a paraphrase of the
  documents' (“巴菲特饭局” for “巴菲特午餐”, “两艘航母” for “双航母”): it counts as present when half its
  character pairs stand together in one place, or it is the same once numerals are read as numbers;
- it states something the documents contradict (“一体两环” where they say 一体三环; 第一个国家级新区 where they
  say 第八个; 苏州国家传感网创新示范区 where they say 无锡): `contradiction` finds, in a passage that answers
  the rest of the question, the words around the question's term followed or preceded by another term of the
  same kind (a number for a number, a name for a name). A count worded unlike the text (建设目标定在20家以上 for
  建成三级综合医院9家以上) has no such neighbours: `restated_count` looks for a piece of the words before it in
  the question's clause, followed closely by another count of the same measure word. The answer then corrects
  the premise.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from qa_service.understanding.abbreviations import Abbreviations
from qa_service.understanding.bilateral_forms import names_partner
from qa_service.understanding.entity_grounding import QUOTED_PART_SEPARATORS, _compact
from qa_service.understanding.quantities import MEASURE_WORDS, find_quantities

FUZZY_SHARE = 0.5  # share of a quoted term's character pairs that must stand together in the text
NEIGHBOUR_CHARS = 4  # words around a question term used to find where the passage puts its own term
MIN_NEIGHBOUR_CHARS = 3
_NUMERAL = re.compile(r"\d|[一二两三四五六七八九十百千首]")
_NUMERAL_VALUE = {"首": "1", "两": "2", "双": "2", "二": "2", "一": "1", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7",
                  "八": "8", "九": "9", "十": "10"}
_MEASURE_AFTER_DIGIT = re.compile(r"(?<=\d)[个艘项条家所座种类]")
_ORDINAL = re.compile(r"第[一二三四五六七八九十\d]+[个家批次期轮届]")
_JOINERS = "的和与及在是"


def numeral_form(text: str) -> str:
    """Compact text with Chinese numerals as digits and no measure word after them (两艘航母 -> 2航母)."""
    digits = re.sub("[一二两双三四五六七八九十首]", lambda m: _NUMERAL_VALUE[m.group(0)], _compact(text))
    return _MEASURE_AFTER_DIGIT.sub("", digits)


def parts(quoted: str) -> list[str]:
    """The compact enumerated parts of a quoted term."""
    return [p for p in (_compact(x) for x in QUOTED_PART_SEPARATORS.split(quoted)) if p] or [_compact(quoted)]


def _pairs(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)} or {text}


MAX_ANCHORS = 200  # places of a quoted term's rarest character pair looked at (bounded work per term)


def fuzzy_contains(haystack: str, term: str, haystack_numerals: str | None = None) -> bool:
    """`term` (compact) stands in `haystack` (compact), exactly, by numeral form, or with its first two characters
    and FUZZY_SHARE of its character pairs within one window of its length. `haystack_numerals`: numeral_form(haystack), when known."""
    if term in haystack:
        return True
    if len(term) < 3:
        return False
    numerals = numeral_form(haystack) if haystack_numerals is None else haystack_numerals
    if numeral_form(term) in numerals:
        return True
    pairs = _pairs(term)
    present = [p for p in pairs if p in haystack]
    if not present or len(present) < FUZZY_SHARE * len(pairs):
        return False
    head = term[:2]  # a name is told by its beginning: 金鸡湖科技领军人才计划 is not 领军人才计划
    if head not in haystack:
        return False
    anchor = min(present, key=lambda pair: (haystack.count(pair), pair))  # ties by text: same in every process
    start = haystack.find(anchor)
    for _ in range(MAX_ANCHORS):
        if start < 0:
            break
        window = haystack[max(0, start - len(term)):start + len(term) + 2]
        if head in window and sum(1 for p in pairs if p in window) >= FUZZY_SHARE * len(pairs):
            return True
        start = haystack.find(anchor, start + 1)
    return False


@dataclass(frozen=True)
class Contradiction:
    asked: str  # the question's term (compact)
    stated: str  # what the passage says in its place (compact)


class Premises:
    def __init__(self, corpus_compact: str, abbreviations: Abbreviations | None = None,
                 bilateral_forms: bool = False) -> None:
        self._corpus = corpus_compact
        self._abbreviations = abbreviations
        self._bilateral_forms = bilateral_forms

    def names(self, text: str, entity: str) -> bool:
        """`text` (compact) names the entity: as written, by a long form the corpus writes for it (党代会), or, with
        `bilateral_forms` (QA_BILATERAL_FORMS), a partner country by its bilateral form (中以 for 以色列)."""
        entity = _compact(entity)
        return (entity in text or (self._abbreviations is not None and self._abbreviations.written_out(entity, text))
                or (self._bilateral_forms and names_partner(text, entity)))

    @functools.cached_property
    def _numerals(self) -> str:
        return numeral_form(self._corpus)  # made on first use, once: 0.6 s for the bundled corpus

    def absent(self, quoted: tuple[str, ...], entities: tuple[str, ...]) -> list[str]:
        """The question's quoted terms and named things the corpus never mentions (quoted ones fuzzily, each
        enumerated part on its own: “一个中心、三个环节” is written with explanations between its parts)."""
        out = [q for q in quoted if not all(fuzzy_contains(self._corpus, part, self._numerals) for part in parts(q))]
        for entity in entities:
            if entity in quoted or any(entity in q for q in quoted):
                continue
            if not self.names(self._corpus, entity):
                out.append(entity)
        return out


def premise_terms(question: str, quoted: tuple[str, ...], entities: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(term, words before it, words after it) for the question's quoted terms, named things, numbers and
    ordinals, compacted; numbers asked about (哪三个) and document numbers are not premises."""
    compact = _compact(question)
    plain = re.sub(r"〔\d{4}〕\s*\d+\s*号", "", question)
    terms = [_compact(t) for t in (*quoted, *entities)]
    terms += [_compact(q.text) for q in find_quantities(plain)
              if q.kind != "date" and not re.search(r"[哪几多]\s*$", plain[:q.start])]
    terms += [_compact(m.group(0)) for m in _ORDINAL.finditer(question)]
    out = []
    for term in dict.fromkeys(t for t in terms if t):
        at = compact.find(term)
        if at >= 0:
            out.append((term, _han_neighbour(compact[max(0, at - NEIGHBOUR_CHARS):at], at_end=True),
                        _han_neighbour(compact[at + len(term):at + len(term) + NEIGHBOUR_CHARS], at_end=False)))
    return out


def _han_neighbour(words: str, at_end: bool) -> str:
    """The Han characters next to the term (a year or a number beside it, 2017年, says nothing of where the
    passage puts its own term)."""
    run = re.findall(r"[\u4e00-\u9fff]+", words)
    if not run:
        return ""
    piece = run[-1] if at_end else run[0]
    touching = words.endswith(piece) if at_end else words.startswith(piece)
    return piece if touching else ""


def contradiction(premises: list[tuple[str, str, str]], quoted: tuple[str, ...], sentence: str,
                  passage: str) -> Contradiction | None:
    """The first premise the passage states otherwise: the question's term is nowhere in the passage, and the
    sentence has the words around it next to another term of the same kind."""
    hay = _compact(sentence)
    whole = _compact(passage) + hay
    quoted_compact = {_compact(q) for q in quoted}
    for term, before, after in premises:
        if term in whole or numeral_form(term) in numeral_form(whole):
            continue
        is_number = bool(_NUMERAL.search(term))
        # the nearest words first, then fewer of them (把智慧和 may read 以智慧和 in the passage)
        sides = [(after[:n], "after") for n in range(len(after), MIN_NEIGHBOUR_CHARS - 1, -1)]
        sides += [(before[-n:], "before") for n in range(len(before), MIN_NEIGHBOUR_CHARS - 1, -1)]
        for neighbour, side in sides:
            at = hay.find(neighbour)
            if at < 0:
                continue
            other = (hay[max(0, at - len(term) - 1):at] if side == "after"
                     else hay[at + len(neighbour):at + len(neighbour) + len(term) + 1])
            if not other:
                continue
            if is_number:
                if _NUMERAL.search(other) and numeral_form(other) != numeral_form(term):
                    return Contradiction(term, other)
            elif term in quoted_compact:
                if not set(other) & set(term):
                    return Contradiction(term, other)
            elif not set(other) & set(term) and other[:1] not in _JOINERS:
                return Contradiction(term, other)
    return None


COUNT_CONTEXT_CHARS = 12  # Han characters of the question's clause before a counted number that may name it
MIN_ANCHOR_CHARS = 4  # a piece of that clause the passage must repeat to say the same thing is counted
COUNT_GAP_CHARS = 4  # characters between the repeated piece and the passage's own count
_COUNT = re.compile(rf"(\d+(?:\.\d+)?)\s*([{MEASURE_WORDS}])")


def counted_premises(question: str) -> list[tuple[str, str, str]]:
    """(count, measure word, the Han words before it in its clause) for each count the question takes for granted
    (建设目标定在20家以上: 20, 家, …三级综合医院的建设目标定在); counts asked about (哪两个) are not premises."""
    out = []
    for m in _COUNT.finditer(question):
        before = question[:m.start()]
        if re.search(r"[哪几多]\s*$", before):
            continue
        clause = re.split(r"[，,；;。！？?!：:\n]", before)[-1]
        context = "".join(re.findall(r"[\u4e00-\u9fff]+", clause))[-COUNT_CONTEXT_CHARS:]
        if len(context) >= MIN_ANCHOR_CHARS:
            out.append((m.group(1), m.group(2), context))
    return out


def restated_count(counts: list[tuple[str, str, str]], sentence: str, passage: str) -> Contradiction | None:
    """The first count the sentence states otherwise: it repeats MIN_ANCHOR_CHARS or more of the words before the
    question's count, followed closely by another count of the same measure word (三级综合医院9家以上 for
    三级综合医院…20家以上), and the question's count is nowhere in the passage."""
    hay = _compact(sentence)
    whole = _compact(passage) + hay
    for number, measure, context in counts:
        if number + measure in whole:
            continue
        pieces = sorted({context[i:j] for i in range(len(context))
                         for j in range(i + MIN_ANCHOR_CHARS, len(context) + 1)}, key=lambda p: (-len(p), p))
        for piece in pieces:
            at = hay.find(piece)
            while at >= 0:
                window = hay[at + len(piece):at + len(piece) + COUNT_GAP_CHARS + 8]
                other = re.match(rf"\D{{0,{COUNT_GAP_CHARS}}}?(\d+(?:\.\d+)?){measure}", window)
                if other and other.group(1) != number:
                    return Contradiction(number + measure, other.group(1) + measure)
                at = hay.find(piece, at + 1)
    return None
