"""What a reader's checks add to the quotes of a passage, checking only the quotes that could be its best.

The bonuses (readers/detail_reader.py quote_bonuses): a value of the asked kind naming the detail (checked), the
question's named things in the passage, and its quoted terms whole in the quote (both known without a check).

The reranker keeps one quote per passage, the best by score plus bonus (the first in text order among equals,
understanding/sentence_evidence.py best_quote). A quote whose score with the value bonus stays below what
another quote of the passage is sure to reach cannot be it, whatever its check says: quotes are checked best
score first, and the checking stops there. On the dev questions this halved the value checks of reranking
(docs/performance.md §8); the best quote and its score are those of checking every quote.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from qa_service.understanding.entity_grounding import _compact
from qa_service.understanding.premises import parts


def quoted_bonuses(quoted: Sequence[str], text: str, units: Sequence[Any], bonus: float) -> list[float]:
    """`bonus` for each quote (a unit with start and end in `text`) holding every one of the question's quoted
    terms whole, known without any check; 0.0 for the others."""
    needed = [p for term in quoted for p in parts(term)] if bonus else []
    if not needed:
        return [0.0] * len(units)
    return [bonus if all(p in _compact(text[u.start:u.end]) for p in needed) else 0.0 for u in units]


def bonuses_for_best(scores: list[float] | None, known: list[float], base: float, with_value: float,
                     has_value: Callable[[int], bool]) -> list[float]:
    """Each quote's bonus: its `known` bonus plus `with_value` for a checked quote whose `has_value(i)`, else
    plus `base` (also for a quote not checked: its score with its bonuses is below the best quote's). Without
    `scores`, every quote is checked."""
    if scores is None:
        return [k + (with_value if has_value(i) else base) for i, k in enumerate(known)]
    shifted = [s + k for s, k in zip(scores, known)]
    out = [base] * len(shifted)
    bound = max((s + base for s in shifted), default=0.0)
    for i in sorted(range(len(shifted)), key=lambda i: -shifted[i]):  # stable: text order among equal scores
        if shifted[i] + with_value < bound:
            break  # the scores that follow are no higher
        if has_value(i):
            out[i] = with_value
            bound = max(bound, shifted[i] + with_value)
    return [o + k for o, k in zip(out, known)]
