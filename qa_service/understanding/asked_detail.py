"""What a question asks for: the kind of detail, the words naming it, and the constraints around it.

"中国电科15万职工里，有博士学位的有多少人？" asks for a count of people (the detail), named by 博士学位 (the
focus: the words of the clause holding the question word, next to it), of 中国电科 (the subject). A sentence
answers only when it states a value of that kind in a clause that names the focus; a sentence about the
subject that states another detail (职工 15 万人) is a near miss, and the documents do not say.

The kind comes from the question word and what follows or surrounds it: 多少亿元 (money), 几家 (a count of
家), 哪一年 (a date), 多久 (a duration), 哪几项 (a list, of 3 when 哪三项), 哪个部门 (an organisation); cue
words fill in a class the question word leaves open (多少资金: money; 多少人员: people; 比例是多少: percent).
Constraints are the question's years, the terms it quotes (“…”, 《…》) and its own numbers (从156项砍到了几项:
156 anchors the clause; it is not the answer).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from qa_service.understanding.quantities import MEASURE_WORDS, UNITS, YEAR, find_quantities, unit_class

_UNIT_OR_MEASURE = "|".join(map(re.escape, UNITS)) + f"|[{MEASURE_WORDS}]"
_DURATION = re.compile(r"多久|多长时间|几年|多少年|几个月|多少个月|多少天|几天")
_DURATION_UNITS = ("个月", "年", "天")
_TIME = re.compile(r"哪一?年|哪一?天|哪个月|何时|什么时候|什么时间|几月|几号|日期|截止|为止|到期|有效期|起止|期限")
_HOW_MANY = re.compile(rf"(?:多少|几|多大|多高|多长|多远|多重|多快)\s*(?:万亿|亿|万|千)?\s*(?P<unit>{_UNIT_OR_MEASURE})?")
_LIST = re.compile(r"哪些|哪几|分别|包括什么|包括哪|有什么|有哪|(?:哪|几)[一二三四五六七八九十两\d]+[个项条类种座家所款]")
_LIST_SIZE = re.compile(r"(?:哪|这|那)?([一二两三四五六七八九十\d]+)[个项条类种座家所款]")
_ORG = re.compile(r"哪个部门|哪个单位|哪个机构|哪家|由谁|谁来|谁负|哪个部委|什么部门|什么机构|哪所|哪个公司|哪个企业|"
                  r"哪个学校|哪个大学|是谁")
_PLACE = re.compile(r"在哪里|在哪儿|哪个城市|哪个地方|什么地方|哪个省|设在哪|位于哪|落户哪|在哪")
_NAME = re.compile(r"叫什么|名称是|什么名字|哪个项目|哪个平台|哪一份|哪份|哪个文件|哪个计划")
_REASON = re.compile(r"为什么|为何|什么原因|原因是")
_DEMONSTRATIVE = re.compile(r"[这那]几[个项类种家所条位名]?")
_OPEN = re.compile(r"什么|怎样|怎么|如何|为什么|为何")
MONEY_CUES = re.compile(r"钱|资金|经费|金额|投资|投入|资费|价格|收费|补贴|奖金|奖励|资助|融资|基金|费用|收入|营收|产值|总额|"
                        r"票价|售价|多少亿元|多少万元")
GENERIC_MONEY = re.compile(r"钱|资金|经费|金额|费用|总额|多少亿元|多少万元")  # money of no particular kind
_PEOPLE_CUES = re.compile(r"人员|员工|职工|人才|人数|学生|院士|专家|博士|团队规模|多少人|几个人|职员|工作人员")
_AREA_CUES = re.compile(r"面积|占地|平方|亩")
_LENGTH_CUES = re.compile(r"全长|长度|里程|多少公里|多长")
_PERCENT_CUES = re.compile(r"比例|占比|比重|权重|百分之|百分比|增长率|增速|率是|率为|率达|几成|%|年化|回报率|收益率|利率|税率|回报")
QUESTION_WORD = re.compile(r"多少|几[个项家所类年次倍成座支条名位款种人天]?|多大|多高|多长|多久|多远|"
                           r"哪[些个家所一年天里儿种份位]?|什么|怎样|怎么|如何|为什么|为何|谁|是否")
_CLAUSE = re.compile(r"[，,；;。！？?!：:\n]")
_CLAUSE_END = re.compile(r"[，,；;。！？?!：:]")
_QUOTED = re.compile(r"“([^“”]{2,60})”|《([^《》]{2,80})》|「([^「」]{2,60})」|\"([^\"]{2,60})\"|‘([^‘’]{2,60})’")
_DOCUMENT_NUMBER = re.compile(r"〔\d{4}〕\s*\d+\s*号")
_NUMERALS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
COUNTED_CHARS = 4  # characters after a question word and its measure naming what is counted (多少名创业导师)
FOCUS_WINDOW = 8  # characters before the question word whose words name the asked detail (团队规模要扩到多少人)
# Words that say only what kind of value is asked (钱, 数量, 时间) or how (大概, 一共), and bounds on the value
# (多少以内, 几年以上): they name no detail (控制在多少以内 asks for the figure of what is controlled, not of 以内).
BOUND_WORDS = frozenset("以内 之内 以上 以下 以来 左右 上下 不超过 不高于 不低于 不少于 不多于 不到 超过".split())
GENERIC_FOCUS = frozenset("""起止 为止 截止 一天 哪天 出台 发布 印发 实施 成立 时间 日期 钱 花 花了 人 数量 规模 多 大 多大 年 目标 要求 成 话
一起 达到 预期 大概 一共 总共 共 至少 最多 现在 目前 达 有 是""".split()) | BOUND_WORDS
TYPED_KINDS = frozenset({"number", "duration", "date", "list", "org"})


@dataclass(frozen=True)
class AskedDetail:
    kind: str  # number, duration, date, list, org, place, name, reason, explain
    unit_class: str = ""  # numbers: money, people, percent, count, area ... ("" = any number)
    measure: str = ""  # the unit or measure word written after the question word (家, 亿元, 个)
    items: int = 0  # lists: how many items the question asks for (哪三个 -> 3; 0 = unknown)

    @property
    def typed(self) -> bool:
        """A value of this kind can be recognised in a sentence (a number, a date, a list, an organisation)."""
        return self.kind in TYPED_KINDS


@dataclass(frozen=True)
class DetailQuestion:
    """The analysis of one question beyond its terms: the asked detail and its constraints."""

    detail: AskedDetail
    focus: tuple[str, ...]  # BM25 terms naming the asked detail (those of the question's terms near its question word)
    quoted: tuple[str, ...]  # “…” 《…》 terms, as written
    numbers: tuple[str, ...]  # digits of the question's own quantities (not years, not document numbers)
    years: tuple[str, ...] = field(default=())
    # What is counted: the head of the noun after the question word and its measure (多少名创业导师: 导师);
    # empty when the question names it before (有博士学位的有多少人) or only by kind (多少钱).
    counted: tuple[str, ...] = field(default=())

    @property
    def specific_focus(self) -> tuple[str, ...]:
        return tuple(t for t in self.focus if t not in GENERIC_FOCUS and not GENERIC_MONEY.fullmatch(t))


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def wh_clause(question: str) -> str:
    """The clause of the question holding its question word (the asked detail is named there)."""
    parts = [p for p in _CLAUSE.split(question) if p.strip()]
    for part in reversed(parts):
        if QUESTION_WORD.search(part):
            return part
    return parts[-1] if parts else question


def clause_start(text: str, at: int) -> int:
    """Where the clause of `text` holding offset `at` begins (line breaks do not end a clause: table rows wrap)."""
    return max((m.end() for m in _CLAUSE_END.finditer(text, 0, at)), default=0)


def clause_around(text: str, start: int, end: int) -> str:
    """The clause of `text` holding text[start:end]. Line breaks do not end a clause: table rows wrap."""
    right = _CLAUSE_END.search(text, end)
    return text[clause_start(text, start):right.start() if right else len(text)]


def focus_window(question: str) -> str:
    """The question word's clause from FOCUS_WINDOW characters before the question word (normalised): the words
    naming the asked detail stand there (团队规模要扩到多少人)."""
    clause = wh_clause(question)
    word = QUESTION_WORD.search(clause)
    return normalise(clause[max(0, word.start() - FOCUS_WINDOW):] if word else clause)


def asked_detail(question: str) -> AskedDetail:
    """The kind of detail asked, read from the clause of the question word first (这几类企业…要走什么程序 asks
    for a procedure, not a count)."""
    clause = wh_clause(question)
    detail = _detail_of(clause)
    if detail.kind != "explain" or _OPEN.search(clause):
        return detail
    return _detail_of(question)


def _detail_of(text: str) -> AskedDetail:
    text = _DEMONSTRATIVE.sub("", text)  # 这几类企业 points at something, it does not ask how many
    if duration := _DURATION.search(text):  # 几年 asks for years: 有效期 3年, not the 6个月 of the sentence after
        return AskedDetail("duration", measure=next((u for u in _DURATION_UNITS if u in duration.group(0)), ""))
    if _TIME.search(text):
        return AskedDetail("date")
    how_many = _HOW_MANY.search(text)
    if _LIST.search(text) and not (how_many and not re.search(r"哪些|哪几|分别", text)):
        size = _LIST_SIZE.search(text)
        return AskedDetail("list", items=_small_number(size.group(1)) if size else 0)
    if how_many:
        unit = how_many.group("unit") or ""
        cls = unit_class(unit)
        if cls in ("", "count"):
            cls = _class_from_cues(text, unit) or cls
        return AskedDetail("number", cls, unit)
    if _PERCENT_CUES.search(text) and re.search(r"多少|几", text):
        return AskedDetail("number", "percent")
    for pattern, kind in ((_ORG, "org"), (_PLACE, "place"), (_NAME, "name"), (_REASON, "reason")):
        if pattern.search(text):
            return AskedDetail(kind)
    return AskedDetail("explain")


def _class_from_cues(text: str, unit: str) -> str:
    if _PERCENT_CUES.search(text) and not unit:
        return "percent"
    if unit:  # a measure word was written: only the word itself can change a count (多少万家 stays a count)
        return ""
    for pattern, cls in ((MONEY_CUES, "money"), (_PEOPLE_CUES, "people"), (_AREA_CUES, "area"),
                         (_LENGTH_CUES, "length")):
        if pattern.search(text):
            return cls
    return ""


def _names_a_class(word: str) -> bool:
    """A word that only names the kind of value (资金, 人员, 比重, 面积, 里程)."""
    return any(p.fullmatch(word) or p.search(word) and len(word) <= 2
               for p in (MONEY_CUES, _PEOPLE_CUES, _AREA_CUES, _LENGTH_CUES, _PERCENT_CUES))


def _small_number(written: str) -> int:
    if written.isdigit():
        return int(written)
    if written in _NUMERALS:
        return _NUMERALS[written]
    if len(written) == 2 and written[0] == "十":
        return 10 + _NUMERALS.get(written[1], 0)
    return 0


def quoted_terms(question: str) -> tuple[str, ...]:
    return tuple(next(g for g in groups if g) for groups in _QUOTED.findall(question))


def analyse_detail(question: str, tokens: tuple[str, ...], entities: tuple[str, ...] = ()) -> DetailQuestion:
    """The question's detail, focus and constraints; `tokens` are its BM25 terms, `entities` its named things
    (their words are the subject, not the focus)."""
    detail = asked_detail(question)
    clause = wh_clause(question)
    word = QUESTION_WORD.search(clause)
    window = focus_window(question)
    named = [normalise(e) for e in entities]
    focus = tuple(dict.fromkeys(
        t for t in tokens if t in window and t != detail.measure and not QUESTION_WORD.fullmatch(t)
        and not (len(t) == 1 and t in MEASURE_WORDS) and not any(t in e for e in named)
        and not re.fullmatch(r"[\d一二两三四五六七八九十百千万]+\D?", t)))
    if not focus:  # "规模多大？" alone: the last words before it
        focus = tuple(t for t in dict.fromkeys(tokens) if not any(t in e for e in named))[-3:]
    counted: tuple[str, ...] = ()
    if word and detail.kind == "number":
        after = normalise(clause[word.end():])
        after = after[len(detail.measure):] if after.startswith(detail.measure) else after
        # the noun the measure word counts: its head, the last word when the clause ends with the noun (几个国家物联网
        # …示范基地 counts 基地, not the 物联网 of its modifiers), else its first words (几家企业做到…). Head only:
        # dev_unanswerable recall 0.861 -> 0.889, dev's unanswerables 0.762 -> 0.810, no answerable question changed
        first, last = after[:COUNTED_CHARS], after[-COUNTED_CHARS:]
        usable = [t for t in dict.fromkeys(tokens) if t in after and t not in GENERIC_FOCUS and not _names_a_class(t)
                  and not QUESTION_WORD.fullmatch(t) and not any(t in e for e in named)]
        head = tuple(t for t in usable if last.endswith(t))
        counted = head or tuple(t for t in usable if t in first)
    without_document_numbers = _DOCUMENT_NUMBER.sub("", question)
    numbers = tuple(dict.fromkeys(
        q.digits for q in find_quantities(without_document_numbers)
        if q.kind != "date" and q.digits and not re.search(r"[哪几多]\s*$", without_document_numbers[:q.start])))
    years = tuple(dict.fromkeys(m.group(1) for m in YEAR.finditer(without_document_numbers)))  # not 财关税〔2021〕5号
    return DetailQuestion(detail, focus, quoted_terms(question), numbers, years, counted)
