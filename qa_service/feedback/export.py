"""Ratings as evaluation questions, in the question-set format (shared/eval/FORMAT.md), so that what real users
asked is scored by `qa eval` like the dev sets.

The rule, per rating (a reviewer's settlement, review.py, always wins):

- reviewed: the reviewer's answerable / answer / evidence / doc / section / type;
- up, the service answered: answerable, answer = the answer given without its [n] markers, evidence = the
  cited quote that holds it (verbatim, at most 200 characters around it), doc = that citation's file name;
  when no cited quote holds the answer (an LLM's wording), it is exported for review like a down;
- up, the service said the documents do not say: unanswerable (the user agreed);
- down: for review: `needs_review: true`, answerable null and answer, evidence, doc, section, type empty for
  the reviewer to fill. `qa eval` skips such lines and says why.

Every line also carries `feedback` (rating, comment, the answer given, its citations, answer id, knowledge base,
index version), which `qa eval` ignores.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable

from documents.cleaning.chars import normalize_for_match as normalize  # FORMAT.md's matching rule
from qa_service.feedback.store import Rating
from qa_service.understanding.question_types import AskedKinds

MAX_EVIDENCE_CHARS = 200  # FORMAT.md: evidence is 10-200 characters
_MARKER = re.compile(r"\s*\[\d+\]")


def question_type(question: str) -> str:
    return "list" if AskedKinds.of(question).enumeration else "factoid"


def evidence_around(quote: str, answer: str) -> str | None:
    """The quote, or at most MAX_EVIDENCE_CHARS of it around the answer, when it holds the answer; else None."""
    if not normalize(answer) or normalize(answer) not in normalize(quote):
        return None
    if len(quote) <= MAX_EVIDENCE_CHARS:
        return quote
    at = quote.find(answer)
    if at < 0 or len(answer) > MAX_EVIDENCE_CHARS:
        return None  # present only after normalising, or longer than evidence may be: the reviewer decides
    start = max(0, min(at - (MAX_EVIDENCE_CHARS - len(answer)) // 2, len(quote) - MAX_EVIDENCE_CHARS))
    return quote[start:start + MAX_EVIDENCE_CHARS]


def _provenance(r: Rating) -> dict[str, Any]:
    return {"rating": r.rating, "comment": r.comment, "given_answer": r.answer, "answer_id": r.answer_id,
            "kb": r.kb, "index_version": r.index_version,
            "citations": [{"doc": c.doc, "passage_id": c.passage_id, "quote": c.quote} for c in r.citations]}


def question_row(r: Rating) -> dict[str, Any]:
    """One line of the question file for one rating (the rule in the module docstring)."""
    row: dict[str, Any] = {"id": "fb-" + r.answer_id, "question": r.question}
    if r.review is not None:
        keys = ("answerable", "answer", "evidence", "doc", "section", "type")
        return {**row, **{k: r.review.get(k, "") for k in keys}, "feedback": _provenance(r)}
    if r.rating == "up" and not r.answerable:
        return {**row, "answerable": False, "answer": "", "evidence": "", "doc": "", "section": "",
                "type": "unanswerable", "feedback": _provenance(r)}
    if r.rating == "up":
        answer = _MARKER.sub("", r.answer).strip()
        for cited in r.citations:
            evidence = evidence_around(cited.quote, answer)
            if evidence is not None and len(normalize(evidence)) >= 10:
                return {**row, "answerable": True, "answer": answer, "evidence": evidence, "doc": cited.doc,
                        "section": cited.section, "type": question_type(r.question), "feedback": _provenance(r)}
    return {**row, "answerable": None, "answer": "", "evidence": "", "doc": "", "section": "", "type": "",
            "needs_review": True, "feedback": _provenance(r)}


def write_questions(ratings: Iterable[Rating], out: Path) -> dict[str, int]:
    """Write the file (to a temporary name, then renamed: never half written); counts of what was written."""
    counts = {"questions": 0, "answerable": 0, "unanswerable": 0, "needs_review": 0}
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with partial.open("w", encoding="utf-8") as f:
        for r in ratings:
            row = question_row(r)
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            counts["questions"] += 1
            kind = "needs_review" if row.get("needs_review") else ("answerable" if row["answerable"]
                                                                   else "unanswerable")
            counts[kind] += 1
    partial.replace(out)
    return counts
