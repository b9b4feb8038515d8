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
