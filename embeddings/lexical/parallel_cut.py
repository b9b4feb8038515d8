"""jieba's cut of many passages spread over the machine's cores, for a new index's BM25.

jieba is pure Python and holds the GIL, so one process cuts one passage at a time: the bundled corpus's 5,387
passages take about 8 s, the 10x synthetic corpus's 45,657 distinct texts 66-72 s of a lexical ingest of about
3 min (`python -m benchmarks.bm25_cut`, docs/performance.md section 10), the largest single step before a new
deployment's first answer. In 2 processes: 37 s (1.8-1.95x), the same tokens; 5,400 texts 7.8 -> 6.0 s.
Spawned worker processes (not forked: the caller may be a threaded server) each load jieba's dictionary once
and cut a share; the tokens are those of one process, the tokenizer being a pure function of its settings and
the text.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Sequence

from embeddings.lexical.chinese_tokenizer import ChineseTokenizer

log = logging.getLogger(__name__)

# Below this many passages the workers' start (about 2 s: imports and jieba's dictionary) costs about what it
# saves: 4,000 passages cut in about 6 s in one process.
PARALLEL_MIN_TEXTS = 4000
_BATCH = 200  # passages per task: few enough round trips, small enough to keep both workers busy to the end


def usable_cores() -> int:
    return len(os.sched_getaffinity(0))


def _cut_batch(tokenizer: ChineseTokenizer, texts: list[str]) -> list[list[str]]:
    return [tokenizer(text) for text in texts]


def cut_many(tokenizer: ChineseTokenizer, texts: Sequence[str], workers: int | None = None) -> list[list[str]]:
    """The tokens of every text, in order; in `workers` processes (default: the usable cores) when there are
    enough texts to pay for their start, else here."""
    workers = usable_cores() if workers is None else workers
    # a daemonic process (a multiprocessing worker) may not start children of its own
    if workers < 2 or len(texts) < PARALLEL_MIN_TEXTS or multiprocessing.current_process().daemon:
        return [tokenizer(text) for text in texts]
    batches = [list(texts[i:i + _BATCH]) for i in range(0, len(texts), _BATCH)]
    log.info("cutting %d passages for BM25 in %d processes", len(texts), workers)
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            results = pool.map(_cut_batch, [tokenizer] * len(batches), batches)
            return [tokens for batch in results for tokens in batch]
    except (OSError, BrokenProcessPool) as exc:  # no processes to be had (limits, memory): slower, same tokens
        log.warning("cutting in one process: the worker processes failed (%s)", exc)
        return [tokenizer(text) for text in texts]
