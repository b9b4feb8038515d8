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

The work per question is bounded, whatever the text (see tagged_words and MAX_ENTITIES): jieba's
part-of-speech HMM costs about 15 ms for each character its model does not know (a 2,000-character
question of rare Han characters took 34 s), and each entity missing from the passages costs a scan of
the corpus.
"""
from __future__ import annotations

import functools
import logging
import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Iterator

import jieba

from documents.models import Chunk
from qa_service.types import Passage

if TYPE_CHECKING:
    from qa_service.understanding.query import Query

log = logging.getLogger(__name__)

ENTITY_TAGS = frozenset({"ns", "nt", "eng"})
_QUOTED = re.compile(r"“([^“”]{2,60})”|《([^《》]{2,80})》|「([^「」]{2,60})」|\"([^\"]{2,60})\"")
QUOTED_PART_SEPARATORS = re.compile(r"[、，,；;]")  # between the enumerated parts of a quoted term
_init_lock = threading.Lock()

# Entities checked per question. Each one missing from the passages costs a scan of the corpus (about
# 2 ms for the bundled one); dev questions name at most a few, so 32 changes no answer there and bounds
# a question listing hundreds of quoted terms to ~32 scans.
MAX_ENTITIES = 32
MEMO_WORD_CHARS = 64  # longer entities are scanned each time rather than remembered
# What jieba's HMM may see per question. Its Viterbi search tries every one of its ~256 states against every
# previous one for a character its model does not know (~15-50 ms each here) and a few for a known one
# (~0.2 ms). No question of the dev sets holds a character unknown to it; past these budgets a block is
# cut with the dictionary alone (its places and organisations are still tagged, new words are not).
HMM_UNKNOWN_CHARS = 4
HMM_CHARS = 512
_HAN = re.compile("[\u4E00-\u9FD5]")  # the characters posseg sends to its HMM


@functools.cache
def _posseg():
    """jieba's part-of-speech tagger, imported on first use: its HMM tables take 0.7-1 s to load, which a `qa`
    command that tags nothing (`qa docs list`, `qa --help`) should not pay. A process that answers loads it when
    its index is loaded (EntityGrounding), before the first question."""
    import jieba.posseg

    return jieba.posseg


class _SpaceAndPunctuationRemover(dict):
    """A str.translate table deleting whitespace and punctuation, filled in per character on first sight
    (the whole of Unicode up front would cost a second of start-up). It keeps at most MEMO_LIMIT
    characters (the bundled corpus uses about 5,000 distinct ones); beyond that a character is looked up
    each time instead of remembered, so text of many distinct characters cannot grow it."""

    MEMO_LIMIT = 20_000

    def __missing__(self, code: int) -> int | None:
        c = chr(code)
        kept = None if c.isspace() or unicodedata.category(c).startswith("P") else code
        if len(self) < self.MEMO_LIMIT:
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


@dataclass
class TaggingBudget:
    """What is left of one text's HMM allowance (see HMM_UNKNOWN_CHARS, HMM_CHARS)."""

    unknown_chars: int = HMM_UNKNOWN_CHARS
    chars: int = HMM_CHARS

    def take(self, block: str) -> bool:
        """Whether the HMM may cut this block; if so its cost is taken from the budget."""
        known = _posseg().char_state_tab_P
        unknown = sum(1 for c in _HAN.findall(block) if c not in known)
        if unknown > self.unknown_chars or len(block) > self.chars:
            return False
        self.unknown_chars -= unknown
        self.chars -= len(block)
        return True


def tagged_words(text: str, budget: TaggingBudget) -> Iterator[tuple[str, str]]:
    """(word, part-of-speech tag) of jieba's posseg over `text`, with the HMM's work bounded.

    posseg cuts each run of Han, Latin letters, digits and +#&._ on its own (whatever lies between runs
    is tagged "x" character by character), so cutting run by run gives exactly what one cut of the
    whole text gives; a run is cut with the HMM while the budget allows, else with the dictionary only.
    """
    posseg = _posseg()
    for block in posseg.re_han_internal.findall(text):
        for pair in posseg.cut(block, HMM=budget.take(block)):
            yield pair.word, pair.flag


_previous_corpus: dict[str, str] = {}  # the last corpus's texts -> compact forms (a new version is mostly the same)
_previous_lock = threading.Lock()


def _compact_all(corpus_texts: Iterable[str]) -> list[str]:
    """Compact forms of the passages; those of the corpus compacted last are taken from it, so loading the
    version an upload wrote compacts the upload's passages, not all of them again (about 1 s on 5,400)."""
    global _previous_corpus
    texts = list(corpus_texts)
    with _previous_lock:
        previous = _previous_corpus
        compact = [previous.get(t) or _compact(t) for t in texts]
        _previous_corpus = dict(zip(texts, compact))
    return compact


class EntityGrounding:
    def __init__(self, corpus_texts: Iterable[str] = (), min_chars: int = 2, generic_share: float = 0.05) -> None:
        texts = _compact_all(corpus_texts)
        self._corpus = "\x00".join(texts)
        self._generic_count = generic_share * len(texts) if texts else float("inf")
        self._min_chars = min_chars
        # A scan of the corpus costs about 2 ms; the entities users ask about are few, so remember them
        # (8,192 of them, each at most MEMO_WORD_CHARS long: a 2,000-letter Latin "word" is not kept).
        self._generic_memo = functools.lru_cache(maxsize=8192)(self._is_generic)
        # The compact form of a passage does not depend on the question: made once per passage.
        self._compact_passage = functools.lru_cache(maxsize=16384)(_compact_chunk)
        with _init_lock:
            jieba.initialize()
            _posseg()  # here, with the dictionary: not at the first question

    @property
    def corpus(self) -> str:
        """Every passage's title, headings and text, compacted and joined (for premises.py)."""
        return self._corpus

    def is_generic(self, word: str) -> bool:
        return self._generic_memo(word) if len(word) <= MEMO_WORD_CHARS else self._is_generic(word)

    def _is_generic(self, word: str) -> bool:
        """Occurs in about generic_share of the passages or more (occurrences counted, a slight overcount)."""
        return self._corpus.count(_compact(word)) >= self._generic_count

    def entities(self, text: str, budget: TaggingBudget | None = None) -> list[str]:
        """named_entities of the text, at least min_chars long."""
        return named_entities(text, budget, self._min_chars)

    def ungrounded(self, query: Query, passages: list[Passage]) -> list[str]:
        """The question's entities (Query.entities) that none of the passages (text, title or headings) mention."""
        context = "".join(self._compact_passage(p.chunk) for p in passages)
        return [word for word in query.entities if _compact(word) not in context and not self.is_generic(word)]


def named_entities(text: str, budget: TaggingBudget | None = None, min_chars: int = 2) -> list[str]:
    """Quoted terms, then places, organisations and Latin-script terms, in order, each once (at most
    MAX_ENTITIES of them: tagging stops there). Texts analysed as parts of one (the sentences of an
    answer) share one budget."""
    unique: dict[str, None] = {}
    for word in _candidates(text, budget or TaggingBudget()):
        if word not in unique and len(_compact(word)) >= min_chars:
            unique[word] = None
            if len(unique) == MAX_ENTITIES:
                log.info("only the first %d named entities of a %d-character text are checked",
                         MAX_ENTITIES, len(text))
                break
    return list(unique)


def _candidates(text: str, budget: TaggingBudget) -> Iterator[str]:
    for groups in _QUOTED.findall(text):
        quoted = next(g for g in groups if g)
        yield from (part.strip() for part in QUOTED_PART_SEPARATORS.split(quoted))
    for word, tag in tagged_words(unicodedata.normalize("NFKC", text), budget):
        if tag in ENTITY_TAGS:
            yield word.strip()
