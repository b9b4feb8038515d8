"""Questions asking until when: 管到哪天为止, 到什么时候, 何时到期 ask for the end of a period, and a text states it as
the second date of a range (有效期为 2020年 7月 27日至 2030年 12月 31日).

The detail reader accepts a date only in a sentence that holds half the question's focus words; a question asking
until when names the period by a verb of its own (管到, 用到, 撑到) that the stating sentence need not share. For such
a question the second date of a range counts without the focus, and the first date of a range never answers it.
The phrasings below are the ordinary ways Chinese asks "until when" (general knowledge, not a question set's words).
"""
from __future__ import annotations

import re

ASKS_UNTIL = re.compile(r"(?:到|至)\s*(?:哪一?天|哪一?年|哪个月|什么时候|什么时间|何时|几月几[日号])|为止|截止|"
                        r"(?:何时|什么时候|哪一?天|哪一?年)\s*(?:到期|截止|失效|结束|终止|期满)|有效期(?:到|至)")
_DATE_END = r"(?:(?:19|20)\d{2}\s*年|\d{1,2}\s*月|\d{1,2}\s*日|\d{1,2}\s*号)"
_CONNECTOR = r"\s*起?\s*(?:至|到|—+|–|-|~|～|－)\s*"
_AFTER_RANGE_START = re.compile(_DATE_END + _CONNECTOR + "$")  # 2020年 7月 27日至 | what precedes a range's end
_BEFORE_RANGE_END = re.compile(_CONNECTOR + r"(?:19|20)?\d")  # what follows a range's start
LOOK_BEHIND = 16  # characters before a date where the range's first date and its connector end


def asks_until(question: str) -> bool:
    """The question asks until when something holds."""
    return bool(ASKS_UNTIL.search(question))


def ends_range(text: str, start: int) -> bool:
    """The date at text[start:] is the second date of a range (…27日至 2030年…)."""
    return bool(_AFTER_RANGE_START.search(text[max(0, start - LOOK_BEHIND):start]))


def starts_range(text: str, end: int) -> bool:
    """The date ending at text[end] is the first date of a range (2020年 7月 27日至 …)."""
    return bool(_BEFORE_RANGE_END.match(text, end))


def date_answers(focus_held: bool, question: str, text: str, start: int, end: int, until: bool = True) -> bool:
    """Whether the date text[start:end] answers: the sentence holds the question's focus (`focus_held`), or, for a
    question asking until when (`until`: QA_END_DATES), the date ends a range; a range's first date never does."""
    if not (until and asks_until(question)):
        return focus_held
    if ends_range(text, start):
        return True
    return focus_held and not starts_range(text, end)
