"""Does a sentence say what the question says, in the question's words or in close ones?

Coverage is the IDF-weighted share of the question's terms a sentence holds. Exact matches count fully, a term
found only in the passage's title or headings counts half (it places the passage without stating the fact),
and a term the sentence does not hold counts by how close the sentence's nearest word is to it: below cosine
SIMILAR nothing, at CLOSE or more SOFT_CREDIT, linearly between. The thresholds come from the encoder's word
similarities on this corpus (docs/evaluation.md: synonyms such as 经费/资金 0.74, 全职/专职 0.81, 员工/职工
0.90; unrelated words of the same texts mostly 0.58-0.70); without term vectors (an index built before them)
only exact matches count.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from embeddings.lexical.term_vectors import TermVectors

SIMILAR = 0.70  # cosine below which a word says nothing of the question's term
CLOSE = 0.86  # cosine from which it counts as much as SOFT_CREDIT
SOFT_CREDIT = 0.8  # what the closest word is worth at most, against 1 for the term itself
CONTEXT_CREDIT = 0.5  # a term only in the passage's title or headings
NAMES_SAME = 0.85  # cosine from which a word names the same thing as the question's (the asked detail's name)


class TermMatcher:
    def __init__(self, vectors: TermVectors | None) -> None:
        self._vectors = vectors

    @property
    def has_vectors(self) -> bool:
        return self._vectors is not None and len(self._vectors) > 0

    def rows(self, words: Sequence[str]) -> np.ndarray:
        return self._vectors.rows(words) if self._vectors is not None else np.zeros(0, dtype=np.int64)

    def nearest(self, term_vectors: Mapping[str, np.ndarray], rows: np.ndarray) -> dict[str, float]:
        """For each question term, the highest cosine of any word among `rows` (0 without vectors)."""
        if not len(rows) or self._vectors is None or not term_vectors:
            return {t: 0.0 for t in term_vectors}
        words = self._vectors.matrix(rows)
        terms = list(term_vectors)
        sims = np.stack([term_vectors[t] for t in terms]) @ words.T
        return dict(zip(terms, sims.max(axis=1).tolist()))

    def nearest_per_group(self, term_vectors: Mapping[str, np.ndarray],
                          groups: Sequence[np.ndarray]) -> list[dict[str, float]]:
        """nearest() for each group of rows (the sentences of one passage), with one matrix product for all."""
        if self._vectors is None or not term_vectors or not groups:
            return [{} for _ in groups]
        every = np.unique(np.concatenate([g for g in groups if len(g)] or [np.zeros(0, dtype=np.int64)]))
        if not len(every):
            return [{} for _ in groups]
        terms = list(term_vectors)
        sims = np.stack([term_vectors[t] for t in terms]) @ self._vectors.matrix(every).T
        out = []
        for group in groups:
            if not len(group):
                out.append({})
                continue
            best = sims[:, np.searchsorted(every, group)].max(axis=1)
            out.append(dict(zip(terms, best.tolist())))
        return out

    @staticmethod
    def coverage(weights: Mapping[str, float], text: str, nearest: Mapping[str, float], context: str = "",
                 context_credit: float = CONTEXT_CREDIT) -> float:
        """IDF-weighted share of the terms that `text` (normalised) states exactly or in close words (`nearest`:
        each term's highest cosine to the text's words); terms only in `context` (title and headings, normalised)
        count `context_credit` (CONTEXT_CREDIT unless the title names the question's document: document_numbers.py)."""
        total = sum(weights.values())
        if total <= 0:
            return 0.0
        got = 0.0
        for term, weight in weights.items():
            if term in text:
                got += weight
                continue
            credit = context_credit if term in context else 0.0
            credit = max(credit, soft_credit(nearest.get(term, 0.0)))
            got += weight * credit
        return got / total

    def names_any(self, terms: Sequence[str], term_vectors: Mapping[str, np.ndarray], text: str,
                  rows: np.ndarray) -> bool:
        """Whether `text` (normalised) holds one of `terms`, or a word naming the same thing."""
        if any(t in text for t in terms):
            return True
        wanted = {t: term_vectors[t] for t in terms if t in term_vectors}
        return any(s >= NAMES_SAME for s in self.nearest(wanted, rows).values())


def soft_credit(similarity: float) -> float:
    return min(max((similarity - SIMILAR) / (CLOSE - SIMILAR), 0.0), 1.0) * SOFT_CREDIT
