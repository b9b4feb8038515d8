"""Extractive answers: what the reader found, in the documents' own words, cited.

The reader (qa_service/readers/) decides whether the passages answer and which sentence does; this answerer
writes the reply from its reading:
- answered: the short answer when the reader found the asked value (the clause stating it: 专职研发人员近 5000
  名), else the quote (a sentence and the next), with [1]; the citation holds the whole quote and the passage;
- the detail is not stated: "文档提到了…，但没有说明…", citing what was found (answerable false);
- the question's premise is contradicted: the documents' words in its place, cited (answerable false);
- a named thing the documents never mention, or nothing relevant: the not-found answer.
"""
from __future__ import annotations

from qa_service.answerers.answer_confidence import AnswerConfidence
from qa_service.answerers.base import NOT_FOUND_ANSWER, Answerer
from qa_service.readers.base import ANSWERED, CONTRADICTED, NOT_MENTIONED, NOT_STATED, Reader, Reading
from qa_service.readers.short_answer import SCOPES, short_answer
from qa_service.types import Answer, Citation, Deadline, Passage
from qa_service.understanding.query import Query

SNIPPET_CHARS = 60  # of what was found, when the asked detail is not stated


class ExtractiveAnswerer(Answerer):
    name = "extractive"

    def __init__(self, reader: Reader, short_answers: bool = True,
                 confidence: AnswerConfidence = AnswerConfidence(), short_scope: str = "lists") -> None:
        if short_scope not in SCOPES:
            raise ValueError(f"short answer scope {short_scope!r} is not one of {', '.join(SCOPES)}")
        self.reader = reader
        self._short_answers = short_answers
        self._confidence = confidence
        self._short_scope = short_scope

    def answer(self, query: Query, passages: list[Passage], deadline: Deadline | None = None) -> Answer:
        reading = self.reader.read(query, passages)
        return self.compose(reading, self._confidence.of(reading, passages), query)

    def compose(self, reading: Reading, confidence: float, query: Query | None = None) -> Answer:
        """The reply to a reading; `confidence` is that of an answered one (answer_confidence.py); `query` the
        question read (its terms and asked detail choose the short answer; without it the answer is the quote)."""
        quote = reading.quote_text
        citations = [Citation(ref=1, passage=reading.passage, quote=quote)] if reading.passage is not None else []
        if reading.verdict == ANSWERED:
            short = self._short(reading, query) if self._short_answers and query is not None else ""
            return Answer(f"{short or ' '.join(quote.split())}[1]", True, citations, confidence, self.name)
        if reading.verdict == NOT_MENTIONED:
            return Answer(not_mentioned_answer(list(reading.missing)), False, [], 0.0, self.name)
        if reading.verdict == NOT_STATED:
            return Answer(f"文档提到了“{_snippet(quote)}”[1]，但没有说明{reading.asked}。", False, citations,
                          reading.coverage, self.name)
        if reading.verdict == CONTRADICTED:
            return Answer(f"文档中的说法与问题不同：问题说“{reading.asked}”，文档此处为“{reading.stated}”。原文："
                          f"{' '.join(quote.split())}[1]", False, citations, reading.coverage, self.name)
        return Answer(NOT_FOUND_ANSWER, False, [], reading.coverage, self.name)


    def _short(self, reading: Reading, query: Query) -> str:
        """The short answer inside the quote ("" when there is none to give)."""
        if reading.quote is None:
            return ""
        offset = reading.quote.start
        value = (reading.value[0] - offset, reading.value[1] - offset) if reading.value else None
        asked = query.detail.detail
        # reading.short is set only when the value is the quote's only one of the asked kind
        return short_answer(reading.quote_text, asked.kind, query.terms.weights, value, bool(reading.short),
                            asked.items, self._short_scope, query.text, query.detail.focus)


def _snippet(quote: str) -> str:
    flat = " ".join(quote.split())
    first = flat.split("。")[0]
    return first if len(first) <= SNIPPET_CHARS else first[:SNIPPET_CHARS] + "……"


def not_mentioned_answer(missing: list[str]) -> str:
    return NOT_FOUND_ANSWER.rstrip("。") + f"（文档中未提及：{'、'.join(missing)}）。"
