"""Extractive answers: the sentence of the top passages that best covers the question, cited.

Each candidate sentence is scored by the share of the question's information (IDF-weighted query
tokens) it contains, plus a small prior for the passage's retrieval rank. The best sentence is the
answer; when even the best covers too little of the question, the service abstains rather than
quote something unrelated.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Callable

from embeddings.lexical.chinese_tokenizer import tokenize
from qa_service.answerers.base import NOT_FOUND_ANSWER, Answerer
from qa_service.answerers.sentence_splitter import Sentence, split_sentences
from qa_service.types import Answer, Citation, Passage


@dataclass(frozen=True)
class _Candidate:
    passage_index: int
    sentence: Sentence
    coverage: float
    score: float


class ExtractiveAnswerer(Answerer):
    name = "extractive"

    def __init__(self, idf: Callable[[str], float], min_coverage: float = 0.5, rank_prior: float = 0.05,
                 max_passages: int = 5, min_answer_chars: int = 12) -> None:
        self._idf = idf
        self._min_coverage = min_coverage
        self._rank_prior = rank_prior
        self._max_passages = max_passages
        self._min_answer_chars = min_answer_chars

    def answer(self, question: str, passages: list[Passage]) -> Answer:
        terms = {t: self._idf(t) for t in tokenize(question)}
        total = sum(terms.values())
        if not passages or total <= 0:
            return Answer(NOT_FOUND_ANSWER, False, [], 0.0, self.name)
        best = self._best_sentence(terms, total, passages[: self._max_passages])
        if best is None or best.coverage < self._min_coverage:
            return Answer(NOT_FOUND_ANSWER, False, [], 0.0 if best is None else best.coverage, self.name)
        passage = passages[best.passage_index]
        quote = self._extend_short(best.sentence, passage.chunk.text)
        citation = Citation(ref=1, passage=passage, quote=quote)
        return Answer(f"{quote}[1]", True, [citation], best.coverage, self.name)

    def _best_sentence(self, terms: dict[str, float], total: float, passages: list[Passage]) -> _Candidate | None:
        best: _Candidate | None = None
        for index, passage in enumerate(passages):
            prior = self._rank_prior * (len(passages) - index) / len(passages)
            context = _normalise(passage.chunk.title + passage.chunk.section)
            for sentence in split_sentences(passage.chunk.text):
                text = _normalise(sentence.text)
                # A term found in the passage's title or heading path counts half: it places the
                # sentence in the right document without stating the fact itself.
                covered = sum(w if t in text else 0.5 * w if t in context else 0.0 for t, w in terms.items())
                coverage = covered / total
                candidate = _Candidate(index, sentence, coverage, coverage + prior)
                if best is None or candidate.score > best.score:
                    best = candidate
        return best

    def _extend_short(self, sentence: Sentence, passage_text: str) -> str:
        """A very short sentence (a heading, a fragment) is extended with the text that follows it."""
        if len(sentence.text) >= self._min_answer_chars:
            return sentence.text
        following = split_sentences(passage_text[sentence.start + len(sentence.text):])
        return (sentence.text + following[0].text) if following else sentence.text


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()
