"""Metric definitions, as pure functions, so each one can be checked on hand-made cases.

Matching follows FORMAT.md exactly: strings are compared after `normalize()` (NFKC, then all
whitespace and all Unicode punctuation removed).

Choices where FORMAT.md leaves room (also recorded in every report's `definitions`):

* Ranks are 1-based list positions in the order the service returned (ties in score are not
  re-ordered: the service's order is authoritative). Results beyond the requested top_k are ignored.
* nDCG@10 uses binary relevance; IDCG is the ideal ordering of the relevant passages *present in
  the retrieved list*, their count capped at 10 (no relevant passage retrieved -> nDCG = 0).
* Citation markers such as ``[1]``, ``[1, 2]``, ``[1-3]``, ``［1］``, ``【1】`` are removed from the
  system answer before answer_contains and char-F1 (they are not part of the answer text).
* An abstained answer scores answer_contains = False and char-F1 = 0 on an answerable question.
* Char-F1 is the bag-of-characters F1 of normalized gold vs. normalized system answer (0 if either
  is empty), averaged over answerable questions.
* citation_precision is micro-averaged: correct citations / all citations, pooled over answerable
  questions (questions without citations add nothing to either count); 0.0 if there is no citation
  at all. citation_hit: share of answerable questions with >= 1 correct citation (no citations =
  miss).
* abstain_precision = abstained-on-unanswerable / abstained (0.0 if nothing was abstained);
  abstain_recall = abstained-on-unanswerable / unanswerable. Abstaining = `answerable` is false.
* Latency percentiles use the nearest-rank method over client-side wall-clock ms of each
  `/v1/ask` call (all questions).
* A metric whose population is empty (e.g. ranking metrics of a group with no answerable question)
  is null, not 0.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from eval.rows import QuestionRow

HIT_KS = (1, 3, 5, 10)
NDCG_K = 10
MRR_K = 10

METRIC_NAMES = (
    "hit@1",
    "hit@3",
    "hit@5",
    "hit@10",
    "mrr@10",
    "ndcg@10",
    "answer_contains",
    "answer_char_f1",
    "citation_precision",
    "citation_hit",
    "abstain_precision",
    "abstain_recall",
    "p50_ask_ms",
    "p95_ask_ms",
)
LATENCY_METRICS = ("p50_ask_ms", "p95_ask_ms")

DEFINITIONS: dict[str, str] = {
    "relevant": "normalize(evidence) is a substring of normalize(passage text); empty evidence is never relevant",
    "rank": "1-based position in the list as returned by /v1/search (ties keep the service's order); "
    "results beyond the requested top_k are ignored",
    "hit@k": "share of answerable questions whose first relevant passage has rank <= k",
    "mrr@10": "mean over answerable questions of 1/rank of the first relevant passage if rank <= 10, else 0",
    "ndcg@10": "binary relevance, DCG = sum rel_i/log2(i+1) over ranks 1..10; IDCG = ideal ordering of the "
    "relevant passages present in the retrieved list (count capped at 10); 0 if none retrieved",
    "answer_contains": "normalize(gold) is a substring of normalize(system answer without citation markers); "
    "abstained answers do not contain; over answerable questions",
    "answer_char_f1": "F1 of the character multisets of normalize(gold) and normalize(system answer without "
    "citation markers); 0 if either is empty or the system abstained; mean over answerable questions",
    "citation_precision": "micro average over answerable questions: correct citations / all citations "
    "(0.0 if there are no citations at all); a citation is correct when its text is relevant",
    "citation_hit": "share of answerable questions with at least one correct citation (no citations = miss)",
    "abstain_precision": "abstained on unanswerable / abstained, over all questions (0.0 if none abstained)",
    "abstain_recall": "abstained on unanswerable / unanswerable questions",
    "p50_ask_ms": "nearest-rank 50th percentile of client-side wall-clock ms per /v1/ask call",
    "p95_ask_ms": "nearest-rank 95th percentile of client-side wall-clock ms per /v1/ask call",
    "calibration": "answered questions (answerable true, whatever the gold) by the confidence the service reported: "
    "per bin [t, t+0.1) and at or above t, how many, their mean confidence, and the share that is right "
    "(the question is answerable and the answer contains the gold answer); a calibrated confidence is close to that share",
    "null": "a metric is null when its population is empty (e.g. ranking metrics of a group with no answerable question)",
}

# [1]  [1,2]  [1, 2]  [1-3]  ［1］  【1】  [1][2]
_CITATION_MARKER = re.compile(r"[\[［【]\s*\d+(?:\s*[,，、;；\-–~]\s*\d+)*\s*[\]］】]")


def normalize(s: str) -> str:
    """FORMAT.md's normalization: NFKC, then drop every whitespace and punctuation (P*) character."""
    s = unicodedata.normalize("NFKC", s)
    return "".join(c for c in s if not c.isspace() and not unicodedata.category(c).startswith("P"))


def is_relevant(passage_text: str, evidence: str) -> bool:
    """A passage is relevant when the normalized evidence is a substring of the normalized passage."""
    needle = normalize(evidence or "")
    if not needle:
        return False
    return needle in normalize(passage_text or "")


def relevance_flags(passage_texts: Iterable[str], evidence: str) -> list[bool]:
    """Relevance of each passage, in the given (authoritative) order."""
    needle = normalize(evidence or "")
    if not needle:
        return [False for _ in passage_texts]
    return [needle in normalize(t or "") for t in passage_texts]


def first_relevant_rank(flags: Sequence[bool]) -> int | None:
    """1-based position of the first relevant passage, None if none is relevant."""
    for position, relevant in enumerate(flags, start=1):
        if relevant:
            return position
    return None


def hit_at_k(rank: int | None, k: int) -> float:
    """1.0 if the first relevant passage is within the top k."""
    return 1.0 if rank is not None and rank <= k else 0.0


def reciprocal_rank(rank: int | None, k: int = MRR_K) -> float:
    """1/rank if the first relevant passage is within the top k, else 0."""
    return 1.0 / rank if rank is not None and rank <= k else 0.0


def ndcg_at_k(flags: Sequence[bool], k: int = NDCG_K) -> float:
    """Binary-relevance nDCG@k; IDCG from the relevant passages present in the whole list, capped at k.

    The gold marks one evidence snippet, not a full relevance judgement of the corpus, so the ideal
    ranking is taken over the relevant passages that were actually retrieved: if several retrieved
    passages contain the evidence, all of them count; if none does, nDCG is 0.
    """
    dcg = sum(1.0 / math.log2(i + 1) for i, rel in enumerate(flags[:k], start=1) if rel)
    n_relevant = min(sum(1 for rel in flags if rel), k)
    if n_relevant == 0:
        return 0.0
    idcg = sum(1.0 / math.log2(i + 1) for i in range(1, n_relevant + 1))
    return dcg / idcg


def strip_citation_markers(text: str) -> str:
    """Remove inline citation markers ([1], [1,2], [1-3], ［1］, 【1】) from a system answer."""
    return _CITATION_MARKER.sub("", text or "")


def answer_contains(gold: str, system_answer: str) -> bool:
    """normalize(gold) is a substring of the normalized system answer (markers stripped); empty gold never matches."""
    needle = normalize(gold or "")
    if not needle:
        return False
    return needle in normalize(strip_citation_markers(system_answer))


def char_f1(gold: str, system_answer: str) -> float:
    """Character-multiset F1 of normalized gold vs. normalized system answer (markers stripped)."""
    gold_chars = Counter(normalize(gold or ""))
    pred_chars = Counter(normalize(strip_citation_markers(system_answer)))
    if not gold_chars or not pred_chars:
        return 0.0
    overlap = sum((gold_chars & pred_chars).values())
    if overlap == 0:
        return 0.0
    precision = overlap / sum(pred_chars.values())
    recall = overlap / sum(gold_chars.values())
    return 2 * precision * recall / (precision + recall)


def percentile_nearest_rank(values: Iterable[float], q: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least q% of the values <= it (None if empty)."""
    ordered = sorted(values)
    if not ordered:
        return None
    if not 0 < q <= 100:
        raise ValueError("q must be in (0, 100]")
    index = max(math.ceil(q / 100 * len(ordered)), 1) - 1
    return ordered[index]


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass
class MetricSummary:
    """Aggregated metrics of a group of rows, with the counts behind them and caveats."""

    count: int
    answerable: int
    unanswerable: int
    abstained: int
    citations: int
    errors: int
    metrics: dict[str, float | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def aggregate(rows: Sequence[QuestionRow]) -> MetricSummary:
    """Compute every report metric over a group of rows (overall or one breakdown group)."""
    answerable = [r for r in rows if r.gold_answerable]
    unanswerable = [r for r in rows if not r.gold_answerable]
    abstained = [r for r in rows if r.abstained]
    metrics: dict[str, float | None] = {}
    notes: list[str] = []

    ranks = [r.first_relevant_rank for r in answerable]
    for k in HIT_KS:
        metrics[f"hit@{k}"] = _mean([hit_at_k(rank, k) for rank in ranks])
    metrics["mrr@10"] = _mean([reciprocal_rank(rank, MRR_K) for rank in ranks])
    metrics["ndcg@10"] = _mean([r.ndcg_at_10 or 0.0 for r in answerable])
    metrics["answer_contains"] = _mean([1.0 if r.answer_contains else 0.0 for r in answerable])
    metrics["answer_char_f1"] = _mean([r.answer_char_f1 or 0.0 for r in answerable])

    total_citations = sum(r.citations_total for r in answerable)
    correct_citations = sum(r.citations_correct for r in answerable)
    if not answerable:
        metrics["citation_precision"] = None
    elif total_citations == 0:
        metrics["citation_precision"] = 0.0
        notes.append("no citations on any answerable question: citation_precision set to 0.0")
    else:
        metrics["citation_precision"] = correct_citations / total_citations
    metrics["citation_hit"] = _mean([1.0 if r.citation_hit else 0.0 for r in answerable])

    abstained_correctly = sum(1 for r in abstained if not r.gold_answerable)
    if not rows:
        metrics["abstain_precision"] = None
    elif not abstained:
        metrics["abstain_precision"] = 0.0
        notes.append("no question was abstained on: abstain_precision set to 0.0")
    else:
        metrics["abstain_precision"] = abstained_correctly / len(abstained)
    metrics["abstain_recall"] = abstained_correctly / len(unanswerable) if unanswerable else None

    latencies = [r.ask_ms for r in rows if r.ask_ms is not None]
    metrics["p50_ask_ms"] = percentile_nearest_rank(latencies, 50)
    metrics["p95_ask_ms"] = percentile_nearest_rank(latencies, 95)

    return MetricSummary(
        count=len(rows),
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        abstained=len(abstained),
        citations=sum(r.citations_total for r in rows),
        errors=sum(1 for r in rows if r.errors),
        metrics={name: metrics[name] for name in METRIC_NAMES},
        notes=notes,
    )


CALIBRATION_STEP = 0.1


@dataclass(frozen=True)
class CalibrationRow:
    """Answered questions whose confidence is in [low, low + step), and those at or above `low`."""

    low: float
    answered: int  # in the bin
    mean_confidence: float | None
    right: float | None  # share of the bin that is right
    answered_at_or_above: int
    right_at_or_above: float | None


def _is_right(row: QuestionRow) -> bool:
    return row.gold_answerable and bool(row.answer_contains)


def calibration(rows: Sequence[QuestionRow], step: float = CALIBRATION_STEP) -> list[CalibrationRow]:
    """How often answers of each confidence are right: the check that `confidence` means what it says.

    Only answered questions count (an abstention makes no claim); rows without a confidence are left out.
    """
    return calibration_of([(r.confidence, _is_right(r)) for r in rows
                           if not r.abstained and r.confidence is not None and not r.errors], step)


def calibration_of(answers: Sequence[tuple[float, bool]], step: float = CALIBRATION_STEP) -> list[CalibrationRow]:
    """The calibration table of (confidence, right) pairs, one row per bin [low, low + step) (the top bin holds
    1.0 too), with the pairs at or above `low`."""
    out = []
    bins = int(round(1 / step))
    for i in range(bins):
        low = round(i * step, 6)
        last = i == bins - 1
        inside = [(c, ok) for c, ok in answers if low <= c < low + step or (last and c >= low)]
        above = [(c, ok) for c, ok in answers if c >= low]
        out.append(CalibrationRow(
            low=low,
            answered=len(inside),
            mean_confidence=_mean([c for c, _ in inside]),
            right=_mean([1.0 if ok else 0.0 for _, ok in inside]),
            answered_at_or_above=len(above),
            right_at_or_above=_mean([1.0 if ok else 0.0 for _, ok in above]),
        ))
    return out
