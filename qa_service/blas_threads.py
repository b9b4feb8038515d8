"""Numpy's BLAS on one thread in a process that answers questions.

The matrix products of a question are small (its dozen terms against the few hundred words of the passages read:
well under a millisecond on one core). OpenBLAS splits them over every core anyway, and handing a product to a
second thread, which the encoder's threads and other requests also want, cost far more than the product: in
process over the 168 dev questions (benchmarks/ask_cpu.py), the term matching took 12 ms of CPU time a question
with two threads and 1.3 ms with one. Nothing else a serving process does leans on numpy's BLAS (the encoder and
FAISS have their own threads). One thread also rounds the last bit of some products differently from two; the
dev answers are the same (docs/performance.md §8).
"""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def one_blas_thread() -> bool:
    """Limit the BLAS libraries loaded in this process to one thread; False when threadpoolctl is missing."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        log.warning("threadpoolctl is not installed: numpy's matrix products keep every core's thread")
        return False
    threadpool_limits(limits=1, user_api="blas")
    return True
