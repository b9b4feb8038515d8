"""Extractive answers: the sentence of the top passages that best answers the question, cited.

Two decisions, each from evidence that generalises rather than from per-question rules:
- whether to answer: the top passage (with its title and heading path) must hold enough of the
  question's information (IDF-weighted query terms) and, when a dense score is known, be semantically
  close enough; otherwise the documents probably do not discuss the question and the service abstains;
- what to quote: the sentence with the best term coverage, preferring sentences that hold the kind of
  content the question asks for (a number, a date, an enumeration) and passages ranked higher.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Callable

from embeddings.lexical.chinese_tokenizer import tokenize
from qa_service.answerers.base import NOT_FOUND_ANSWER, Answerer
from qa_service.answerers.question_types import answer_type_match
from qa_service.answerers.sentence_splitter import Sentence, split_sentences
from qa_service.types import Answer, Citation, Passage


@dataclass(frozen=True)
class ExtractiveConfig:
    min_support: float = 0.35  # share of the question's information the top passage must hold
    min_dense: float = 0.70  # cosine of the top passage, when the retriever reports one
    answer_type_weight: float = 0.25
    rank_prior: float = 0.1
    max_passages: int = 3  # passages whose sentences are candidates
    min_answer_chars: int = 12


@dataclass(frozen=True)
class _Candidate:
    passage_index: int
    sentence: Sentence
    score: float


class ExtractiveAnswerer(Answerer):
    name = "extractive"

    def __init__(self, idf: Callable[[str], float], config: ExtractiveConfig | None = None) -> None:
        self._idf = idf
        self.config = config or ExtractiveConfig()

    def answer(self, question: str, passages: list[Passage]) -> Answer:
        terms = {t: self._idf(t) for t in tokenize(question)}
        total = sum(terms.values())
        if not passages or total <= 0:
            return Answer(NOT_FOUND_ANSWER, False, [], 0.0, self.name)
        support = self._support(terms, total, passages[0])
        dense = passages[0].component_scores.get("dense")
        if support < self.config.min_support or (dense is not None and dense < self.config.min_dense):
            return Answer(NOT_FOUND_ANSWER, False, [], support, self.name)
        best = self._best_sentence(question, terms, total, passages[: self.config.max_passages])
        if best is None:
            return Answer(NOT_FOUND_ANSWER, False, [], support, self.name)
        passage = passages[best.passage_index]
        quote = self._extend_short(best.sentence, passage.chunk.text)
        answer_text = " ".join(quote.split()) if "\n" in quote else quote
        return Answer(f"{answer_text}[1]", True, [Citation(ref=1, passage=passage, quote=quote)], support, self.name)

    @staticmethod
    def _coverage(terms: dict[str, float], total: float, text: str, context: str = "") -> float:
        """IDF-weighted share of question terms in text; terms only in the context (title, headings)
        count half: they place the text in the right document without stating the fact."""
        text, context = _normalise(text), _normalise(context)
        return sum(w if t in text else 0.5 * w if t in context else 0.0 for t, w in terms.items()) / total

    def _support(self, terms: dict[str, float], total: float, passage: Passage) -> float:
        c = passage.chunk
        return self._coverage(terms, total, f"{c.title}\n{c.section}\n{c.text}")

    def _best_sentence(self, question: str, terms: dict[str, float], total: float,
                       passages: list[Passage]) -> _Candidate | None:
        best: _Candidate | None = None
        n = len(passages)
        for index, passage in enumerate(passages):
            prior = self.config.rank_prior * (n - index) / n
            context = passage.chunk.title + passage.chunk.section
            for sentence in split_sentences(passage.chunk.text):
                score = (self._coverage(terms, total, sentence.text, context) + prior
                         + self.config.answer_type_weight * answer_type_match(question, sentence.text))
                if best is None or score > best.score:
                    best = _Candidate(index, sentence, score)
        return best

    def _extend_short(self, sentence: Sentence, passage_text: str) -> str:
        """A very short sentence (a heading, a fragment) is extended with the sentence that follows it."""
        if len(sentence.text) >= self.config.min_answer_chars:
            return sentence.text
        rest = passage_text[sentence.start + len(sentence.text):]
        following = split_sentences(rest)
        if not following:
            return sentence.text
        end = sentence.start + len(sentence.text) + following[0].start + len(following[0].text)
        return passage_text[sentence.start:end]


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()
