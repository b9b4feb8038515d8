"""A reviewer's settlement of a rating: the gold answer the exported question will carry (export.py).

`qa feedback review ANSWER_ID` either accepts what the export rule makes of the rating (`--accept`: an up whose
answer a cited quote holds, or an up of an abstention), states the gold answer (`--answer`, `--evidence`,
`--doc`, checked against FORMAT.md: evidence 10-200 characters holding the answer), or says that the documents
do not answer the question (`--unanswerable`). Rating the answer again with another rating clears the review.
"""
from __future__ import annotations

from typing import Any

from qa_service.feedback.export import MAX_EVIDENCE_CHARS, normalize, question_row, question_type
from qa_service.feedback.store import Rating

TYPES = ("factoid", "list", "explain", "table")


class ReviewError(ValueError):
    """The settlement does not make a usable question; the message says why."""


def accepted(rating: Rating) -> dict[str, Any]:
    """The export rule's own question for this rating, as the review; refused when it needs a reviewer's answer."""
    row = question_row(rating)
    if row.get("needs_review"):
        raise ReviewError(f"{rating.answer_id}: a {rating.rating} rating whose answer no cited quote holds cannot be "
                          "accepted as it is; give --answer, --evidence and --doc, or --unanswerable")
    return {k: row[k] for k in ("answerable", "answer", "evidence", "doc", "section", "type")}


def stated(rating: Rating, answer: str, evidence: str, doc: str, section: str = "",
           type_: str | None = None) -> dict[str, Any]:
    """The gold answer a reviewer gives, checked as `qa eval` and FORMAT.md need it."""
    answer, evidence, doc = answer.strip(), evidence.strip(), doc.strip()
    if not (answer and evidence and doc):
        raise ReviewError("--answer, --evidence and --doc are all needed (or --accept, or --unanswerable)")
    if not 10 <= len(evidence) <= MAX_EVIDENCE_CHARS:
        raise ReviewError(f"--evidence must be 10-{MAX_EVIDENCE_CHARS} characters (it has {len(evidence)})")
    if normalize(answer) not in normalize(evidence):
        raise ReviewError("--evidence must contain --answer (compared without spaces and punctuation)")
    if type_ is not None and type_ not in TYPES:
        raise ReviewError(f"--type must be one of {', '.join(TYPES)}")
    return {"answerable": True, "answer": answer, "evidence": evidence, "doc": doc, "section": section.strip(),
            "type": type_ or question_type(rating.question)}


def unanswerable() -> dict[str, Any]:
    return {"answerable": False, "answer": "", "evidence": "", "doc": "", "section": "", "type": "unanswerable"}
