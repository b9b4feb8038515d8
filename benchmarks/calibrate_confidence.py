"""Fit the weights of the answer confidence (qa_service/answerers/answer_confidence.py) on the dev sets.

    python -m benchmarks.calibrate_confidence --index var/index [--questions ../shared/eval/dev*.jsonl]

Runs the service in process over the question files and, for every answered question, takes the two signals
the confidence uses and whether the answer is right (the question is answerable and the answer contains the
gold answer, as `qa eval` scores it). Prints the fitted weights (logistic regression, L2 1.0, intercept free),
their fit left out one file at a time (so the weights are judged on questions they were not fitted on), and the
table of how often answers of each confidence are right, for the reader's coverage and for the fitted
confidence. Copy the weights into AnswerConfidence when they change.
"""
from __future__ import annotations

import argparse
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from benchmarks.common import DEV_SETS
from eval import metrics
from eval.dataset import load_question_sets
from eval.report import calibration_table
from qa_service.answerers.answer_confidence import AnswerConfidence
from qa_service.composition import ServiceRoot
from qa_service.settings import Settings

log = logging.getLogger(__name__)

L2 = 1.0  # the usual default; with ~120 answered questions the weights barely move between 0.1 and 10


@dataclass(frozen=True)
class Sample:
    set: str
    features: tuple[float, ...]
    coverage: float
    right: bool


def collect(index: Path, paths: list[Path]) -> list[Sample]:
    """One sample per answered question, from the running chain (retrieval, reranking, reading)."""
    settings = Settings.from_env(index_dir=index)
    root = ServiceRoot(settings).warm_up(strict=True)
    chain = root.qa._require().chain
    samples = []
    for question in load_question_sets(paths).questions:
        query = chain.query(question.question, 5)
        passages = chain.passages(query)
        answer = chain.answerer.answer(query, passages)
        if not answer.answerable:
            continue
        reading = chain.answerer.reader.read(query, passages)
        right = question.answerable and metrics.answer_contains(question.answer, answer.answer)
        samples.append(Sample(question.set, AnswerConfidence.features(reading, passages), reading.coverage, right))
    return samples


def fit(x: np.ndarray, y: np.ndarray, l2: float = L2, steps: int = 50) -> np.ndarray:
    """Logistic regression by Newton's method; returns [intercept, weights...]."""
    design = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(design.shape[1])
    penalty = np.diag([0.0] + [l2] * x.shape[1])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-design @ w))
        gradient = design.T @ (p - y) + penalty @ w
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    return w


def predict(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(w[0] + x @ w[1:])))


def calibration_error(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: the answers' share in each confidence bin times |mean confidence - right|."""
    index = np.minimum((p * bins).astype(int), bins - 1)
    return float(sum((index == b).mean() * abs(p[index == b].mean() - y[index == b].mean())
                     for b in range(bins) if (index == b).any()))


def table(p: np.ndarray, y: np.ndarray, title: str) -> str:
    """The calibration table `qa eval` writes in its reports, for these confidences and outcomes."""
    rows = metrics.calibration_of([(float(c), bool(ok)) for c, ok in zip(p, y)])
    return "\n".join([title, *calibration_table([asdict(row) for row in rows])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--questions", type=Path, nargs="+", default=DEV_SETS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    samples = collect(args.index, args.questions)
    x = np.array([s.features for s in samples])
    y = np.array([1.0 if s.right else 0.0 for s in samples])
    sets = np.array([s.set for s in samples])
    w = fit(x, y)
    held_out = np.zeros(len(samples))
    for name in sorted(set(sets)):
        held_out[sets == name] = predict(fit(x[sets != name], y[sets != name]), x[sets == name])
    coverage = np.array([s.coverage for s in samples])
    print(f"{len(samples)} answered questions, {int(y.sum())} right")
    print(f"weights: intercept {w[0]:.3f}, from_top {w[1]:.3f}, coverage {w[2]:.3f}")
    print(f"calibration error: coverage {calibration_error(coverage, y):.3f}, fitted {calibration_error(predict(w, x), y):.3f}, "
          f"fitted leaving each file out {calibration_error(held_out, y):.3f}")
    print(table(coverage, y, "\nthe reader's coverage as confidence"))
    print(table(predict(w, x), y, "\nthe fitted confidence"))
    print(table(held_out, y, "\nthe fitted confidence, each file's answers scored by weights fitted on the others"))


if __name__ == "__main__":
    main()
