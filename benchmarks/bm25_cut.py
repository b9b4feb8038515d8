"""BM25's jieba cut of an index version's passages, in one process and spread over the usable cores.

    python -m benchmarks.bm25_cut --chunks VERSION_DIR/chunks.jsonl [--limit N] [--rounds 1]

Prints the seconds of each way (median of the rounds), their ratio and whether the tokens are the same, which
the index's BM25 files depend on. The cut is the largest step of a lexical ingest (docs/performance.md §10).
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from embeddings.lexical.chinese_tokenizer import ChineseTokenizer
from embeddings.lexical.parallel_cut import cut_many, usable_cores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chunks", type=Path, required=True, help="chunks.jsonl of an index version")
    parser.add_argument("--limit", type=int, default=0, help="at most this many distinct texts (0: all)")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    with args.chunks.open(encoding="utf-8") as lines:
        texts = list(dict.fromkeys(json.loads(line)["text"] for line in lines))
    texts = texts[:args.limit] if args.limit else texts
    tokenizer = ChineseTokenizer()
    tokenizer("预热")  # jieba's dictionary loaded before the clock starts
    timings: dict[str, list[float]] = {"one process": [], f"{usable_cores()} processes": []}
    tokens = {}
    for _ in range(args.rounds):
        for label, workers in zip(timings, (1, None)):
            start = time.perf_counter()
            tokens[label] = cut_many(tokenizer, texts, workers=workers)
            timings[label].append(time.perf_counter() - start)
    one, many = (statistics.median(t) for t in timings.values())
    same = len({json.dumps(t, ensure_ascii=False) for t in tokens.values()}) == 1
    print(f"{len(texts)} distinct texts: {' / '.join(f'{k} {statistics.median(v):.1f} s' for k, v in timings.items())}"
          f"; ratio {one / many:.2f}; same tokens: {same}")


if __name__ == "__main__":
    main()
