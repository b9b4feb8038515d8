"""Memory of a serving process with many knowledge bases: resident memory as each is asked a question, with all of
them kept loaded and with QA_KB_MAX_LOADED below their number.

    python -m benchmarks.knowledge_bases_memory build --work DIR [--kbs 20]        # once: the knowledge bases
    python -m benchmarks.knowledge_bases_memory measure --work DIR --max-loaded 4  # a fresh process per figure

`build` cuts the largest corpus file into --kbs parts at line boundaries and ingests each into its own knowledge
base (the embedding cache makes a second build cheap); `default` holds the smallest corpus file. `measure` builds
the serving composition root (the model loaded once), then asks one question of each knowledge base in turn
through the Flask app, reading VmRSS from /proc after each, and prints JSON; at the end it counts the QAService
objects still alive and reads VmRSS again after gc and glibc's malloc_trim (what unloading gave back).
"""
from __future__ import annotations

import argparse
import ctypes
import gc
import json
import logging
import sys
from pathlib import Path

from benchmarks.common import hwm_mib, rss_mib
from qa_service.settings import PROJECT_ROOT, Settings

CORPUS = PROJECT_ROOT / "data" / "corpus"
log = logging.getLogger("benchmarks.knowledge_bases_memory")


def _settings(work: Path, **overrides) -> Settings:
    return Settings.from_env(index_dir=work / "index", kb_root=str(work / "kbs"), background_embedding=False,
                             **overrides)


def build(work: Path, count: int) -> None:
    from qa_service.ingestion import IngestionService
    from qa_service.knowledge_bases import KnowledgeBaseStore

    settings = _settings(work)
    files = sorted(CORPUS.glob("*.txt"), key=lambda p: p.stat().st_size)
    IngestionService(settings).run([files[0]], show_progress=False)
    lines = files[-1].read_text(encoding="utf-8").splitlines(keepends=True)
    store = KnowledgeBaseStore(settings)
    parts = work / "parts"
    parts.mkdir(parents=True, exist_ok=True)
    size = len(lines) // count + 1
    for i in range(count):
        name = f"kb{i:02d}"
        part = parts / f"{name}.txt"
        part.write_text("".join(lines[i * size:(i + 1) * size]), encoding="utf-8")
        if name not in store.names():
            store.create(name)
        IngestionService(store.settings_for(store.get(name))).run([part], show_progress=False)
        log.info("built %s", name)


def measure(work: Path, max_loaded: int) -> dict:
    from qa_service.api.app import create_app
    from qa_service.composition import ServiceRoot

    settings = _settings(work, kb_max_loaded=max_loaded)
    root = ServiceRoot(settings, serving=True).warm_up(strict=True)
    client = create_app(root).test_client()
    names = [n for n in root.kbs.names() if n != "default"]
    first = client.post("/v1/ask", json={"question": "这份文件讲了什么？"})
    assert first.status_code == 200, first.get_data(as_text=True)
    before = rss_mib()
    after_each = []
    for name in names:
        line = next(l for l in (work / "parts" / f"{name}.txt").read_text(encoding="utf-8").splitlines()
                    if len(l.strip()) >= 12)
        resp = client.post(f"/v1/kbs/{name}/ask", json={"question": line.strip()[:30] + "是什么？"})
        assert resp.status_code == 200, resp.get_data(as_text=True)
        after_each.append(round(rss_mib() or 0.0, 1))
    gc.collect()
    live = sum(1 for o in gc.get_objects() if type(o).__name__ == "QAService")
    _malloc_trim()
    return {"knowledge_bases": len(names), "live_qa_services": live,
            "rss_mib_after_gc_and_malloc_trim": round(rss_mib() or 0.0, 1), "max_loaded": max_loaded, "loaded_at_end": len(root.kbs.loaded()),
            "rss_mib_default_only": round(before or 0.0, 1), "rss_mib_after_each": after_each,
            "rss_mib_end": after_each[-1], "hwm_mib": round(hwm_mib() or 0.0, 1),
            "passages_per_kb": [_passages(root, n) for n in names], "default_passages": _passages(root, "default")}


def _malloc_trim() -> None:
    """Give freed heap back to the system (glibc keeps it otherwise), so RSS shows what is still referenced."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass


def _passages(root, name: str) -> int:
    from embeddings.index_store import read_manifest

    store = root.kbs.store
    manifest = read_manifest(store.settings_for(store.get(name)).index_dir)
    return manifest.chunk_count if manifest else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("build", "measure"))
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--kbs", type=int, default=20)
    parser.add_argument("--max-loaded", type=int, default=20, dest="max_loaded")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    if args.action == "build":
        build(args.work, args.kbs)
    else:
        sys.stdout.write(json.dumps(measure(args.work, args.max_loaded), ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
