"""`qa eval` and `qa eval-compare`: argparse wiring for the evaluation package.

The `qa` CLI finds `register(subparsers)` through the `qa.commands` entry point (pyproject.toml); each
subcommand's `func(args)` returns an exit code:
0 ok, 2 unusable input (missing/empty question file, unreachable URL, service that cannot start,
unwritable output, unreadable report). Errors are logged as one line, without traceback.
"""
from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import replace
from pathlib import Path

from eval.backends.base import Backend, BackendUnavailable
from eval.dataset import DatasetError, load_question_sets
from eval.report import (ReportError, compare_reports, load_report, render_comparison, render_summary, write_json,
                         write_markdown)
from eval.runner import DEFAULT_ASK_TOP_K, DEFAULT_TOP_K, RunOptions, run_eval

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_UNUSABLE = 2


def setting_choices(name: str) -> tuple[str, ...] | None:
    """The values the service allows for a setting (its own list), or None where the service is not installed
    (then a --url run needs none, and an in-process run fails with a clear message anyway)."""
    try:
        from qa_service.settings import Settings
    except ImportError:
        return None
    return Settings.choices(name)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `eval` and `eval-compare` subcommands to the `qa` CLI."""
    p = subparsers.add_parser(
        "eval",
        help="score the service on a question set",
        description="Score the service on a JSONL question set through /v1/search and /v1/ask, "
        "in process (default, or --index DIR) or against a running deployment (--url).",
    )
    p.add_argument("questions", metavar="QUESTIONS.jsonl", nargs="+",
                   help="question set(s) (format: shared/eval/FORMAT.md); several are scored in one run and "
                   "reported each and as a whole")
    target = p.add_mutually_exclusive_group()
    target.add_argument("--index", metavar="DIR", help="index directory for the in-process service (default: settings)")
    target.add_argument("--url", metavar="URL", help="base URL of a running service, e.g. http://127.0.0.1:8000")
    p.add_argument("--kb", metavar="NAME", help="with --url: a knowledge base of the deployment (default: `default`)")
    p.add_argument("--api-key", dest="api_key", metavar="KEY",
                   help="with --url: the bearer key of a deployment with keys (a read key that reaches --kb)")
    p.add_argument("--top-k", type=_positive_int, default=DEFAULT_TOP_K, help="results requested from /v1/search (default 10)")
    p.add_argument("--ask-top-k", type=_positive_int, default=DEFAULT_ASK_TOP_K, help="top_k sent with /v1/ask (default 5)")
    p.add_argument("--retriever", choices=setting_choices("retriever"), help="retriever of the in-process service (not with --url)")
    p.add_argument("--out", required=True, metavar="REPORT.json", help="where to write the JSON report")
    p.add_argument("--md", metavar="REPORT.md", help="also write a Markdown summary")
    p.add_argument("--timeout", type=_positive_float, default=120.0, help="seconds per HTTP request with --url (default 120)")
    p.add_argument("--limit", type=_positive_int, help="only the first N valid questions (quick checks)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_eval)

    c = subparsers.add_parser(
        "eval-compare",
        help="print metric deltas between two eval reports",
        description="Print metric, a, b, delta (b - a) of two JSON reports, overall and per question type.",
    )
    c.add_argument("a", metavar="A.json")
    c.add_argument("b", metavar="B.json")
    c.set_defaults(func=cmd_eval_compare)


def _fail(message: str) -> int:
    logger.error("%s", message)
    return EXIT_UNUSABLE


def _check_writable(path: Path) -> str | None:
    """Catch an unusable output path before a long run, not after it."""
    if path.is_dir():
        return f"output path is a directory: {path}"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot create output directory {path.parent}: {exc.strerror or exc}"
    return None


def _make_backend(args: argparse.Namespace) -> Backend:
    if args.url:
        from eval.backends.http_backend import HttpBackend

        backend = HttpBackend(args.url, timeout=args.timeout, kb=args.kb, api_key=args.api_key)
        backend.probe()
        return backend
    from eval.backends.inprocess_backend import InProcessBackend

    index = Path(args.index) if args.index else None
    if index is not None and not index.is_dir():
        raise BackendUnavailable(f"index directory not found: {index}")
    return InProcessBackend.from_settings(index_dir=index, retriever=args.retriever)


def cmd_eval(args: argparse.Namespace) -> int:
    """Run the evaluation and write the report(s); returns the exit code."""
    if args.url and args.retriever:
        return _fail("--retriever only applies in process; a deployment given by --url uses its own retriever")
    if args.kb and not args.url:
        return _fail("--kb applies with --url (in process, the index is --index)")
    if args.api_key and not args.url:
        return _fail("--api-key applies with --url (in process, no key is asked)")
    try:
        question_set = load_question_sets(args.questions)
    except DatasetError as exc:
        return _fail(str(exc))
    if not question_set.questions:
        return _fail(f"no usable question in {question_set.path} ({len(question_set.skipped)} malformed line(s))")
    if args.limit:
        question_set = replace(question_set, questions=question_set.questions[: args.limit])
    for out in (args.out, args.md):
        problem = _check_writable(Path(out)) if out else None
        if problem:
            return _fail(problem)

    try:
        backend = _make_backend(args)
        options = RunOptions(top_k=args.top_k, ask_top_k=args.ask_top_k, progress=not args.no_progress)
        report = run_eval(question_set, backend, options, url=args.url, index=args.index, retriever=args.retriever)
    except BackendUnavailable as exc:
        return _fail(str(exc))

    try:
        write_json(report, args.out)
        if args.md:
            write_markdown(report, args.md)
    except OSError as exc:
        return _fail(f"cannot write report: {exc}")

    counts = report.counts
    summary = [
        f"{counts['questions']} questions ({counts['answerable']} answerable, {counts['unanswerable']} unanswerable), "
        f"{counts['skipped_lines']} skipped line(s), {counts['errors']} with errors",
        render_summary(report).rstrip("\n"),
        f"report: {args.out}" + (f", {args.md}" if args.md else ""),
    ]
    sys.stdout.write("\n".join(summary) + "\n")
    return EXIT_OK


def cmd_eval_compare(args: argparse.Namespace) -> int:
    """Print the deltas of two reports; returns the exit code."""
    try:
        a, b = load_report(args.a), load_report(args.b)
    except ReportError as exc:
        return _fail(str(exc))
    sys.stdout.write(render_comparison(compare_reports(a, b), a, b, args.a, args.b))
    return EXIT_OK
