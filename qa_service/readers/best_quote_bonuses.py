"""What a reader's value check adds to the quotes of a passage, checking only the quotes that could be its best.

The reranker keeps one quote per passage, the best by score plus bonus (the first in text order among equals,
understanding/sentence_evidence.py best_quote). A quote whose score with the value bonus stays below what
another quote of the passage is sure to reach cannot be it, whatever its check says: quotes are checked best
score first, and the checking stops there. On the dev questions this halved the value checks of reranking
(docs/performance.md §8); the best quote and its score are those of checking every quote.
"""
from __future__ import annotations

from typing import Callable


def bonuses_for_best(scores: list[float], base: float, with_value: float,
                     has_value: Callable[[int], bool]) -> list[float]:
    """Each quote's bonus: `with_value` for a checked quote whose `has_value(i)`, else `base` (also for a quote
    not checked: its score with `with_value` is below the best quote's)."""
    out = [base] * len(scores)
    bound = max((s + base for s in scores), default=0.0)
    for i in sorted(range(len(scores)), key=lambda i: -scores[i]):  # stable: text order among equal scores
        if scores[i] + with_value < bound:
            break  # the scores that follow are no higher
        if has_value(i):
            out[i] = with_value
            bound = max(bound, scores[i] + with_value)
    return out
