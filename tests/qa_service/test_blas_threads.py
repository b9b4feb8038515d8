"""A process that answers keeps numpy's BLAS to one thread (qa_service/blas_threads.py)."""
from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from qa_service.blas_threads import one_blas_thread


def test_one_blas_thread_limits_numpys_blas_and_keeps_its_products():
    before = [(p["prefix"], p["num_threads"]) for p in threadpool_info() if p["user_api"] == "blas"]
    a = np.arange(12.0).reshape(3, 4)
    try:
        assert one_blas_thread()
        blas = [p for p in threadpool_info() if p["user_api"] == "blas"]
        assert blas and all(p["num_threads"] == 1 for p in blas)
        assert np.array_equal(a @ a.T, [[14.0, 38.0, 62.0], [38.0, 126.0, 214.0], [62.0, 214.0, 366.0]])
    finally:
        for prefix, threads in before:
            threadpool_limits(limits={prefix: threads})
