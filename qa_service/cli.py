"""The `qa` command: a thin face over the ingestion and QA services.

Flags override QA_* environment variables, which override defaults (see qa_service.settings).
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Callable, Sequence

from qa_service.settings import Settings, SettingsError

log = logging.getLogger("qa")


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        index_dir=Path(args.index) if getattr(args, "index", None) else None,
        retriever=getattr(args, "retriever", None),
        embedding_model=getattr(args, "model", None),
        chunk_tokens=getattr(args, "chunk_tokens", None),
        chunk_overlap_tokens=getattr(args, "chunk_overlap", None),
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
    )


def cmd_ingest(args: argparse.Namespace) -> int:
    """Sync the index with the given files and folders (exit status: see qa_service.document_commands)."""
    from qa_service.document_commands import ingest

    return ingest(args, _settings(args))


def _service(args: argparse.Namespace):
    from qa_service.service import QAService

    return QAService.from_settings(_settings(args))


def cmd_search(args: argparse.Namespace) -> int:
    passages = _service(args).search(args.query, args.top_k)
    if args.json:
        _print_json({"query": args.query, "results": [p.to_dict() for p in passages]})
        return 0
    for rank, p in enumerate(passages, 1):
        sys.stdout.write(f"{rank}. [{p.score:.3f}] {p.chunk.doc} | {p.chunk.title} | {p.chunk.section}\n"
                         f"   {p.chunk.text[:160].replace(chr(10), ' ')}\n")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    answer = _service(args).ask(args.question, args.top_k)
    if args.json:
        _print_json({"question": args.question, **answer.to_dict()})
        return 0
    sys.stdout.write(answer.answer + "\n")
    for c in answer.citations:
        sys.stdout.write(f"[{c.ref}] {c.passage.chunk.doc} · {c.passage.chunk.title} · {c.passage.chunk.section} "
                         f"(lines {c.passage.chunk.line_start}-{c.passage.chunk.line_end})\n")
    return 0


def serving_refusal(settings: Settings, workers: int) -> str | None:
    """Why `qa serve` must not start with these settings, or None."""
    lite = settings.vector_store == "milvus" and not settings.milvus_uri.startswith(("http://", "https://"))
    if lite and workers > 1:
        return (f"Milvus Lite (QA_MILVUS_URI={settings.milvus_uri}) can be opened by one process only, so with "
                f"--workers {workers} all but one worker could not answer (measured: half of the requests got 503). "
                "Serve with --workers 1 (its threads still answer concurrently) or use a Milvus server "
                "(QA_MILVUS_URI=http://host:19530)")
    return None


def _warn_about_limits(settings: Settings, threads: int, keys: int) -> None:
    if not keys and not settings.listens_on_loopback:
        log.warning("listening on %s without API keys: questions are open to every client and uploads, deletions "
                    "and /admin/* are refused; set QA_API_KEYS (key:role) to allow them", settings.host)
    if settings.max_requests_per_client >= threads:
        log.warning("QA_MAX_REQUESTS_PER_CLIENT=%d is not below --threads %d: one client can hold every serving "
                    "thread", settings.max_requests_per_client, threads)


def cmd_serve(args: argparse.Namespace) -> int:
    from qa_service.api.app import create_app
    from qa_service.api.keys import KeyRing
    from qa_service.service import QAService

    settings = _settings(args)
    workers = 1 if args.debug else args.workers
    refusal = serving_refusal(settings, workers)
    if refusal is not None:
        log.error("%s", refusal)
        return 2
    _warn_about_limits(settings, args.threads, len(KeyRing.from_settings(settings)))  # bad keys: exit 2 here
    if workers > 1:
        from qa_service.api.gunicorn_server import QAGunicorn

        log.info("serving on http://%s:%d with %d gunicorn workers x %d threads", settings.host, settings.port,
                 workers, args.threads)
        QAGunicorn(settings, workers, args.threads).run()
        return 0
    service = QAService.from_settings(settings, strict=False)
    app = create_app(service, settings)
    if args.debug:
        app.run(host=settings.host, port=settings.port, debug=True, use_reloader=False)
        return 0
    from qa_service.api.waitress_server import serve

    log.info("serving on http://%s:%d (ready: %s)", settings.host, settings.port, service.ready)
    serve(app, settings, args.threads)
    return 0


def cmd_fetch_model(args: argparse.Namespace) -> int:
    from embeddings.model_fetch import resolve_model_path

    settings = _settings(args)
    path = resolve_model_path(settings.embedding_model, settings.model_cache_dir)
    log.info("embedding model %s: %s", settings.embedding_model, path)
    if settings.embedding_backend == "openvino":  # export once (again only when stale) ahead of serving
        from embeddings.model_export import ensure_export_for_model

        export = ensure_export_for_model(settings.embedding_model, settings.model_cache_dir,
                                         settings.embedding_precision, settings.corpus_dir)
        log.info("OpenVINO %s export: %s", settings.embedding_precision, export)
    return 0


def cmd_reload(args: argparse.Namespace) -> int:
    """Ask a running server to load its index's current version (after `qa ingest`)."""
    import urllib.error
    import urllib.request

    from qa_service.api.keys import Role, plain_key_for

    settings = _settings(args)
    url = (args.url or f"http://{settings.host}:{settings.port}").rstrip("/") + "/admin/reload"
    key = args.api_key or plain_key_for(settings.api_keys, Role.ADMIN)
    req = urllib.request.Request(url, data=b"{}", method="POST", headers={
        "Content-Type": "application/json", "X-Requested-With": "qa-cli",
        **({"Authorization": f"Bearer {key}"} if key else {})})
    try:
        with urllib.request.urlopen(req, timeout=300) as resp:
            body = json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        log.error("reload refused (%s): %s", exc.code, exc.read().decode(errors="replace")[:500])
        return 1
    except OSError as exc:
        log.error("cannot reach %s: %s", url, exc)
        return 2
    log.info("reloaded: %s -> %s", body.get("previous"), body.get("index_version"))
    return 0


def cmd_api_key(args: argparse.Namespace) -> int:
    """Make a random API key and the QA_API_KEYS_FILE line that grants it a role (only its sha256 is stored)."""
    from qa_service.api.keys import Role, new_key_line

    try:
        key, line = new_key_line(Role.parse(args.role), args.name)
    except ValueError as exc:
        log.error("%s", exc)
        return 2
    sys.stdout.write(f"key (give it to the client; it is stored nowhere): {key}\n"
                     f"line for QA_API_KEYS_FILE: {line}\n")
    return 0


def _print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qa", description="Question answering with citations over Chinese documents")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser, retriever: bool = True) -> None:
        p.add_argument("--index", help="index directory (default: QA_INDEX_DIR or var/index in the project)")
        p.add_argument("--model", help="embedding model (default: QA_EMBEDDING_MODEL or m3e-small)")
        p.add_argument("--chunk-tokens", type=int, dest="chunk_tokens", help="chunk size in tiktoken tokens")
        p.add_argument("--chunk-overlap", type=int, dest="chunk_overlap", help="chunk overlap in tokens")
        if retriever:
            p.add_argument("--retriever", choices=["bm25", "dense", "hybrid"], help="retriever (default: hybrid)")

    p = sub.add_parser("ingest", help="build the index from files or folders")
    p.add_argument("paths", nargs="*", help="files or folders (default: the bundled corpus)")
    common(p, retriever=False)
    p.add_argument("--if-stale", action="store_true", help="do nothing when the index is already up to date")
    p.add_argument("--rebuild", action="store_true", help="process every document again instead of carrying "
                   "unchanged ones over (the embedding cache still applies)")
    p.add_argument("--json", action="store_true", help="print the ingest report as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_ingest)

    for name, func, arg, help_text in (("search", cmd_search, "query", "retrieve passages"),
                                       ("ask", cmd_ask, "question", "answer a question with citations")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument(arg)
        p.add_argument("--top-k", type=int, default=5, dest="top_k")
        p.add_argument("--json", action="store_true", help="print the API's JSON")
        common(p)
        p.set_defaults(func=func)

    p = sub.add_parser("serve", help="serve the HTTP API")
    common(p)
    p.add_argument("--host", help="bind address (default: QA_HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default: QA_PORT or 8000)")
    p.add_argument("--threads", type=int, default=8, help="threads per worker process")
    p.add_argument("--workers", type=int, default=1,
                   help="worker processes; 1 = waitress in this process, more = gunicorn (each loads the model)")
    p.add_argument("--debug", action="store_true", help="Flask's development server (never in production)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("api-key", help="make an API key and its line for QA_API_KEYS_FILE")
    p.add_argument("--role", default="read", choices=["read", "write", "admin"], help="what the key may do")
    p.add_argument("--name", required=True, help="a name for logs and messages (A-Z a-z 0-9 _ . @ -)")
    p.set_defaults(func=cmd_api_key)

    p = sub.add_parser("reload", help="make a running server load the newest index version")
    p.add_argument("--url", help="server base URL (default: http://QA_HOST:QA_PORT)")
    p.add_argument("--api-key", dest="api_key", help="bearer key (default: the first admin key of QA_API_KEYS)")
    p.set_defaults(func=cmd_reload)

    from qa_service import document_commands

    document_commands.register(sub, common, _settings)

    p = sub.add_parser("fetch-model", help="fetch and verify the embedding model, and export it for "
                       "QA_EMBEDDING_BACKEND=openvino (cached)")
    p.add_argument("--model", help="embedding model (default: QA_EMBEDDING_MODEL or m3e-small)")
    p.set_defaults(func=cmd_fetch_model)

    try:
        from eval import ablation, commands
    except ImportError:  # evaluation harness not installed
        pass
    else:
        commands.register(sub)
        ablation.register(sub)
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

        if isinstance(exc, (DocumentError, IndexStoreError, ModelFetchError, FileNotFoundError)):
            log.error("%s", exc)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
