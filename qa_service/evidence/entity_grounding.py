"""Is every named thing the question asks about mentioned in the retrieved passages?

A question about 苏州工业园区, 长三角G60 or the “借转补” scheme cannot be answered from passages that never
name them, however well the other words of the question match. Named things are:
- what the user put in quotes or title marks (“借转补”, 《…办法》), each enumerated part separately
  (“一个中心、三个环节” is written with explanations between its parts);
- places (ns), organisations (nt) and Latin-script terms (eng: GDP, G60, IPv6) by jieba's part-of-speech
  tags. Person and other proper-noun tags (nr, nz) are left out: on dev they mostly tagged ordinary words
  cut wrongly (哪/段时间 as a name), and counting them made the service refuse answerable questions.
Matching ignores whitespace and punctuation, as the evaluation does.
"""
from __future__ import annotations

import re
import threading
import unicodedata

import jieba
import jieba.posseg as pseg

from qa_service.types import Passage

ENTITY_TAGS = frozenset({"ns", "nt", "eng"})
_QUOTED = re.compile(r"“([^“”]{2,60})”|《([^《》]{2,80})》|「([^「」]{2,60})」|\"([^\"]{2,60})\"")
_ENUMERATION = re.compile(r"[、，,；;]")
_init_lock = threading.Lock()


def _compact(text: str) -> str:
    """NFKC, lower case, no whitespace or punctuation (the evaluation's normalisation)."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(c for c in text if not c.isspace() and not unicodedata.category(c).startswith("P"))


class EntityGrounding:
    def __init__(self, min_chars: int = 2) -> None:
        self._min_chars = min_chars
        with _init_lock:
            jieba.initialize()

    def entities(self, question: str) -> list[str]:
        found: list[str] = []
        for groups in _QUOTED.findall(question):
            quoted = next(g for g in groups if g)
            found.extend(part.strip() for part in _ENUMERATION.split(quoted))
        for word, tag in pseg.cut(unicodedata.normalize("NFKC", question)):
            if tag in ENTITY_TAGS:
                found.append(word.strip())
        unique: list[str] = []
        for word in found:
            if len(_compact(word)) >= self._min_chars and word not in unique:
                unique.append(word)
        return unique

    def ungrounded(self, question: str, passages: list[Passage]) -> list[str]:
        """The question's entities that none of the passages (text, title or headings) mention."""
        context = _compact("".join(p.chunk.title + p.chunk.section + p.chunk.text for p in passages))
        return [word for word in self.entities(question) if _compact(word) not in context]
