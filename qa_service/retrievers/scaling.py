"""Scores of different scales made comparable: fusion mixes retrievers with it, the reranker first-stage scores."""
from __future__ import annotations

import numpy as np


def min_max_scaled(values: np.ndarray) -> np.ndarray:
    """Min-max scale to [0, 1] in float64; a constant vector maps to zeros (it carries no ranking signal)."""
    values = np.asarray(values, dtype=np.float64)
    lo, hi = float(values.min()), float(values.max())
    if hi - lo <= 1e-12:
        return np.zeros_like(values)
    return (values - lo) / (hi - lo)


def top_scaled(values: np.ndarray) -> np.ndarray:
    """Each value as a share of the largest, in float64 (negatives count as 0); all zeros stay zeros. For scores
    whose 0 means no match (BM25, the fused score): unlike min-max, close scores stay close."""
    values = np.clip(np.asarray(values, dtype=np.float64), 0.0, None)
    hi = float(values.max()) if values.size else 0.0
    return values / hi if hi > 1e-12 else np.zeros_like(values)
