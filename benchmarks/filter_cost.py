"""What filters cost a search, in process, on a built index (read only):

    python -m benchmarks.filter_cost --index DIR [--repeat 3]

For each retriever (BM25, dense, hybrid) and each filter (none; one document; half the documents by format or
name; a section prefix), the p50 of the first stage plus reranking over benchmarks/questions.txt, and the time
to resolve each filter the first time (later requests of the same index version reuse the resolution). The
question vectors are encoded before timing, so the figures are the retrieval's own."""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from benchmarks.common import latency_summary, questions
from embeddings.encoders.factory import build_encoder
from qa_service.document_records import DocumentRecord
from qa_service.search_filter import SearchFilter
from qa_service.service import QAService
from qa_service.settings import Settings


def _filters(service: QAService) -> dict[str, SearchFilter]:
    components = service._require()
    manifest = components.index.manifest
    records = sorted((DocumentRecord.from_dict(d, manifest.created_at) for d in manifest.documents),
                     key=lambda r: -r.chunks)
    sections = [c.section.split(" > ")[0] for c in components.index.chunks if c.section]
    common = max(set(sections), key=sections.count) if sections else "一、"
    return {"none": SearchFilter(), "one document (the largest)": SearchFilter(documents=(records[0].name,)),
            "one document (the smallest)": SearchFilter(documents=(records[-1].name,)),
            "half the documents": SearchFilter(documents=tuple(r.name for r in records[::2])),
            "section prefix": SearchFilter(section_prefix=common)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    settings = Settings.from_env(index_dir=Path(args.index))
    encoder = build_encoder(settings.encoder_spec)
    report = {}
    for retriever in ("bm25", "dense", "hybrid"):
        service = QAService.from_settings(settings.with_overrides(retriever=retriever), encoder)
        chain = service._require().chain
        texts = questions()
        for name, wanted in _filters(service).items():
            t0 = time.perf_counter()
            allowed = chain.filters.resolve(wanted)
            resolve_ms = (time.perf_counter() - t0) * 1000
            queries = [chain.query(q, 5, wanted) for q in texts]
            for q in queries:
                if retriever != "bm25":
                    q.vector  # encoded now, not in the timing
            ms = []
            for _ in range(args.repeat):
                for q in queries:
                    t0 = time.perf_counter()
                    chain.passages(q)
                    ms.append((time.perf_counter() - t0) * 1000)
            report[f"{retriever} / {name}"] = {
                "rows_allowed": None if allowed is None else int(allowed.rows.size),
                "first_resolve_ms": round(resolve_ms, 2), **latency_summary(ms)}
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
