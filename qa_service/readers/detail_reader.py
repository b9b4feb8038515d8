"""A reader that answers only from a sentence stating the asked detail about what the question asks about.

Questions worded unlike the documents share few words with the answering sentence, and questions about a
detail the documents never state share many: counting shared words cannot tell them apart. This reader goes
through the quotes of the top passages (a sentence and the next, best sentence-evidence score first, with a
prior for the passage's rank) and answers with the first that
- says enough of the question (coverage of its terms, close words counting: understanding/term_matching.py);
- holds every quoted term and named place or organisation of the question, in the sentence, its passage,
  title or headings (a sentence about 两江新区 does not answer for 湘江新区);
- for a question asking a recognisable value (a number, a date, a list, an organisation: asked_detail.py), states
  one in a clause naming the asked detail (专职研发人员近 5000 名 for 全职搞研发的人员有多少), of the asked year.
Before that, a question naming something the corpus never mentions, or taking for granted what the best
passages state otherwise, is not answered (understanding/premises.py). When no sentence qualifies but the
passages discuss the question, the reading says the detail is not stated, with what was found. When none of
the top 3 answers, lower passages of a section read are read too (further_reading.py, QA_ANSWER_READ_FURTHER).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace

import numpy as np

from documents.models import Chunk
from qa_service.readers.further_reading import further_passages
from qa_service.readers.passage_units import Prepared, Unit, prepare
from qa_service.readers.asked_values import onward, sentence_of, values_of_asked_kind
from qa_service.readers.best_quote_bonuses import bonuses_for_best, quoted_bonuses
from qa_service.readers.quote_words import quote_words
from qa_service.readers.base import ANSWERED, CONTRADICTED, NOT_FOUND, NOT_MENTIONED, NOT_STATED, Reader, Reading
from qa_service.types import Passage, Quote
from qa_service.understanding.asked_detail import clause_around, focus_window, normalise, wh_clause
from qa_service.understanding.premises import (Premises, contradiction, counted_premises, fuzzy_contains, parts,
                                              premise_terms, restated_count)
from qa_service.understanding.document_numbers import context_credit
from qa_service.understanding.end_dates import date_answers
from qa_service.understanding.entity_grounding import _compact
from qa_service.understanding.query import Query
from qa_service.understanding.quantities import YEAR
from qa_service.understanding.sentence_evidence import SentenceEvidenceScorer
from qa_service.understanding.sentence_splitter import split_sentences
from qa_service.understanding.term_matching import CONTEXT_CREDIT, TermMatcher

PREPARED_PASSAGES = 16384
# Reranking bonuses (rerankers/sentence_evidence_reranker.py), on the scale of a quote's score (coverage 0-1 plus
# 0.25 per asked kind held): on the dev sets 0.1 each raised paraphrase hit@1 from 0.646 to 0.708 and dev hit@1
# from 0.905 to 0.921; 0.2 each gave the same, 0.1 for one of them alone about half (docs/evaluation.md).
VALUE_BONUS = 0.1
CONSTRAINT_BONUS = 0.1
QUOTED_BONUS = 0.2  # the quote holds the question's quoted terms whole: paraphrase hit@1 0.792 -> 0.812 (docs/evaluation.md)
CLAUSE_ROWS = 65536  # clauses whose term-vector rows are remembered (a few hundred bytes each)
_LATIN = re.compile(r"[A-Za-z0-9+.\-]+")
_ACRONYM = re.compile(r"[A-Za-z][A-Za-z0-9\-]{1,9}")


@dataclass(frozen=True)
class ReaderConfig:
    min_coverage: float = 0.30  # coverage a sentence needs to answer (QA_ANSWER_MIN_SUPPORT)
    passages: int = 3  # passages whose sentences are read
    further: int = 5  # when none of those answers, passages down to this rank are read too (QA_ANSWER_READ_FURTHER)
    further_scope: str = "section"  # which of them: further_reading.py (QA_ANSWER_READ_FURTHER_SCOPE)
    rank_prior: float = 0.3  # weight of the passage's rank in the order sentences are read
    contradiction_quotes: int = 3  # best quotes in which a contradicted premise is looked for
    counted_premises: bool = True  # a count the question takes for granted, restated otherwise (QA_COUNTED_PREMISES)
    quoted_bonus: float = QUOTED_BONUS  # reranking: the quote itself holds every quoted term of the question (QA_RERANK_QUOTED)
    list_counts: bool = True  # 哪两个: two items, named in the enumeration's own clause (QA_LIST_COUNTS)
    end_dates: bool = True  # 管到哪天为止: the second date of a range answers, the first never (QA_END_DATES)
    numbered_titles: bool = True  # a title holding the document number the question names counts fully (QA_NUMBERED_TITLES)
    acronyms: bool = True  # PUE控制在多少: the acronym names the detail, or its long form does (QA_ANSWER_ACRONYMS)


class DetailReader(Reader):
    name = "detail"

    def __init__(self, scorer: SentenceEvidenceScorer, matcher: TermMatcher, premises: Premises,
                 tokenize, config: ReaderConfig | None = None, prepared_passages: int = PREPARED_PASSAGES) -> None:
        self._scorer = scorer
        self._matcher = matcher
        self._premises = premises
        self._tokenize = tokenize
        self.config = config or ReaderConfig()
        self._prepared = functools.lru_cache(maxsize=prepared_passages)(prepare)
        self._clause_rows = functools.lru_cache(maxsize=CLAUSE_ROWS)(lambda text: self._matcher.rows(self._tokenize(text)))

    def quote_bonuses(self, query: Query, passage: Passage, scores: list[float] | None = None) -> list[float]:
        """For the reranker: each quote's worth beyond its shared words (VALUE_BONUS, CONSTRAINT_BONUS, quoted_bonus:
        best_quote_bonuses.py); with the quotes' `scores`, only the quotes that could be the best are checked."""
        units = self._prepared(passage.chunk).units
        holds = CONSTRAINT_BONUS if self._constraints_hold(query, passage) else 0.0
        typed = query.detail.detail.typed
        quoted = quoted_bonuses(query.detail.quoted, passage.chunk.text, units, self.config.quoted_bonus)
        return bonuses_for_best(scores, quoted, holds, holds + VALUE_BONUS,
                                lambda i: typed and self._value(query, passage, units[i]) is not None)

    def _rows(self, chunk: Chunk, prepared: Prepared) -> tuple[np.ndarray, ...]:  # two threads make the same
        if (found := prepared.rows.get("units")) is None:  # quote_words cuts the quotes of the units, in order
            found = prepared.rows.setdefault("units", tuple(map(self._matcher.rows, quote_words(chunk.text, self._tokenize))))
        return found

    def lead(self, query: Query, passages: list[Passage]) -> list[Passage]:
        """`passages` (ranked) with the one the reader answers from first: among passages of one document sharing
        the question's words, the sentence that states the asked detail tells the answering passage from its
        neighbours better than their scores do (a table's next rows, the member document's opening passage).
        The reading is kept on the query, so the answer is this reading, not a second one over the new order."""
        reading = self.read(query, passages)
        at = next((i for i, p in enumerate(passages) if p is reading.passage), 0)
        if not reading.answered or at == 0:
            return passages
        top, chosen = passages[0], passages[at]
        led = replace(chosen, score=max(chosen.score, top.score),
                      evidence=replace(chosen.evidence, led=True) if chosen.evidence else None)
        ordered = [led, *passages[:at], *passages[at + 1:]]
        query.readings[self._read_key(ordered)] = replace(reading, passage=led)
        return ordered

    def _read_key(self, passages: list[Passage]) -> tuple[str, ...]:
        return tuple(p.chunk.id for p in passages[: max(self.config.passages, self.config.further)])

    def read(self, query: Query, passages: list[Passage]) -> Reading:
        key = self._read_key(passages)
        if (done := query.readings.get(key)) is None:
            done = query.readings[key] = self._read(query, passages)
        return done

    def _read(self, query: Query, passages: list[Passage]) -> Reading:
        detail = query.detail
        if not passages or query.terms.total <= 0:
            return Reading(NOT_FOUND)
        if missing := self._premises.absent(detail.quoted, query.named):
            return Reading(NOT_MENTIONED, missing=tuple(missing))
        quotes = self._ordered_quotes(query, passages[: self.config.passages])
        coverage_of = self._coverages(query, passages[: self.config.passages])
        premises = premise_terms(query.text, detail.quoted, query.named)
        counts = counted_premises(query.text)
        for _, passage, unit in quotes[: self.config.contradiction_quotes]:
            coverage = coverage_of[id(unit)]
            if coverage < self.config.min_coverage:
                continue
            text = passage.chunk.text
            whole = passage.chunk.title + passage.chunk.section + text
            clash = contradiction(premises, detail.quoted, text[unit.start:unit.end], whole)
            if clash is None and self.config.counted_premises:
                clash = restated_count(counts, text[unit.start:unit.end], whole)
            if clash is not None:
                return Reading(CONTRADICTED, passage, Quote(unit.start, unit.end, coverage), coverage=coverage,
                               asked=clash.asked, stated=clash.stated)
        found = self._answer(query, quotes, coverage_of, None)
        if found is None or not found.answered:  # the detail may be stated lower in a section read
            deeper = further_passages(passages, self.config.passages, self.config.further, self.config.further_scope)
            if deeper:
                found = self._answer(query, self._ordered_quotes(query, deeper), self._coverages(query, deeper), found)
        return found or Reading(NOT_FOUND)

    def _answer(self, query: Query, quotes: list[tuple[float, Passage, Unit]], coverage_of: dict[int, float],
                found: Reading | None) -> Reading | None:
        """The first quote (in reading order) that answers; else `found`, or the first quote saying enough of the
        question (the detail is not stated), or None."""
        detail = query.detail
        for _, passage, unit in quotes:
            coverage = coverage_of[id(unit)]
            if coverage < self.config.min_coverage:
                continue
            if found is None:
                found = Reading(NOT_STATED, passage, Quote(unit.start, unit.end, coverage), coverage=coverage,
                                asked=wh_clause(query.text).strip(" ？?"))
            if not self._constraints_hold(query, passage):
                continue
            value = self._value(query, passage, unit) if detail.detail.typed else None
            if detail.detail.typed and value is None:
                continue
            short, span = "", None
            if value is not None:
                span = value[:2]
                if value[2] and detail.detail.kind in ("number", "duration", "date", "org"):
                    short = " ".join(clause_around(passage.chunk.text, *span).split())
            return Reading(ANSWERED, passage, Quote(unit.start, unit.end, coverage), span, short, coverage)
        return found

    # -- the sentences, in the order they are read ---------------------------------------------------------

    def _ordered_quotes(self, query: Query, passages: list[Passage]) -> list[tuple[float, Passage, Unit]]:
        out = []
        n = len(passages)
        for rank, passage in enumerate(passages):
            prepared = self._prepared(passage.chunk)
            scores = self._scorer.quote_scores(query, passage)
            for unit, score in zip(prepared.units, scores):
                out.append((score + self.config.rank_prior * (n - rank) / n, passage, unit))
        out.sort(key=lambda item: -item[0])  # stable: equal scores keep passage and sentence order
        return out

    def _coverages(self, query: Query, passages: list[Passage]) -> dict[int, float]:
        """Each quote's coverage of the question (by id of its prepared unit)."""
        out = {}
        weights = query.terms.weights
        for passage in passages:
            prepared = self._prepared(passage.chunk)
            nearest = self._matcher.nearest_per_group(dict(query.term_vectors), self._rows(passage.chunk, prepared))
            credit = context_credit(query.text, prepared.context, CONTEXT_CREDIT, self.config.numbered_titles)
            for unit, near in zip(prepared.units, nearest):
                out[id(unit)] = self._matcher.coverage(weights, unit.first, near, prepared.context, credit)
        return out

    # -- checks --------------------------------------------------------------------------------------------

    def _constraints_hold(self, query: Query, passage: Passage) -> bool:
        """Every quoted term and named place or organisation stands in the passage, its title or headings
        (Latin-script terms are often spelled out there instead: PUE as 电能使用效率)."""
        prepared = self._prepared(passage.chunk)
        for term in query.detail.quoted:
            if not all(fuzzy_contains(prepared.compact, part) for part in parts(term)):
                return False
        for entity in query.named:
            if entity in query.detail.quoted or _LATIN.fullmatch(entity):
                continue
            if not self._premises.names(prepared.compact, entity):
                return False
        return True

    def _value(self, query: Query, passage: Passage, unit: Unit) -> tuple[int, int, bool] | None:
        """The span (in the passage text) of a value of the asked kind in a clause naming the asked detail, and
        whether it is the only such value of the quote (a short answer is given only then)."""
        detail = query.detail
        text = passage.chunk.text
        quote = text[unit.start:unit.end]
        quantities = self._prepared(passage.chunk).quantities_of(unit, quote)
        candidates = onward(quote, list(values_of_asked_kind(detail, quote, quantities, query.text, self.config.list_counts)), quantities)
        sentences = split_sentences(quote) if candidates else []
        per_sentence: dict[int, int] = {}
        for start, _, _ in candidates:
            at = sentence_of(sentences, start, quote)
            per_sentence[at.start] = per_sentence.get(at.start, 0) + 1
        best: tuple[int, int, float] | None = None
        accepted = 0
        for start, end, weight in candidates:
            at = sentence_of(sentences, start, quote)
            sentence_at, sentence = at.start, at.text
            kind = detail.detail.kind
            if kind == "list":
                clause = quote[start:end]
                ok = self._names_detail(query, clause) or (  # 哪两个: named in the enumeration's own clause
                    not (detail.detail.items and self.config.list_counts) and self._names_detail(query, quote))
            elif kind == "date":
                ok = date_answers(self._half_focus(query, sentence + passage.chunk.section), query.text, quote, start, end, self.config.end_dates)
            else:
                clause = clause_around(quote, start, end)
                ok = self._names_detail(query, clause, quote[start:end]) or (
                    per_sentence[sentence_at] == 1 and self._half_focus(query, sentence))
            if ok and detail.years and kind not in ("date", "list"):
                before = [m.group(1) for m in YEAR.finditer(quote[sentence_at:start])]
                ok = not before or before[-1] in detail.years  # said of the asked year (2015 年…5.8% for 2016)
            if ok:
                accepted += 1
                if best is None or weight > best[2]:
                    best = (start, end, weight)
        if best is None:
            return None
        return unit.start + best[0], unit.start + best[1], accepted == 1

    def _names_detail(self, query: Query, clause: str, value: str = "") -> bool:
        """The clause names the asked detail: a number of the question other than the value (从156项…到11项 for
        从156项砍到了几项), or, when the question says what is counted after its question word, one of those words,
        else one of its specific words; close words count."""
        focus = query.detail.specific_focus
        if not focus:
            return True  # the question names nothing more specific than the kind of value
        text, digits, flat = normalise(clause), re.sub(r"\D", "", value), re.sub(r"\s", "", clause)
        if any(n and n != digits and n in flat for n in query.detail.numbers):
            return True
        counted = query.detail.counted
        if counted:  # 多少名创业导师: the clause must name what is counted, not another word of the question
            rows = self._clause_rows(clause) if self._matcher.has_vectors else np.zeros(0, dtype=np.int64)
            return self._matcher.names_any(counted, query.term_vectors, text, rows)
        if self.config.acronyms and self._names_acronym(query, clause):
            return True
        if not self._matcher.has_vectors:
            return False
        return self._matcher.names_any(focus, query.term_vectors, text, self._clause_rows(clause))

    def _names_acronym(self, query: Query, clause: str) -> bool:
        """The clause names an acronym of the question written next to its question word (PUE控制在多少), as
        written or by the long form the corpus writes beside it (电能使用效率（PUE）): the acronym is a named
        thing, so not among the focus words, but here it names what is measured."""
        window, compact = focus_window(query.text), _compact(clause)
        return any(self._premises.names(compact, e) for e in query.named
                   if _ACRONYM.fullmatch(e) and normalise(e) in window)

    @staticmethod
    def _half_focus(query: Query, text: str) -> bool:
        """The text holds half the asked detail's specific words by weight (what is counted, when said)."""
        focus = query.detail.counted or query.detail.specific_focus
        if not focus:
            return True
        weights, norm = query.terms.weights, normalise(text)
        total = sum(weights.get(t, 1.0) for t in focus)
        return sum(weights.get(t, 1.0) for t in focus if t in norm) >= 0.5 * total
