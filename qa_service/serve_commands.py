"""`qa serve`, `qa mcp`, `qa reload` and `qa api-key`: the serving faces of the `qa` command."""
from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from typing import Any, Callable, Iterator

from qa_service.settings import Settings

log = logging.getLogger("qa")


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


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from qa_service.api.keys import KeyRing

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
        QAGunicorn(settings, workers, args.threads).run()  # each worker builds its own ServiceRoot
        return 0
    from qa_service.api.app import create_app
    from qa_service.composition import ServiceRoot

    root = ServiceRoot(settings, serving=True).warm_up()
    app = create_app(root)
    if args.debug:
        app.run(host=settings.host, port=settings.port, debug=True, use_reloader=False)
        return 0
    from qa_service.api.waitress_server import serve

    log.info("serving on http://%s:%d (ready: %s)", settings.host, settings.port, root.qa.ready)
    serve(app, settings, args.threads)
    return 0


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Anything written to standard output (a library's print, C code) goes to standard error meanwhile: over
    stdio, standard output is the MCP connection and one stray line would break it."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def cmd_mcp(args: argparse.Namespace, settings: Settings) -> int:
    """The MCP server: over stdio for a client that starts it (local, trusted as the CLI is), or over streamable
    HTTP with the HTTP API's keys (qa_service/mcp_server/)."""
    from qa_service.api.keys import KeyRing
    from qa_service.composition import ServiceRoot

    settings = settings.with_overrides(mcp_port=args.mcp_port)
    if args.transport == "stdio":
        from qa_service.mcp_server.tools import create_mcp_server

        with _stdout_to_stderr():
            root = ServiceRoot(settings).warm_up()
        log.info("MCP over stdio (ready: %s)", root.qa.ready)
        create_mcp_server(root).run("stdio")
        return 0
    keys = len(KeyRing.from_settings(settings))  # bad keys: exit 2 here
    if not keys and not settings.listens_on_loopback:
        log.warning("MCP listening on %s without API keys: its tools are open to every client; set QA_API_KEYS",
                    settings.host)
    from qa_service.knowledge_bases import DEFAULT_KB
    from qa_service.mcp_server.http import MCP_PATH, serve

    root = ServiceRoot(settings).warm_up()
    log.info("MCP over streamable HTTP at http://%s:%d%s (ready: %s, %s)", settings.host, settings.mcp_port,
             MCP_PATH, root.qa.ready, f"{keys} API keys" if keys else "no API keys")
    serve(root, getattr(args, "kb", None) or DEFAULT_KB)
    return 0


def cmd_reload(args: argparse.Namespace, settings: Settings) -> int:
    """Ask a running server to load its index's current version (after `qa ingest`)."""
    import urllib.error
    import urllib.request

    from qa_service.api.keys import Role, plain_key_for

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
        key, line = new_key_line(Role.parse(args.role), args.name, tuple(args.kb or ()))
    except ValueError as exc:
        log.error("%s", exc)
        return 2
    sys.stdout.write(f"key (give it to the client; it is stored nowhere): {key}\n"
                     f"line for QA_API_KEYS_FILE: {line}\n")
    return 0


def register(sub: Any, common: Callable[..., None], bind: Callable[[Callable], Callable]) -> None:
    """Add `qa serve`, `qa mcp`, `qa api-key` and `qa reload` to the `qa` parser."""
    p = sub.add_parser("serve", help="serve the HTTP API (every knowledge base)")
    common(p, kb=False)
    p.add_argument("--host", help="bind address (default: QA_HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default: QA_PORT or 8000)")
    p.add_argument("--threads", type=int, default=8, help="threads per worker process")
    p.add_argument("--workers", type=int, default=1,
                   help="worker processes; 1 = waitress in this process, more = gunicorn (each loads the model)")
    p.add_argument("--debug", action="store_true", help="Flask's development server (never in production)")
    p.set_defaults(func=bind(cmd_serve))

    p = sub.add_parser("mcp", help="serve the tools search, ask and list_documents over MCP (stdio or HTTP)")
    common(p)
    p.add_argument("--transport", choices=("stdio", "streamable-http"), default="stdio",
                   help="stdio: started by the MCP client on this machine; streamable-http: at http://HOST:PORT/mcp, "
                        "with the HTTP API's keys")
    p.add_argument("--host", help="bind address for streamable-http (default: QA_HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, dest="mcp_port", help="port for streamable-http (default: QA_MCP_PORT or 8001)")
    p.set_defaults(func=bind(cmd_mcp))

    from qa_service.api.keys import Role

    p = sub.add_parser("api-key", help="make an API key and its line for QA_API_KEYS_FILE")
    p.add_argument("--role", default=Role.READ.label, choices=[r.label for r in Role], help="what the key may do")
    p.add_argument("--name", required=True, help="a name for logs and messages (A-Z a-z 0-9 _ . @ -)")
    p.add_argument("--kb", action="append", metavar="NAME",
                   help="a knowledge base the key reaches (repeat for several; default: every one)")
    p.set_defaults(func=cmd_api_key)  # needs no settings: works whatever QA_* says

    p = sub.add_parser("reload", help="make a running server load the newest index version")
    p.add_argument("--url", help="server base URL (default: http://QA_HOST:QA_PORT)")
    p.add_argument("--api-key", dest="api_key", help="bearer key (default: the first admin key of QA_API_KEYS)")
    p.set_defaults(func=bind(cmd_reload))
