"""Progress of a long recognition, told to whoever listens: the parsing child sends it to the server (which
logs it and extends its deadline by the pages announced), a process parsing in itself only logs it.

A context variable rather than a parameter: the loaders' interface stays bytes in, document out."""
from __future__ import annotations

import contextvars
import logging
from contextlib import contextmanager
from typing import Callable, Iterator

logger = logging.getLogger(__name__)

# (file name, pages recognised so far, pages to recognise in all)
Listener = Callable[[str, int, int], None]
_LISTENER: contextvars.ContextVar[Listener | None] = contextvars.ContextVar("ocr_progress", default=None)


def report(name: str, done: int, total: int) -> None:
    """`done` of `total` pages of `name` recognised (done=0: about to start)."""
    listener = _LISTENER.get()
    if listener is not None:
        listener(name, done, total)
    elif done:
        logger.info("%s: OCR page %d of %d done", name, done, total)


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    token = _LISTENER.set(listener)
    try:
        yield
    finally:
        _LISTENER.reset(token)
