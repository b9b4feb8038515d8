"""The vectors of question terms the corpus does not use, remembered: the encoder is run once per such term.

Terms missing from the index's term vectors are encoded per question (understanding/query.py), about half the
dev questions hold one or more, and each encoder call cost about as much CPU time as the rest of the reading.
Users repeat themselves (the same question again, the same word in another question); a term's vector does
not depend on the other terms encoded with it (the dev questions' terms encoded together and one by one gave
the same bits), so a remembered vector is the one encoding would give. Kept per index version (a later version
may know the word, or be served with another encoder), bounded in count, the least recently used dropped first.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable

import numpy as np

ENCODED_TERMS = 4096  # terms remembered: 512 float32 each, 2 KB: 8 MB at most


class EncodedTerms:
    def __init__(self, encode: Callable[[list[str]], np.ndarray], max_terms: int = ENCODED_TERMS) -> None:
        if max_terms < 0:
            raise ValueError("max_terms must be 0 or more")
        self._encode = encode
        self._max = max_terms
        self._version: str | None = None
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._vectors)

    def __contains__(self, term: str) -> bool:
        return term in self._vectors

    def vectors(self, version: str, terms: list[str]) -> np.ndarray:
        """A float32 row per term of `terms` (for the index `version`), encoding those not remembered in one
        call. A new version forgets what the earlier one remembered."""
        with self._lock:
            if version != self._version:
                self._vectors.clear()
                self._version = version
            found = {t: v for t in terms if (v := self._vectors.get(t)) is not None}
            for t in found:
                self._vectors.move_to_end(t)
        new = [t for t in dict.fromkeys(terms) if t not in found]
        if new:
            encoded = np.asarray(self._encode(new), dtype=np.float32)
            found.update(zip(new, encoded))
            with self._lock:
                if version == self._version:
                    for t in new:
                        self._vectors[t] = found[t]
                    while len(self._vectors) > self._max:
                        self._vectors.popitem(last=False)
        return np.stack([found[t] for t in terms]) if terms else np.zeros((0, 0), dtype=np.float32)
