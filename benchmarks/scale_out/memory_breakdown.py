"""What one server worker's memory is made of: resident and anonymous memory after each loading step.

    python -m benchmarks.scale_out.memory_breakdown --index var/index
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks.common import smaps_rollup
from qa_service.settings import PROJECT_ROOT


def _memory() -> tuple[float, float]:
    memory = smaps_rollup()
    return memory["Rss"], memory["Anonymous"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=PROJECT_ROOT / "var" / "index")
    args = parser.parse_args()
    steps: list[tuple[str, float, float]] = [("python", *_memory())]

    def step(name: str) -> None:
        steps.append((name, *_memory()))

    import faiss  # noqa: F401
    import numpy  # noqa: F401
    step("numpy, faiss")
    import bm25s  # noqa: F401
    import flask  # noqa: F401
    import jieba  # noqa: F401
    step("flask, jieba, bm25s")
    from embeddings.encoders.factory import build_encoder
    from qa_service.service import QAService
    from qa_service.settings import Settings
    settings = Settings.from_env(index_dir=args.index)
    encoder = build_encoder(settings.encoder_spec)
    step(f"encoder ({settings.embedding_variant}) loaded")
    encoder.encode_query("海淀区有多少所高等院校？")
    step("first query encoded")
    service = QAService.from_settings(settings, encoder)
    step("index loaded, service built")
    service.ask("海淀区有多少所高等院校？", 5)
    step("first answer")
    previous = steps[0][1]
    for name, rss, anonymous in steps:
        sys.stdout.write(f"{name:34s} RSS {rss:7.0f} MiB (+{rss - previous:5.0f})  anonymous {anonymous:7.0f} MiB\n")
        previous = rss


if __name__ == "__main__":
    main()
