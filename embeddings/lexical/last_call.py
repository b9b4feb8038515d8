"""Remembering a function's last call per thread: repeated work within one request, without a cache.

Answering one question tokenises it three times, one after the other in the same thread (BM25
scoring, the reranker's and the answerer's query terms). Keeping only the last argument and result of
each thread removes the repeats while keeping nothing across questions: the next different question,
or another thread, computes afresh, so benchmarks that cycle through questions measure real work.
"""
from __future__ import annotations

import threading
from typing import Callable, Generic, TypeVar

A = TypeVar("A")
R = TypeVar("R")
_NOTHING = object()


class LastCallPerThread(Generic[A, R]):
    def __init__(self, func: Callable[[A], R]) -> None:
        self._func = func
        self._local = threading.local()

    def __call__(self, arg: A) -> R:
        local = self._local
        if getattr(local, "arg", _NOTHING) == arg:
            return local.result
        result = self._func(arg)
        local.arg, local.result = arg, result
        return result
