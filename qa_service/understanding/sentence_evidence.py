"""How well a sentence of a passage answers a question: shared by the reranker and the answerer.

A quote is a sentence plus the sentence after it (policy prose often names the subject in one clause and
gives the figure or measure in the next). Its score is the IDF-weighted share of the question's terms in the
sentence (terms found only in the passage's title or heading path count half: they place the passage in the
right document without stating the fact; repeated in the sentence, three quarters) plus a bonus when the quote holds the kind of content the question
asks for (a number, a date, an organisation, an enumeration). The question's weighted terms and asked kinds
come analysed in its Query (query.py).

What does not depend on the question (the sentence split, the normalised sentences, title and headings,
which kinds of content each quote holds) is prepared once per passage and kept in a bounded cache, so a
query only runs the term look-ups: reranking 20 candidates fell from about 3 to about 0.6 ms of CPU time
(docs/performance.md).
"""
from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

from documents.models import Chunk
from qa_service.types import Passage, Quote
from qa_service.understanding.query import Query
from qa_service.understanding.question_types import HeldKinds
from qa_service.understanding.sentence_splitter import split_sentences

PREPARED_PASSAGES = 16384  # passages whose preparation is kept (a few KB each); the bundled corpus has ~5,400
CONTEXT_CREDIT = 0.5  # a question term found only in the passage's title or headings: it places, it does not state
# A term in the title or headings that the sentence repeats names the document more than it states the fact: the
# document's opening passage, which repeats every word of its title, won over the passage that answers. Counting
# such terms 0.75 instead of 1 (three dev files, docs/evaluation.md): dev contains 0.825 -> 0.857, dev hit@1
# 0.921 -> 0.937, paraphrase citation hit 0.729 -> 0.750, unanswerable recall 0.789 -> 0.807; 0.6 and 0.85 gave
# about the same, 0.5 lost two paraphrases at rank 1.
CONTEXT_REPEAT_CREDIT = 0.75


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
    def __init__(self, answer_type_weight: float = 0.25, prepared_passages: int = PREPARED_PASSAGES) -> None:
        self._answer_type_weight = answer_type_weight
        self._prepared = functools.lru_cache(maxsize=prepared_passages)(_prepare)

    @staticmethod
    def coverage(query: Query, text: str, context: str = "") -> float:
        return _covered(query, _normalise(text), _normalise(context))

    def support(self, query: Query, passage: Passage) -> float:
        """Share of the question's information present anywhere in the passage, title and headings included."""
        return _covered(query, self._prepared(passage.chunk).whole, "")

    def quote_scores(self, query: Query, passage: Passage) -> list[float]:
        """The score of each of the passage's quotes (a sentence and the next), in text order."""
        prepared = self._prepared(passage.chunk)
        asked = query.asked
        return [_covered(query, candidate.sentence, prepared.context)
                + self._answer_type_weight * asked.match(candidate.held) for candidate in prepared.candidates]

    def best_quote(self, query: Query, passage: Passage, bonuses: list[float] | None = None,
                   scores: list[float] | None = None) -> Quote | None:
        """The passage's best quote; `bonuses`: what each quote is worth beyond its score (a reader's checks);
        `scores`: quote_scores(query, passage) when the caller has them already."""
        prepared = self._prepared(passage.chunk)
        scores = self.quote_scores(query, passage) if scores is None else scores
        if bonuses is not None:
            scores = [s + b for s, b in zip(scores, bonuses)]
        best: Quote | None = None
        for candidate, score in zip(prepared.candidates, scores):
            if best is None or score > best.score:
                best = Quote(candidate.start, candidate.end, score)
        return best

    def quote(self, query: Query, passage: Passage) -> Quote | None:
        """The passage's best quote: the one the reranker found (Passage.evidence), else computed now."""
        return passage.evidence.quote if passage.evidence is not None else self.best_quote(query, passage)


def _covered(query: Query, text: str, context: str) -> float:
    """IDF-weighted share of the terms in `text` (both normalised): CONTEXT_CREDIT for those only in `context`,
    CONTEXT_REPEAT_CREDIT for those in both."""
    terms = query.terms
    if terms.total <= 0:
        return 0.0
    covered = 0.0
    for t, w in terms.weights.items():
        if t in context:
            covered += w * (CONTEXT_REPEAT_CREDIT if t in text else CONTEXT_CREDIT)
        elif t in text:
            covered += w
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
