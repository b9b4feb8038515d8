"""`qa eval-ablate`: the ablation table (retriever, reranker, ask top_k, chunk size), in one command.

Like any user it drives the system through the `qa` command: `qa ingest` builds one index per chunk
size (an unchanged index is reused, and the embedding cache makes rebuilds cheap), and `qa eval`
scores each variant in a separate process with that variant's settings in its environment.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from eval.report import format_value, load_report

logger = logging.getLogger(__name__)

TABLE_METRICS = ("hit@1", "hit@5", "mrr@10", "ndcg@10", "answer_contains", "answer_char_f1", "citation_hit",
                 "citation_precision", "abstain_precision", "abstain_recall", "p50_ask_ms", "p95_ask_ms")


@dataclass(frozen=True)
class Variant:
    name: str
    chunk_tokens: int
    retriever: str
    ask_top_k: int
    env: dict[str, str] = field(default_factory=dict)


def plan(chunk_sizes: list[int], default_chunk: int, retrievers: list[str], ask_top_ks: list[int],
         rerankers: list[str] = (), default_retriever: str = "hybrid", default_ask_top_k: int = 5,
         default_reranker: str = "sentence-evidence", readers: list[str] = (),
         default_reader: str = "detail") -> list[Variant]:
    """One axis at a time around the default configuration (which appears once, first)."""
    variants = [Variant("default", default_chunk, default_retriever, default_ask_top_k)]
    variants += [Variant(f"retriever={r}", default_chunk, r, default_ask_top_k) for r in retrievers
                 if r != default_retriever]
    variants += [Variant(f"reranker={r}", default_chunk, default_retriever, default_ask_top_k, {"QA_RERANKER": r})
                 for r in rerankers if r != default_reranker]
    variants += [Variant(f"reader={r}", default_chunk, default_retriever, default_ask_top_k, {"QA_READER": r})
                 for r in readers if r != default_reader]
    variants += [Variant(f"ask top_k={k}", default_chunk, default_retriever, k) for k in ask_top_ks
                 if k != default_ask_top_k]
    variants += [Variant(f"chunk={c} tokens", c, default_retriever, default_ask_top_k) for c in chunk_sizes
                 if c != default_chunk]
    return variants


def _qa(*args: str, env: dict[str, str]) -> None:
    command = [sys.executable, "-m", "qa_service.cli", *args]
    logger.info("running: qa %s", " ".join(args))
    subprocess.run(command, env=env, check=True)


def run_ablation(questions: list[Path], corpus: Path, out_dir: Path, variants: list[Variant], overlap_ratio: float) -> list[
        tuple[Variant, dict]]:
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for variant in variants:
        overlap = int(round(variant.chunk_tokens * overlap_ratio))
        index_dir = out_dir / f"index-c{variant.chunk_tokens}"
        env = {**os.environ, "QA_CHUNK_TOKENS": str(variant.chunk_tokens), "QA_CHUNK_OVERLAP_TOKENS": str(overlap),
               "QA_INDEX_DIR": str(index_dir), **variant.env}
        _qa("ingest", str(corpus), "--if-stale", "--quiet", env=env)
        slug = variant.name.replace(" ", "_").replace("=", "-")
        report_path = out_dir / f"{slug}.json"
        _qa("eval", *map(str, questions), "--retriever", variant.retriever, "--ask-top-k", str(variant.ask_top_k),
            "--out", str(report_path), "--no-progress", env=env)
        results.append((variant, load_report(report_path)))
    return results


def render_table(results: list[tuple[Variant, dict]]) -> str:
    header = "| variant | chunk | retriever | ask top_k | " + " | ".join(TABLE_METRICS) + " |"
    lines = [header, "|" + "---|" * (4 + len(TABLE_METRICS))]
    for variant, report in results:
        metrics = report["metrics"]
        cells = [format_value(m, metrics.get(m)) for m in TABLE_METRICS]
        lines.append(f"| {variant.name} | {variant.chunk_tokens} | {variant.retriever} | {variant.ask_top_k} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _int_list(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def register(subparsers: argparse._SubParsersAction) -> None:
    from eval.commands import setting_choices

    retrievers = setting_choices("retriever") or ()  # ablation runs `qa`: without the service it cannot run
    rerankers = setting_choices("reranker") or ()
    readers = setting_choices("reader") or ()
    p = subparsers.add_parser("eval-ablate", help="run the ablation table (retriever, ask top_k, chunk size)")
    p.add_argument("questions", metavar="QUESTIONS.jsonl", nargs="+", help="question set(s), scored together")
    p.add_argument("--corpus", default=None, help="corpus folder (default: the bundled corpus)")
    p.add_argument("--out-dir", default="var/ablation", help="indexes and reports of each variant")
    p.add_argument("--chunk-sizes", type=_int_list, default=[200, 320, 450])
    p.add_argument("--default-chunk", type=int, default=None, help="default: QA_CHUNK_TOKENS or the built-in default")
    p.add_argument("--overlap-ratio", type=float, default=0.25, help="overlap as a share of the chunk size")
    p.add_argument("--retrievers", default=",".join(retrievers))
    p.add_argument("--ask-top-ks", type=_int_list, default=[3, 5, 10])
    p.add_argument("--rerankers", default=",".join(rerankers))
    p.add_argument("--readers", default=",".join(readers))
    p.add_argument("--md", help="write the table to this Markdown file")
    p.set_defaults(func=cmd_eval_ablate)


def cmd_eval_ablate(args: argparse.Namespace) -> int:
    from qa_service.settings import Settings

    settings = Settings.from_env()
    default_chunk = args.default_chunk or settings.chunk_tokens
    variants = plan(args.chunk_sizes, default_chunk, args.retrievers.split(","), args.ask_top_ks,
                    args.rerankers.split(","), default_reranker=settings.reranker,
                    readers=args.readers.split(","), default_reader=settings.reader)
    corpus = Path(args.corpus) if args.corpus else settings.corpus_dir
    try:
        results = run_ablation([Path(q) for q in args.questions], corpus, Path(args.out_dir), variants, args.overlap_ratio)
    except subprocess.CalledProcessError as exc:
        logger.error("a step failed (exit %s): %s", exc.returncode, " ".join(map(str, exc.cmd[2:])))
        return 2
    table = render_table(results)
    sys.stdout.write(table)
    if args.md:
        Path(args.md).write_text(table, encoding="utf-8")
    summary = {v.name: r["metrics"] for v, r in results}
    (Path(args.out_dir) / "ablation.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0
