"""What the term vectors (issue 18) add to an ingest: encoding the BM25 vocabulary against encoding the passages.

    python -m benchmarks.term_vectors_cost --index var/index [--sample 1000]

Encodes, without the embedding cache, a sample of the index's passages (as ingest indexes them: title, headings
and text) and the same number of its vocabulary terms, alternating batches so a changing machine load weighs on
both alike, and scales each to the whole index: the terms' share is what an ingest from scratch spends on top.
"""
from __future__ import annotations

import argparse
import logging
import random
import time
from pathlib import Path

from embeddings.encoders.factory import build_encoder
from embeddings.index_spec import indexable_text
from embeddings.index_store import load_index
from qa_service.settings import Settings

BATCH = 64


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--sample", type=int, default=1000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    settings = Settings.from_env(index_dir=args.index)
    index = load_index(args.index)
    vocabulary = list(index.bm25.vocabulary)
    rng = random.Random(0)
    passages = [indexable_text(c, settings.indexed_text) for c in rng.sample(index.chunks, min(args.sample, len(index.chunks)))]
    terms = rng.sample(vocabulary, min(args.sample, len(vocabulary)))
    encoder = build_encoder(settings.encoder_spec)
    encoder.encode_documents(passages[:BATCH])  # warm-up
    seconds = {"passages": 0.0, "terms": 0.0}
    for i in range(0, max(len(passages), len(terms)), BATCH):
        for name, items in (("passages", passages), ("terms", terms)):
            batch = items[i:i + BATCH]
            if batch:
                started = time.perf_counter()
                encoder.encode_documents(batch)
                seconds[name] += time.perf_counter() - started
    whole_passages = seconds["passages"] / len(passages) * len(index.chunks)
    whole_terms = seconds["terms"] / len(terms) * len(vocabulary)
    print(f"{len(index.chunks)} passages: {whole_passages:.0f} s to encode ({len(passages)} measured)")
    print(f"{len(vocabulary)} vocabulary terms: {whole_terms:.0f} s to encode ({len(terms)} measured)")
    print(f"the terms add {whole_terms / whole_passages:.0%} to the encoding of an ingest from scratch")


if __name__ == "__main__":
    main()
