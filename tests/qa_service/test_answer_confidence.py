"""The answer confidence: higher for a sentence of the top passage, rising with coverage, refitted reproducibly."""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks.calibrate_confidence import calibration_error, fit, predict
from documents.models import Chunk
from qa_service.answerers.answer_confidence import AnswerConfidence
from qa_service.answerers.extractive_answerer import ExtractiveAnswerer
from qa_service.readers.base import ANSWERED, NOT_STATED, Reader, Reading
from qa_service.types import Passage, Quote


def _passage(chunk_id: str) -> Passage:
    text = "到2025年，建成国家级创新平台10个。"
    return Passage(Chunk(chunk_id, "d.txt", "d", "", text, 0, len(text), 1, 1), 1.0)


class _FixedReader(Reader):
    name = "fixed"

    def __init__(self, reading: Reading) -> None:
        self.reading = reading

    def read(self, query, passages):
        return self.reading


def test_a_sentence_of_the_top_passage_is_more_likely_right():
    top, lower = _passage("a"), _passage("b")
    model = AnswerConfidence()
    from_top = model.of(Reading(ANSWERED, top, Quote(0, 10, 0.5), coverage=0.5), [top, lower])
    from_lower = model.of(Reading(ANSWERED, lower, Quote(0, 10, 0.5), coverage=0.5), [top, lower])
    assert 0.0 < from_lower < from_top < 1.0
    assert model.of(Reading(ANSWERED, top, coverage=0.9), [top]) > from_top  # coverage still counts


def test_the_answer_reports_the_model_and_abstentions_keep_their_coverage():
    top = _passage("a")
    answered = Reading(ANSWERED, top, Quote(0, 18, 0.6), coverage=0.6)
    answer = ExtractiveAnswerer(_FixedReader(answered)).answer(None, [top])
    assert answer.answerable and answer.confidence == pytest.approx(AnswerConfidence().of(answered, [top]))
    not_stated = Reading(NOT_STATED, top, Quote(0, 18, 0.4), coverage=0.4, asked="金额")
    assert ExtractiveAnswerer(_FixedReader(not_stated)).answer(None, [top]).confidence == pytest.approx(0.4)


def test_the_refit_recovers_known_weights_and_calibrates():
    """The fit behind the shipped weights: on samples drawn from a known logistic model it recovers the weights,
    and its probabilities are calibrated (small expected calibration error) where raw scores are not."""
    rng = np.random.default_rng(7)
    x = np.column_stack([rng.integers(0, 2, 4000).astype(float), rng.uniform(0.3, 1.0, 4000)])
    truth = np.array([-1.0, 2.0, 0.5])
    y = (rng.uniform(size=4000) < predict(truth, x)).astype(float)
    w = fit(x, y, l2=0.0)
    assert w == pytest.approx(truth, abs=0.25)
    assert calibration_error(predict(w, x), y) < 0.05 < calibration_error(x[:, 1], y)
