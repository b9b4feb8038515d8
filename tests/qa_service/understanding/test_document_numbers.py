"""A title holding the document number the question names (understanding/document_numbers.py)."""
import pytest

from qa_service.understanding.document_numbers import NAMED_TITLE_CREDIT, context_credit, document_numbers
from qa_service.understanding.term_matching import CONTEXT_CREDIT, TermMatcher

TITLE = "关于支持集成电路产业和软件产业发展进口税收政策管理办法的通知（财关税〔2021〕5 号）"


def test_document_numbers_are_read_whatever_the_brackets_and_spaces():
    assert document_numbers("财关税〔2021〕5号这份办法") == document_numbers(TITLE) == ("关税20215号",)
    assert document_numbers("国发[2015]32号") == document_numbers("国发（2015）32 号") == ("国发201532号",)
    assert document_numbers("2021年发布的5号文件") == ()


@pytest.mark.parametrize("question, expected", [
    ("财关税〔2021〕5号这份办法管到哪天为止？", NAMED_TITLE_CREDIT),
    ("财关税〔2021〕4号这份通知管到哪天为止？", CONTEXT_CREDIT),  # another document of the same issuer and year
    ("进口税收政策管理办法管到哪天为止？", CONTEXT_CREDIT),  # no number named
])
def test_the_title_counts_fully_only_for_the_document_the_question_numbers(question, expected):
    assert context_credit(question, TITLE, CONTEXT_CREDIT) == expected
    assert context_credit(question, TITLE, CONTEXT_CREDIT, enabled=False) == CONTEXT_CREDIT


def test_coverage_takes_the_credit_of_words_found_only_in_the_title():
    weights = {"办法": 1.0, "进口": 1.0, "有效期": 2.0}
    sentence, title = "本办法有效期为两年", "进口税收政策管理办法"
    assert TermMatcher.coverage(weights, sentence, {}, title) == pytest.approx((1 + 0.5 + 2) / 4)
    assert TermMatcher.coverage(weights, sentence, {}, title, NAMED_TITLE_CREDIT) == pytest.approx(1.0)
