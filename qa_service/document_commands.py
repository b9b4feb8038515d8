"""`qa ingest` and `qa docs list|add|remove`: thin command-line faces over ingestion and the knowledge base,
both taken from the composition root (a command's root: nothing is loaded that the command does not use).

Exit status of `qa ingest` and `qa docs add`: 0 every file went in (or nothing changed); 3 some files
were refused (each named on stderr) and the others went in; 2 an error, nothing written; 130
interrupted, the previous index unchanged. A running `qa serve` picks the new version up by itself.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from pathlib import Path
from typing import Any, Callable

from qa_service.settings import Settings

log = logging.getLogger("qa")

EXIT_OK, EXIT_ERROR, EXIT_SOME_FAILED, EXIT_INTERRUPTED = 0, 2, 3, 130


def _print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _root(settings: Settings):
    from qa_service.composition import ServiceRoot

    return ServiceRoot(settings)


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    """Sync the index with the given files and folders (exit status: see the module docstring)."""
    from qa_service.ingestion import EmptyIndex

    paths = [Path(p) for p in args.paths] or [settings.corpus_dir]
    service = _root(settings).ingestion
    if args.if_stale and not args.rebuild and service.is_current(paths, lexical=args.lexical):
        log.info("index at %s is up to date; nothing to do", settings.index_dir)
        return EXIT_OK
    try:
        report = service.sync(paths, rebuild=args.rebuild, show_progress=not args.quiet, lexical=args.lexical)
    except KeyboardInterrupt:
        log.error("interrupted: the previous index at %s is unchanged", settings.index_dir)
        return EXIT_INTERRUPTED
    except EmptyIndex as exc:
        log.error("%s; the index at %s is unchanged", exc, settings.index_dir)
        return EXIT_ERROR
    if report.skipped:
        log.info("skipped %d file(s) of unsupported types: %s", len(report.skipped), ", ".join(report.skipped[:10]))
    if not report.written:
        log.info("index at %s is up to date (%s): %d documents, %d chunks; nothing written", settings.index_dir,
                 report.index_version, report.documents, report.chunks)
    elif args.lexical and service.current_contents(with_rows=False).pending:
        log.info("indexed %d documents, %d chunks into %s (%s) for lexical retrieval in %.1f s: %d added, %d updated, "
                 "%d removed, %d unchanged; `qa serve` answers now and makes the vectors in the background",
                 report.documents, report.chunks, settings.index_dir, report.index_version, report.total_seconds,
                 len(report.added), len(report.updated), len(report.removed), len(report.unchanged))
    else:
        by_model = "" if report.model_chunks is None else f" ({report.model_chunks} by the model, the rest cached)"
        log.info("indexed %d documents, %d chunks into %s (%s)%s: %d added, %d updated, %d removed, %d unchanged; "
                 "%d chunks embedded%s; %.1f s: load+clean+chunk %.1f s, embed %.1f s, index %.1f s",
                 report.documents, report.chunks, settings.index_dir, report.index_version,
                 " rebuilt in full" if report.rebuilt else "", len(report.added), len(report.updated),
                 len(report.removed), len(report.unchanged), report.embedded_chunks, by_model, report.total_seconds,
                 report.load_clean_chunk_seconds, report.embed_seconds, report.index_seconds)
    if report.failures:
        log.error("%d file(s) not indexed (the others were): %s", len(report.failures),
                  "; ".join(f.message for f in report.failures))
    if args.json:
        _print_json({**dataclasses.asdict(report), "failures": [dataclasses.asdict(f) for f in report.failures]})
    return EXIT_SOME_FAILED if report.failures else EXIT_OK


def _documents(settings: Settings):
    return _root(settings).documents


def vectors_state(settings: Settings) -> dict[str, Any] | None:
    """Where the current version's vectors stand (None: no index): complete, or n of N passages embedded and the
    time left, as the background embedder last noted it."""
    from embeddings.index_store import IndexStoreError, current_version_dir, read_manifest
    from embeddings.pending_vectors import read_progress

    try:
        manifest = read_manifest(settings.index_dir)
        version = current_version_dir(settings.index_dir)
    except IndexStoreError:
        return None
    if manifest is None or version is None:
        return None
    if not manifest.pending:
        return {"state": "complete", "embedded": manifest.chunk_count, "total": manifest.chunk_count}
    progress = read_progress(settings.index_dir)
    if progress is None or progress.version != version.name:
        return {"state": "waiting", "embedded": None, "total": manifest.chunk_count, "seconds_left": None}
    return progress.to_public()


def describe_vectors(state: dict[str, Any]) -> str:
    if state["state"] == "complete":
        return f"vectors: complete ({state['total']} passages; hybrid retrieval)"
    if state["state"] == "waiting":
        return (f"vectors: not made yet for {state['total']} passages (lexical retrieval; a running `qa serve` makes "
                "them, or `qa ingest`)")
    left = state.get("seconds_left")
    eta = f", about {left / 60:.0f} min left" if left is not None and left >= 90 else (
        f", about {left:.0f} s left" if left is not None else "")
    doing = {"model": "fetching and loading the model", "passages": "embedding passages",
             "terms": "embedding the BM25 terms (close words)", "switching": "writing the complete version"}
    return (f"vectors: {state['embedded']} of {state['total']} passages embedded ({doing.get(state['phase'], '')}"
            f"{eta}; lexical retrieval until complete)")


def cmd_docs_list(args: argparse.Namespace, settings: Settings) -> int:
    records = _documents(settings).list()
    state = vectors_state(settings)
    if args.json:
        _print_json({"documents": [r.to_dict() for r in records], "vectors": state})
        return EXIT_OK
    for r in records:
        pages = f"{r.pages} pages, " if r.pages else ""
        sys.stdout.write(f"{r.id}  {r.name}  [{r.origin}, {r.format}, {pages}{r.chunks} chunks, added {r.added_at}]\n")
    if not records:
        sys.stdout.write("no documents indexed\n")
    if state is not None:
        sys.stdout.write(describe_vectors(state) + "\n")
    return EXIT_OK


def cmd_docs_add(args: argparse.Namespace, settings: Settings) -> int:
    from qa_service.document_service import DocumentRejected, rejection
    from qa_service.ingestion import FileTooLarge

    documents = _documents(settings)
    files: list[tuple[str, bytes]] = []
    refused: list[DocumentRejected] = []
    for given in args.files:
        path = Path(given)
        try:
            documents.ingestion.check_size(str(path), path.stat().st_size)
            files.append((path.name, path.read_bytes()))
        except FileTooLarge as exc:
            refused.append(rejection(path.name, exc))
        except OSError as exc:
            refused.append(DocumentRejected(path.name, "unreadable_document", f"{path}: cannot read: {exc}"))
    results, rejected = documents.add_many(files) if files else ([], [])
    refused.extend(rejected)
    for result in results:
        record = result.record
        sys.stdout.write(f"{result.status}: {record.id}  {record.name}  ({record.chunks} chunks)\n")
    for r in refused:
        log.error("not added (%s): %s", r.code, r.message)
    if refused:
        return EXIT_SOME_FAILED if results else EXIT_ERROR
    return EXIT_OK


def cmd_docs_remove(args: argparse.Namespace, settings: Settings) -> int:
    from qa_service.document_service import DocumentNotFound, KnowledgeBaseConflict

    documents = _documents(settings)
    status = EXIT_OK
    for target in args.documents:
        try:
            record = documents.remove(target)
        except (DocumentNotFound, KnowledgeBaseConflict) as exc:
            log.error("%s", exc)
            status = EXIT_ERROR
            continue
        sys.stdout.write(f"removed: {record.id}  {record.name}\n")
    return status


def register(sub: Any, common: Callable[..., None], bind: Callable[[Callable], Callable]) -> None:
    """Add `qa ingest` and `qa docs list|add|remove` to the `qa` parser."""
    from documents.loaders.file_types import SUPPORTED_EXTENSIONS

    p = sub.add_parser("ingest", help="build the index from files or folders")
    p.add_argument("paths", nargs="*", help="files or folders (default: QA_CORPUS_DIR, the bundled corpus)")
    common(p, retriever=False)
    p.add_argument("--if-stale", action="store_true", help="do nothing when the index is already up to date")
    p.add_argument("--rebuild", action="store_true", help="process every document again instead of carrying "
                   "unchanged ones over (the embedding cache still applies)")
    p.add_argument("--json", action="store_true", help="print the ingest report as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--lexical", action="store_true", help="write a lexical version now (chunks and BM25: no model, "
                   "seconds) and leave the vectors to `qa serve`, which makes them in the background and switches to "
                   "hybrid retrieval when they are complete (`make run` does this)")
    p.set_defaults(func=bind(cmd_ingest))

    docs = sub.add_parser("docs", help="list, add and remove indexed documents")
    actions = docs.add_subparsers(dest="docs_command", required=True)

    p = actions.add_parser("list", help="the documents of the current index version")
    p.add_argument("--json", action="store_true", help="full records as JSON (with source paths)")
    common(p, retriever=False)
    p.set_defaults(func=bind(cmd_docs_list))

    p = actions.add_parser("add", help="add files as uploaded documents (kept beside the index; a folder sync "
                                       "never removes them)")
    p.add_argument("files", nargs="+", help=f"files to add ({' '.join(sorted(SUPPORTED_EXTENSIONS))})")
    common(p, retriever=False)
    p.set_defaults(func=bind(cmd_docs_add))

    p = actions.add_parser("remove", help="remove documents by id (or by a name only one document has)")
    p.add_argument("documents", nargs="+", metavar="ID_OR_NAME")
    common(p, retriever=False)
    p.set_defaults(func=bind(cmd_docs_remove))
