"""Is every named thing the question asks about mentioned in the retrieved passages?

A question about 苏州工业园区, 长三角G60 or the “借转补” scheme cannot be answered from passages that never
name them, however well the other words of the question match. Named things are:
- what the user put in quotes or title marks (“借转补”, 《…办法》), each enumerated part separately
  (“一个中心、三个环节” is written with explanations between its parts);
- places (ns), organisations (nt) and Latin-script terms (eng: GDP, G60, IPv6) by jieba's part-of-speech
  tags. Person and other proper-noun tags (nr, nz) are left out: on dev they mostly tagged ordinary words
  cut wrongly (哪/段时间 as a name), and counting them made the service refuse answerable questions.
Matching ignores whitespace and punctuation, as the evaluation does. An entity common in the corpus
(中国, 5G: in 5% or more of the passages) is exempt: missing from five passages, it says nothing.
"""
from __future__ import annotations

import functools
import re
import threading
import unicodedata

import jieba
import jieba.posseg as pseg

from typing import Iterable

from documents.models import Chunk
from qa_service.types import Passage

ENTITY_TAGS = frozenset({"ns", "nt", "eng"})
_QUOTED = re.compile(r"“([^“”]{2,60})”|《([^《》]{2,80})》|「([^「」]{2,60})」|\"([^\"]{2,60})\"")
_ENUMERATION = re.compile(r"[、，,；;]")
_init_lock = threading.Lock()


class _SpaceAndPunctuationRemover(dict):
    """A str.translate table deleting whitespace and punctuation, filled in per character on first sight
    (the whole of Unicode up front would cost a second of start-up)."""

    def __missing__(self, code: int) -> int | None:
        c = chr(code)
        kept = None if c.isspace() or unicodedata.category(c).startswith("P") else code
        self[code] = kept
        return kept


_REMOVE_SPACE_AND_PUNCTUATION = _SpaceAndPunctuationRemover()


def _compact(text: str) -> str:
    """NFKC, lower case, no whitespace or punctuation (the evaluation's normalisation)."""
    return unicodedata.normalize("NFKC", text).lower().translate(_REMOVE_SPACE_AND_PUNCTUATION)


def _compact_chunk(chunk: Chunk) -> str:
    """Title, headings and text of a passage, compacted. The passages' compact forms are joined as they are:
    the same as compacting the joined passages (lower-casing and NFKC change nothing across a passage
    boundary unless a passage ends in a capital sigma or the next begins with a combining mark)."""
    return _compact(chunk.title + chunk.section + chunk.text)


class EntityGrounding:
    def __init__(self, corpus_texts: Iterable[str] = (), min_chars: int = 2, generic_share: float = 0.05) -> None:
        texts = [_compact(t) for t in corpus_texts]
        self._corpus = "\x00".join(texts)
        self._generic_count = generic_share * len(texts) if texts else float("inf")
        self._min_chars = min_chars
        # A scan of the corpus costs about 2 ms; the entities users ask about are few, so remember them.
        self.is_generic = functools.lru_cache(maxsize=8192)(self._is_generic)
        # The compact form of a passage does not depend on the question: made once per passage.
        self._compact_passage = functools.lru_cache(maxsize=16384)(_compact_chunk)
        with _init_lock:
            jieba.initialize()

    def _is_generic(self, word: str) -> bool:
        """Occurs in about generic_share of the passages or more (occurrences counted, a slight overcount)."""
        return self._corpus.count(_compact(word)) >= self._generic_count

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
        context = "".join(self._compact_passage(p.chunk) for p in passages)
        return [word for word in self.entities(question)
                if _compact(word) not in context and not self.is_generic(word)]
