"""The narrow reader interface: which sentence of the passages answers the question, or why none does."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from qa_service.types import Passage, Quote
from qa_service.understanding.query import Query

# What a reading concluded.
ANSWERED = "answered"  # a sentence states the asked detail
NOT_STATED = "not_stated"  # the passages discuss the subject, but no sentence states the asked detail
CONTRADICTED = "contradicted"  # the passages state otherwise than the question takes for granted
NOT_MENTIONED = "not_mentioned"  # the question names something the documents never mention
NOT_FOUND = "not_found"  # nothing relevant enough


@dataclass(frozen=True)
class Reading:
    verdict: str
    passage: Passage | None = None  # the passage of the sentence read (the answer's, or what was found)
    quote: Quote | None = None  # the sentence(s) in the passage text
    value: tuple[int, int] | None = None  # span of the asked value in the passage text (a number, a date, a list)
    short: str = ""  # the clause stating the value, when it is the quote's only one of the asked kind
    coverage: float = 0.0  # how much of the question the sentence says (0-1)
    missing: tuple[str, ...] = field(default=())  # NOT_MENTIONED: the terms the documents never mention
    asked: str = ""  # CONTRADICTED: the question's term; NOT_STATED: the asked detail, in the question's words
    stated: str = ""  # CONTRADICTED: what the passage says instead

    @property
    def answered(self) -> bool:
        return self.verdict == ANSWERED

    @property
    def quote_text(self) -> str:
        if self.passage is None or self.quote is None:
            return ""
        return self.passage.chunk.text[self.quote.start:self.quote.end]


class Reader(ABC):
    name: str

    @abstractmethod
    def read(self, query: Query, passages: list[Passage]) -> Reading:
        """The sentence of the passages (best first) that answers the query, or the reason none does."""
