"""`qa feedback list|review|export`: the ratings of QA_FEEDBACK_DB, read on the server's machine (trusted as the
CLI is), settled by a reviewer and written as evaluation questions (export.py has the rule)."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any, Callable

from qa_service.feedback import review as reviews
from qa_service.feedback.export import write_questions
from qa_service.feedback.store import RATINGS, FeedbackStore
from qa_service.settings import Settings, SettingsError

log = logging.getLogger("qa")
DEFAULT_KB = "default"


def store_of(settings: Settings) -> FeedbackStore:
    if settings.feedback_file is None:
        raise SettingsError("QA_FEEDBACK_DB is off: no answers or ratings are recorded")
    return FeedbackStore(settings.feedback_file, settings.feedback_max_answers, settings.feedback_max_ratings)


def _rating_filter(args: argparse.Namespace) -> str | None:
    return None if args.rating == "all" else args.rating


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    for r in store_of(settings).ratings(args.kb, _rating_filter(args), args.reviewed_only, args.limit):
        if args.json:
            sys.stdout.write(json.dumps(r.public(), ensure_ascii=False) + "\n")
            continue
        mark = "reviewed" if r.review is not None else "-"
        sys.stdout.write(f"{r.answer_id}  {r.rating:<4}  {mark:<8}  {r.question[:60]}"
                         f"{'  // ' + r.comment[:60] if r.comment else ''}\n")
    return 0


def cmd_review(args: argparse.Namespace, settings: Settings) -> int:
    store = store_of(settings)
    rating = store.rating_of(args.answer_id, args.kb)
    if rating is None:
        log.error("no rating of answer %s in knowledge base %s", args.answer_id, args.kb)
        return 2
    try:
        if args.clear:
            review: dict[str, Any] | None = None
        elif args.unanswerable:
            review = reviews.unanswerable()
        elif args.accept:
            review = reviews.accepted(rating)
        else:
            review = reviews.stated(rating, args.answer or "", args.evidence or "", args.doc or "",
                                    args.section or "", args.type)
    except reviews.ReviewError as exc:
        log.error("%s", exc)
        return 2
    store.set_review(rating.answer_id, review)
    log.info("%s: %s", rating.answer_id, "review cleared" if review is None else f"reviewed: {review}")
    return 0


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    ratings = store_of(settings).ratings(args.kb, _rating_filter(args), args.reviewed_only)
    counts = write_questions(reversed(ratings), Path(args.out))  # oldest first, as they were given
    log.info("wrote %d questions to %s: %d answerable, %d unanswerable, %d needing review (skipped by qa eval)",
             counts["questions"], args.out, counts["answerable"], counts["unanswerable"], counts["needs_review"])
    return 0


def register(sub: Any, bind: Callable[[Callable], Callable]) -> None:
    """Add `qa feedback list|review|export` to the `qa` parser."""
    feedback = sub.add_parser("feedback", help="the ratings users gave answers: list, review, export as questions")
    actions = feedback.add_subparsers(dest="feedback_command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--kb", default=DEFAULT_KB, help="knowledge base (default: default)")

    def filters(p: argparse.ArgumentParser) -> None:
        p.add_argument("--rating", choices=(*RATINGS, "all"), default="all", help="which ratings (default: all)")
        p.add_argument("--reviewed-only", action="store_true", dest="reviewed_only",
                       help="only ratings a reviewer has settled (`qa feedback review`)")

    p = actions.add_parser("list", help="ratings, newest first")
    common(p)
    filters(p)
    p.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=bind(cmd_list))

    p = actions.add_parser("review", help="settle a rating's gold answer for the export")
    p.add_argument("answer_id")
    common(p)
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--accept", action="store_true", help="the export rule's question as it is (an up rating)")
    how.add_argument("--answer", help="the gold answer, verbatim from the document (with --evidence, --doc)")
    how.add_argument("--unanswerable", action="store_true", help="the documents do not answer the question")
    how.add_argument("--clear", action="store_true", help="forget the review")
    p.add_argument("--evidence", help="10-200 characters of the document holding the answer")
    p.add_argument("--doc", help="the document's file name")
    p.add_argument("--section", help="heading path above the evidence (informative)")
    p.add_argument("--type", choices=reviews.TYPES, help="question type (default: list or factoid from the question)")
    p.set_defaults(func=bind(cmd_review))

    p = actions.add_parser("export", help="write ratings as a question set (shared/eval/FORMAT.md) for `qa eval`")
    p.add_argument("--out", required=True, help="the JSONL file to write")
    common(p)
    filters(p)
    p.set_defaults(func=bind(cmd_export))
