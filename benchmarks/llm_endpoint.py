"""Score any OpenAI-compatible model as the service's answer writer, on the dev sets, through the HTTP API.

    python -m benchmarks.llm_endpoint --base-url URL --model M [--api-key KEY] [--index DIR] [--limit N]
                                      [--out REPORT.json] [--md REPORT.md] [QUESTIONS.jsonl ...]
    python -m benchmarks.llm_endpoint --stand-in [...]   # smoke run: no model (benchmarks/stand_in_llm.py)

`qa serve` is spawned on the index (default: the settings' QA_INDEX_DIR) with QA_LLM_BASE_URL, QA_LLM_MODEL and
QA_LLM_API_KEY pointing at the endpoint; the question files (default: the three dev sets) are then scored by
`qa eval --url`'s runner (eval/): answer contains and char-F1, citation precision and hit, abstention,
/v1/ask latency p50/p95, plus who wrote each answer (generator, finish_reason, revision) and the tokens the
model reported (eval/generation.py). Compare the report with a run without an LLM (`qa eval`) by
`qa eval-compare`. A model run costs the model's time per answered question: --limit for a first look.
"""
from __future__ import annotations

import argparse
import logging
import sys
from contextlib import ExitStack
from pathlib import Path

from benchmarks.common import DEV_SETS, WORK_DIR, start_server, wait_ready
from eval.backends.http_backend import HttpBackend
from eval.dataset import DatasetError, load_question_sets
from eval.report import render_summary, write_json, write_markdown
from eval.runner import RunOptions, run_eval
from qa_service.settings import Settings

log = logging.getLogger("benchmarks.llm_endpoint")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    endpoint = parser.add_mutually_exclusive_group(required=True)
    endpoint.add_argument("--base-url", help="the endpoint, e.g. http://127.0.0.1:8080/v1")
    endpoint.add_argument("--stand-in", action="store_true",
                          help="smoke run against benchmarks/stand_in_llm.py (not a model: its figures judge no model)")
    parser.add_argument("--model", default="", help="the model the endpoint is asked for")
    parser.add_argument("--api-key", default="", help="the key the endpoint wants, if any")
    parser.add_argument("--index", type=Path, help="index directory (default: the settings' QA_INDEX_DIR)")
    parser.add_argument("--limit", type=int, help="only the first N questions of the run")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per HTTP request to the service")
    parser.add_argument("--out", type=Path, default=WORK_DIR / "llm_endpoint.json")
    parser.add_argument("--md", type=Path, help="also write a Markdown summary")
    parser.add_argument("questions", nargs="*", type=Path, default=DEV_SETS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    settings = Settings.from_env()
    if args.index:
        settings = settings.with_overrides(index_dir=args.index)
    try:
        question_set = load_question_sets([str(p) for p in args.questions])
    except DatasetError as exc:
        log.error("%s", exc)
        return 2
    if args.limit:
        from dataclasses import replace

        question_set = replace(question_set, questions=question_set.questions[: args.limit])
    with ExitStack() as stack:
        if args.stand_in:
            from benchmarks.stand_in_llm import serving

            base_url, model = stack.enter_context(serving()), args.model or "stand-in"
        else:
            base_url, model = args.base_url, args.model
        env = {"QA_LLM_BASE_URL": base_url, "QA_LLM_MODEL": model, "QA_LLM_API_KEY": args.api_key}
        WORK_DIR.mkdir(parents=True, exist_ok=True)
        server = start_server(settings, threads=4, env=env, log_file=WORK_DIR / "llm_endpoint-serve.log")
        stack.callback(server.stop)
        log.info("qa serve ready in %.1f s at %s (LLM %s, model %r)", wait_ready(server), server.url, base_url, model)
        backend = HttpBackend(server.url, timeout=args.timeout)
        backend.probe()
        report = run_eval(question_set, backend, RunOptions(progress=sys.stderr.isatty()), url=server.url,
                          index=str(settings.index_dir))
    report.config["llm"] = {"base_url": base_url, "model": model, "stand_in": bool(args.stand_in)}
    write_json(report, args.out)
    if args.md:
        write_markdown(report, args.md)
    sys.stdout.write(render_summary(report) + f"report: {args.out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
