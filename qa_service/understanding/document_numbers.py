"""A question naming a document by its number (财关税〔2021〕5号) is about the passages of that document.

Such a question describes the document (支持芯片和软件产业的进口税收政策管理办法) and asks one detail of it; the
sentence stating the detail says only 本办法, and the description stands in the passage's title or headings. Words
found only there count half toward coverage (term_matching.CONTEXT_CREDIT: a title places a passage without
stating the fact). When the title or headings hold the very number the question names, they name the question's
subject itself, and its words there count as stated (NAMED_TITLE_CREDIT).
"""
from __future__ import annotations

import re

from qa_service.understanding.entity_grounding import _compact

NAMED_TITLE_CREDIT = 1.0
# An issuer's code (1-4 Han characters: 国发, 财关税, 工信部联), the year in brackets of any usual kind, the number, 号.
DOCUMENT_NUMBER = re.compile(r"([\u4e00-\u9fff]{1,4})\s*[〔\[［【（(]\s*((?:19|20)\d{2})\s*[〕\]］】）)]\s*(\d{1,4})\s*号")


def document_numbers(text: str) -> tuple[str, ...]:
    """The document numbers in `text`, compact (财关税20215号): the last two characters of the issuer's code, the
    year and the number (a question may write the code after other words: 这份财关税〔2021〕5号)."""
    return tuple(dict.fromkeys(_compact(m.group(1)[-2:]) + m.group(2) + m.group(3) + "号"
                               for m in DOCUMENT_NUMBER.finditer(text)))


def context_credit(question: str, context: str, default: float, enabled: bool = True) -> float:
    """What a question's word found only in a passage's title or headings (`context`) is worth: NAMED_TITLE_CREDIT
    when they hold a document number the question names (and `enabled`: QA_NUMBERED_TITLES), else `default`."""
    if not enabled:
        return default
    asked = document_numbers(question)
    return NAMED_TITLE_CREDIT if asked and set(asked) & set(document_numbers(context)) else default
