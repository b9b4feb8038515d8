"""`qa kb create|list|rename|delete NAME`: the knowledge bases on this machine's disk (qa_service/knowledge_bases/).

The other commands that use an index take `--kb NAME` (default `default`, the index of `--index`/QA_INDEX_DIR):
`qa ingest --kb hr ./hr-docs`, `qa docs list --kb hr`, `qa ask --kb hr "..."`, `qa mcp --kb hr`. A running
`qa serve` serves every knowledge base and notices these changes before its next request.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any, Callable

from qa_service.settings import Settings, SettingsError

log = logging.getLogger("qa")


def _store(settings: Settings):
    from qa_service.knowledge_bases.store import KnowledgeBaseStore

    return KnowledgeBaseStore(settings)


def kb_settings(base: Settings, name: str | None, flags: dict[str, Any]) -> Settings:
    """The settings of knowledge base `name` (None or `default`: `base`), the command's flags applied last."""
    from qa_service.knowledge_bases import DEFAULT_KB, KnowledgeBaseNotFound

    if not name or name == DEFAULT_KB:
        return base
    store = _store(base)
    try:
        record = store.get(name)
    except KnowledgeBaseNotFound:
        raise SettingsError(f"no knowledge base named {name!r} under {store.root} (`qa kb list`)") from None
    return store.settings_for(record).with_overrides(**flags)


def _run(action: Callable[[], Any]) -> Any:
    from qa_service.knowledge_bases import KnowledgeBaseError

    try:
        return action()
    except KnowledgeBaseError as exc:
        raise SettingsError(exc.message) from None


def cmd_kb_create(args: argparse.Namespace, settings: Settings) -> int:
    overrides = {k: v for k, v in {"chunk_tokens": args.chunk_tokens, "chunk_overlap_tokens": args.chunk_overlap,
                                   "embedding_model": args.model}.items() if v is not None}
    record = _run(lambda: _store(settings).create(args.name, overrides))
    sys.stdout.write(f"created: {record.name}  {json.dumps(record.overrides, ensure_ascii=False)}\n")
    return 0


def cmd_kb_list(args: argparse.Namespace, settings: Settings) -> int:
    store = _store(settings)
    records = [store.get(name) for name in store.names()]
    if args.json:
        sys.stdout.write(json.dumps([{"name": r.name, "default": r.is_default, "created_at": r.created_at or None,
                                      "settings": r.overrides, "index_dir": str(store.settings_for(r).index_dir)}
                                     for r in records], ensure_ascii=False, indent=2) + "\n")
        return 0
    for r in records:
        sys.stdout.write(f"{r.name}  {store.settings_for(r).index_dir}  {json.dumps(r.overrides, ensure_ascii=False)}\n")
    return 0


def cmd_kb_rename(args: argparse.Namespace, settings: Settings) -> int:
    record = _run(lambda: _store(settings).rename(args.name, args.new_name))
    sys.stdout.write(f"renamed: {args.name} -> {record.name}\n")
    return 0


def cmd_kb_delete(args: argparse.Namespace, settings: Settings) -> int:
    _run(lambda: _store(settings).delete(args.name))
    sys.stdout.write(f"deleted: {args.name}\n")
    return 0


def register(sub: Any, bind: Callable[[Callable], Callable]) -> None:
    kb = sub.add_parser("kb", help="create, list, rename and delete knowledge bases")
    actions = kb.add_subparsers(dest="kb_command", required=True)

    def where(p: argparse.ArgumentParser) -> None:
        p.add_argument("--index", help="the `default` index directory; the others are under QA_KB_ROOT (default: "
                                       "`kbs` beside it)")

    p = actions.add_parser("create", help="a new, empty knowledge base (then `qa ingest --kb NAME PATH...`)")
    p.add_argument("name")
    p.add_argument("--chunk-tokens", type=int, dest="chunk_tokens", help="its chunk size (default: the service's)")
    p.add_argument("--chunk-overlap", type=int, dest="chunk_overlap", help="its chunk overlap")
    p.add_argument("--model", help="its embedding model (default: the service's); one more model in memory")
    where(p)
    p.set_defaults(func=bind(cmd_kb_create))
    p = actions.add_parser("list", help="the knowledge bases, `default` first")
    p.add_argument("--json", action="store_true")
    where(p)
    p.set_defaults(func=bind(cmd_kb_list))
    p = actions.add_parser("rename", help="rename one (not `default`)")
    p.add_argument("name")
    p.add_argument("new_name")
    where(p)
    p.set_defaults(func=bind(cmd_kb_rename))
    p = actions.add_parser("delete", help="delete one and its documents (not `default`)")
    p.add_argument("name")
    where(p)
    p.set_defaults(func=bind(cmd_kb_delete))
