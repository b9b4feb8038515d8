"""Several worker processes with gunicorn (`qa serve --workers N`, N > 1).

Each worker loads the model and the index after the fork (no preloading: torch and forked parents do
not mix well), so memory grows with N; threads per worker serve requests concurrently. Unless
QA_TORCH_THREADS says otherwise, each worker's torch gets its share of the cores (2 cores, 2 workers:
one thread each). With one worker `qa serve` uses waitress in-process instead.
"""
from __future__ import annotations

import os
from typing import Any

from gunicorn.app.base import BaseApplication

from qa_service.settings import Settings


def worker_settings(settings: Settings, workers: int) -> Settings:
    """Each worker's share of the cores for torch when QA_TORCH_THREADS is left to the library: by default
    every worker would start one thread per core, and N workers' threads fighting over the same cores slow
    every one of them down (docs/performance.md)."""
    if settings.torch_threads > 0:
        return settings
    return settings.with_overrides(torch_threads=max(1, len(os.sched_getaffinity(0)) // workers))


class QAGunicorn(BaseApplication):
    def __init__(self, settings: Settings, workers: int, threads: int) -> None:
        self._settings = worker_settings(settings, workers)
        self._options: dict[str, Any] = {
            "bind": f"{settings.host}:{settings.port}", "workers": workers, "threads": threads,
            "worker_class": "gthread", "preload_app": False, "timeout": 120, "graceful_timeout": 30,
            "accesslog": None,
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self):
        from qa_service.api.app import create_app
        from qa_service.service import QAService

        return create_app(QAService.from_settings(self._settings, strict=False), self._settings)
