"""How well a sentence of a passage answers a question: shared by the reranker and the answerer.

A quote is a sentence plus the sentence after it (policy prose often names the subject in one clause and
gives the figure or measure in the next). Its score is the IDF-weighted share of the question's terms in the
sentence (terms found only in the passage's title or heading path count half: they place the passage in the
right document without stating the fact) plus a bonus when the quote holds the kind of content the question
asks for (a number, a date, an organisation, an enumeration).

What does not depend on the question (the sentence split, the normalised sentences, title and headings,
which kinds of content each quote holds) is prepared once per passage and kept in a bounded cache, so a
query only runs the term look-ups: reranking 20 candidates fell from about 3 to about 0.6 ms of CPU time
(docs/performance.md).
"""
from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass, field
from typing import Callable

from documents.models import Chunk
from embeddings.lexical.chinese_tokenizer import DEFAULT_TOKENIZER
from embeddings.lexical.last_call import LastCallPerThread
from qa_service.answerers.question_types import AskedKinds, HeldKinds
from qa_service.answerers.sentence_splitter import split_sentences
from qa_service.types import Passage

PREPARED_PASSAGES = 16384  # passages whose preparation is kept (a few KB each); the bundled corpus has ~5,400


@dataclass(frozen=True)
class QueryTerms:
    question: str
    weights: dict[str, float]  # term -> IDF
    total: float
    asked: AskedKinds | None = field(default=None, compare=False)  # filled in by SentenceEvidenceScorer.terms

    def asked_kinds(self) -> AskedKinds:
        return self.asked if self.asked is not None else AskedKinds.of(self.question)


@dataclass(frozen=True)
class Quote:
    start: int  # span in the passage text
    end: int
    score: float


@dataclass(frozen=True)
class _QuoteCandidate:
    start: int
    end: int
    sentence: str  # the first sentence, normalised: what term coverage is measured on
    held: HeldKinds  # kinds of content of the whole quote


@dataclass(frozen=True)
class _PreparedPassage:
    context: str  # title + heading path, normalised
    whole: str  # title, headings and text, normalised (support)
    candidates: tuple[_QuoteCandidate, ...]


class SentenceEvidenceScorer:
    def __init__(self, idf: Callable[[str], float], answer_type_weight: float = 0.25,
                 tokenize: Callable[[str], list[str]] = DEFAULT_TOKENIZER,
                 prepared_passages: int = PREPARED_PASSAGES) -> None:
        self._idf = idf
        self._tokenize = tokenize
        self._answer_type_weight = answer_type_weight
        self._prepared = functools.lru_cache(maxsize=prepared_passages)(_prepare)
        self._terms = LastCallPerThread(self._weigh)  # the reranker and the answerer ask for the same question

    def terms(self, question: str) -> QueryTerms:
        return self._terms(question)

    def _weigh(self, question: str) -> QueryTerms:
        weights = {t: self._idf(t) for t in self._tokenize(question)}
        return QueryTerms(question, weights, sum(weights.values()), AskedKinds.of(question))

    @staticmethod
    def coverage(terms: QueryTerms, text: str, context: str = "") -> float:
        return _covered(terms, _normalise(text), _normalise(context))

    def support(self, terms: QueryTerms, passage: Passage) -> float:
        """Share of the question's information present anywhere in the passage, title and headings included."""
        return _covered(terms, self._prepared(passage.chunk).whole, "")

    def best_quote(self, terms: QueryTerms, passage: Passage) -> Quote | None:
        prepared = self._prepared(passage.chunk)
        asked = terms.asked_kinds()
        best: Quote | None = None
        for candidate in prepared.candidates:
            score = (_covered(terms, candidate.sentence, prepared.context)
                     + self._answer_type_weight * asked.match(candidate.held))
            if best is None or score > best.score:
                best = Quote(candidate.start, candidate.end, score)
        return best


def _covered(terms: QueryTerms, text: str, context: str) -> float:
    """IDF-weighted share of the terms in `text`, half weight for those only in `context` (both normalised)."""
    if terms.total <= 0:
        return 0.0
    covered = sum(w if t in text else 0.5 * w if t in context else 0.0 for t, w in terms.weights.items())
    return covered / terms.total


def _prepare(chunk: Chunk) -> _PreparedPassage:
    text = chunk.text
    sentences = split_sentences(text)
    candidates = []
    for i, sentence in enumerate(sentences):
        last = sentences[i + 1] if i + 1 < len(sentences) else sentence
        end = last.start + len(last.text)
        candidates.append(_QuoteCandidate(sentence.start, end, _normalise(sentence.text),
                                          HeldKinds.of(text[sentence.start:end])))
    return _PreparedPassage(_normalise(chunk.title + chunk.section),
                            _normalise(f"{chunk.title}\n{chunk.section}\n{text}"), tuple(candidates))


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()
