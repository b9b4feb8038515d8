"""How well a sentence of a passage answers a question: shared by the reranker and the answerer.

A quote is a sentence plus the sentence after it (policy prose often names the subject in one clause and
gives the figure or measure in the next). Its score is the IDF-weighted share of the question's terms in the
sentence (terms found only in the passage's title or heading path count half: they place the passage in the
right document without stating the fact) plus a bonus when the quote holds the kind of content the question
asks for (a number, a date, an organisation, an enumeration).
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Callable

from embeddings.lexical.chinese_tokenizer import DEFAULT_TOKENIZER
from qa_service.answerers.question_types import answer_type_match
from qa_service.answerers.sentence_splitter import split_sentences
from qa_service.types import Passage


@dataclass(frozen=True)
class QueryTerms:
    question: str
    weights: dict[str, float]  # term -> IDF
    total: float


@dataclass(frozen=True)
class Quote:
    start: int  # span in the passage text
    end: int
    score: float


class SentenceEvidenceScorer:
    def __init__(self, idf: Callable[[str], float], answer_type_weight: float = 0.25,
                 tokenize: Callable[[str], list[str]] = DEFAULT_TOKENIZER) -> None:
        self._idf = idf
        self._tokenize = tokenize
        self._answer_type_weight = answer_type_weight

    def terms(self, question: str) -> QueryTerms:
        weights = {t: self._idf(t) for t in self._tokenize(question)}
        return QueryTerms(question, weights, sum(weights.values()))

    @staticmethod
    def coverage(terms: QueryTerms, text: str, context: str = "") -> float:
        if terms.total <= 0:
            return 0.0
        text, context = _normalise(text), _normalise(context)
        covered = sum(w if t in text else 0.5 * w if t in context else 0.0 for t, w in terms.weights.items())
        return covered / terms.total

    def support(self, terms: QueryTerms, passage: Passage) -> float:
        """Share of the question's information present anywhere in the passage, title and headings included."""
        c = passage.chunk
        return self.coverage(terms, f"{c.title}\n{c.section}\n{c.text}")

    def best_quote(self, terms: QueryTerms, passage: Passage) -> Quote | None:
        text = passage.chunk.text
        context = passage.chunk.title + passage.chunk.section
        sentences = split_sentences(text)
        best: Quote | None = None
        for i, sentence in enumerate(sentences):
            last = sentences[i + 1] if i + 1 < len(sentences) else sentence
            end = last.start + len(last.text)
            score = (self.coverage(terms, sentence.text, context)
                     + self._answer_type_weight * answer_type_match(terms.question, text[sentence.start:end]))
            if best is None or score > best.score:
                best = Quote(sentence.start, end, score)
        return best


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()
