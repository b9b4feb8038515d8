"""Run a question set against a backend and turn the per-question rows into a report."""
from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from tqdm import tqdm

from eval import metrics as m
from eval.backends.base import Backend, BackendError
from eval.dataset import UNANSWERABLE_DOC_GROUP, Question, QuestionSet
from eval.generation import generation_summary
from eval.rows import CitationOutcome, QuestionRow

logger = logging.getLogger(__name__)

REPORT_SCHEMA = "qa-eval-report/1"
DEFAULT_TOP_K = 10
DEFAULT_ASK_TOP_K = 5


@dataclass(frozen=True)
class RunOptions:
    """How the service is queried; recorded in the report so runs can be compared (ablations)."""

    top_k: int = DEFAULT_TOP_K  # results requested from /v1/search for the ranking metrics
    ask_top_k: int = DEFAULT_ASK_TOP_K  # top_k sent with /v1/ask
    progress: bool = True


# One breakdown group (a type, a doc, a subtype) is summarised exactly like the whole run.
GroupSummary = m.MetricSummary


@dataclass
class EvalReport:
    """Everything a run produced: configuration, overall metrics, breakdowns, one row per question."""

    schema: str
    created_at: str
    questions: dict[str, Any]  # path, sha256, counts, skipped lines
    config: dict[str, Any]  # how the run was made + what the service says about itself
    counts: dict[str, int]
    metrics: dict[str, float | None]
    notes: list[str]
    by_type: dict[str, GroupSummary]
    by_doc: dict[str, GroupSummary]
    by_subtype: dict[str, GroupSummary]
    by_set: dict[str, GroupSummary]  # one group per question file; the overall metrics are the whole
    generation: dict[str, Any]  # who wrote the answers and what the LLM spent (eval/generation.py)
    calibration: list[m.CalibrationRow]
    definitions: dict[str, str]
    rows: list[QuestionRow]

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k != "rows"}
        data["rows"] = [row.to_dict() for row in self.rows]
        return data


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else (None if value is None else str(value))


def evaluate_question(question: Question, backend: Backend, options: RunOptions) -> QuestionRow:
    """Query search and ask for one question and score the responses (BackendError -> recorded miss)."""
    row = QuestionRow(
        id=question.id,
        line=question.line,
        question=question.question,
        type=question.type,
        doc=question.doc,
        subtype=question.subtype,
        gold_answerable=question.answerable,
        gold_answer=question.answer,
        set=question.set,
    )
    gold = question.answerable

    # Ranking: positions as returned; extra results beyond top_k are ignored.
    results: list[dict[str, Any]] = []
    started = time.perf_counter()
    try:
        results = backend.search(question.question, options.top_k)[: options.top_k]
        row.search_ms = (time.perf_counter() - started) * 1000.0
    except BackendError as exc:
        row.errors.append(f"search: {exc}")
    row.retrieved_ids = [_str_or_none(r.get("id")) or "" for r in results]
    row.retrieved_docs = [_str_or_none(r.get("doc")) or "" for r in results]
    if gold:
        texts = [r.get("text") if isinstance(r.get("text"), str) else "" for r in results]
        flags = m.relevance_flags(texts, question.evidence)
        row.relevant_ranks = [i for i, rel in enumerate(flags, start=1) if rel]
        row.first_relevant_rank = m.first_relevant_rank(flags)
        row.ndcg_at_10 = m.ndcg_at_k(flags, m.NDCG_K)

    # Answer, citations, abstention, latency.
    body: dict[str, Any] | None = None
    started = time.perf_counter()
    try:
        body = backend.ask(question.question, options.ask_top_k)
        row.ask_ms = (time.perf_counter() - started) * 1000.0
    except BackendError as exc:
        if exc.status is not None:  # the service did answer, only with an error
            row.ask_ms = (time.perf_counter() - started) * 1000.0
        row.errors.append(f"ask: {exc}")

    if body is not None:
        answer = body.get("answer")
        row.answer = answer if isinstance(answer, str) else ("" if answer is None else str(answer))
        answerable_flag = body.get("answerable")
        if not isinstance(answerable_flag, bool):
            row.errors.append("ask: response has no boolean 'answerable'")
        row.abstained = answerable_flag is False
        confidence = body.get("confidence")
        if isinstance(confidence, (int, float)) and not isinstance(confidence, bool):
            row.confidence = float(confidence)
        _read_generation(row, body)
        citations = body.get("citations")
        if citations is None:
            citations = []
        if not isinstance(citations, list):
            row.errors.append("ask: 'citations' is not a list")
            citations = []
        for cit in citations:
            cit = cit if isinstance(cit, dict) else {}
            text = cit.get("text")
            correct = gold and isinstance(text, str) and m.is_relevant(text, question.evidence)
            row.citations.append(
                CitationOutcome(
                    ref=cit.get("ref"), id=_str_or_none(cit.get("id")), doc=_str_or_none(cit.get("doc")), correct=bool(correct)
                )
            )
        row.citations_correct = sum(1 for c in row.citations if c.correct)

    if gold:
        scored_answer = "" if (body is None or row.abstained) else (row.answer or "")
        row.answer_contains = m.answer_contains(question.answer, scored_answer)
        row.answer_char_f1 = m.char_f1(question.answer, scored_answer)
        row.citation_hit = row.citations_correct > 0
    return row


def _read_generation(row: QuestionRow, body: dict[str, Any]) -> None:
    """Who wrote the answer and what the LLM spent, when the service says (older services do not)."""
    row.generator = _str_or_none(body.get("generator"))
    row.finish_reason = _str_or_none(body.get("finish_reason")) or ("stop" if row.generator else None)
    row.revision = _str_or_none(body.get("revision"))
    usage = body.get("usage")
    if isinstance(usage, dict):
        counts = [usage.get(k) for k in ("prompt_tokens", "completion_tokens")]
        if all(isinstance(c, int) and not isinstance(c, bool) for c in counts):
            row.prompt_tokens, row.completion_tokens = counts


def run_questions(
    questions: Sequence[Question],
    backend: Backend,
    options: RunOptions = RunOptions(),
    on_row: Callable[[QuestionRow], None] | None = None,
) -> list[QuestionRow]:
    """Evaluate each question in order, with a tqdm bar on stderr; BackendUnavailable propagates."""
    rows: list[QuestionRow] = []
    bar = tqdm(questions, desc="eval", unit="q", file=sys.stderr, disable=not options.progress, dynamic_ncols=True)
    try:
        for question in bar:
            row = evaluate_question(question, backend, options)
            if row.errors:
                logger.warning("question %s (line %d): %s", question.id, question.line, "; ".join(row.errors))
            rows.append(row)
            if on_row is not None:
                on_row(row)
    finally:
        bar.close()
    return rows


def _group(rows: Sequence[QuestionRow], key: Callable[[QuestionRow], str | None],
           in_order: bool = False) -> dict[str, GroupSummary]:
    """Rows grouped by key, groups sorted by name (in_order: in the order first seen, e.g. the files given)."""
    groups: dict[str, list[QuestionRow]] = {}
    for row in rows:
        name = key(row)
        if name is not None:
            groups.setdefault(name, []).append(row)
    return {name: m.aggregate(groups[name]) for name in (groups if in_order else sorted(groups))}


def _chunking(info: dict[str, Any] | None) -> dict[str, Any] | None:
    """Collect chunking settings (`chunking` objects, `chunk_*` keys) from the info or its manifest/settings.

    Convenience only: the full service info is kept verbatim in `config.service`.
    """
    if not isinstance(info, dict):
        return None
    found: dict[str, Any] = {}
    for source in (info, info.get("manifest"), info.get("settings")):
        if not isinstance(source, dict):
            continue
        if isinstance(source.get("chunking"), dict):
            found.update(source["chunking"])
        found.update({k: v for k, v in source.items() if k.lower().startswith("chunk_") and not isinstance(v, (dict, list))})
    return found or None


def build_report(
    question_set: QuestionSet,
    rows: Sequence[QuestionRow],
    options: RunOptions,
    *,
    backend_name: str,
    service_info: dict[str, Any] | None,
    url: str | None = None,
    index: str | None = None,
    retriever: str | None = None,
) -> EvalReport:
    """Aggregate rows into the report: overall metrics, breakdowns by type/doc/subtype, notes."""
    rows = list(rows)
    overall = m.aggregate(rows)
    notes = list(overall.notes)
    if options.top_k < 10:
        notes.append(
            f"top_k={options.top_k} < 10: hit@k for k > {options.top_k}, mrr@10 and ndcg@10 only see {options.top_k} results"
        )
    if question_set.skipped:
        notes.append(f"{len(question_set.skipped)} malformed question line(s) skipped")
    errored = sum(1 for r in rows if r.errors)
    if errored:
        notes.append(f"{errored} question(s) had service errors; they are scored as misses")
    if service_info is None:
        notes.append("the service did not expose its configuration (/v1/info): config.service is null")

    info = service_info if isinstance(service_info, dict) else None
    manifest = info.get("manifest") if info else None
    config = {
        "backend": backend_name,
        "url": url,
        "index": index,
        "requested_retriever": retriever,
        "top_k": options.top_k,
        "ask_top_k": options.ask_top_k,
        "model": info.get("model") if info else None,
        "retriever": (info.get("retriever") if info else None) or retriever,
        "chunking": _chunking(info),
        "manifest": manifest if isinstance(manifest, dict) else None,
        "service": service_info,
    }
    counts = {
        "questions": len(rows),
        "answerable": overall.answerable,
        "unanswerable": overall.unanswerable,
        "abstained": overall.abstained,
        "citations": overall.citations,
        "errors": errored,
        "skipped_lines": len(question_set.skipped),
    }
    return EvalReport(
        schema=REPORT_SCHEMA,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        questions={
            "path": question_set.path,
            "sha256": question_set.sha256,
            "loaded": len(question_set.questions),
            "skipped_lines": len(question_set.skipped),
            "skipped": [asdict(s) for s in question_set.skipped],
            "files": question_set.files,
        },
        config=config,
        counts=counts,
        metrics=overall.metrics,
        notes=notes,
        by_type=_group(rows, lambda r: r.type),
        by_doc=_group(rows, lambda r: r.doc or UNANSWERABLE_DOC_GROUP),
        by_subtype=_group(rows, lambda r: r.subtype),
        by_set=_group(rows, lambda r: r.set or None, in_order=True),
        generation=generation_summary(rows),
        calibration=m.calibration(rows),
        definitions=dict(m.DEFINITIONS),
        rows=rows,
    )


def run_eval(
    question_set: QuestionSet,
    backend: Backend,
    options: RunOptions = RunOptions(),
    *,
    url: str | None = None,
    index: str | None = None,
    retriever: str | None = None,
) -> EvalReport:
    """Fetch the service configuration, evaluate every question, and build the report."""
    service_info = backend.info()
    rows = run_questions(question_set.questions, backend, options)
    return build_report(
        question_set,
        rows,
        options,
        backend_name=backend.name,
        service_info=service_info,
        url=url,
        index=index,
        retriever=retriever,
    )
