"""The export rule (qa_service/feedback/export.py) and a reviewer's settlements (review.py), rating by rating."""
import pytest

from eval.dataset import parse_question
from qa_service.feedback.export import MAX_EVIDENCE_CHARS, question_row
from qa_service.feedback.review import ReviewError, accepted, stated, unanswerable
from qa_service.feedback.store import CitedQuote, Rating

DOC = "北京市海淀区双创经验总结.txt"
QUOTE = "海淀区目前有北大、清华等高等院校 33 所。"


def rating(answer: str, quote: str = QUOTE, kind: str = "up", answerable: bool = True, review=None) -> Rating:
    return Rating("ans_x", "default", "v1", 0.0, "海淀区有多少所高等院校？", answer, answerable,
                  (CitedQuote(1, DOC, "0123456789abcdef", "一、基本情况", quote),), kind, "", 0.0, review)


def test_an_up_rated_answer_becomes_an_answerable_question_eval_accepts():
    row = question_row(rating("海淀区目前有北大、清华等高等院校 33 所 [1]"))
    assert (row["answerable"], row["answer"], row["evidence"], row["doc"]) == (
        True, "海淀区目前有北大、清华等高等院校 33 所", QUOTE, DOC)
    assert parse_question(row).answerable is True


def test_a_long_quote_is_cut_to_200_characters_around_the_answer():
    quote = "前" * 300 + "高等院校 33 所" + "后" * 300
    row = question_row(rating("高等院校 33 所[1]", quote))
    assert len(row["evidence"]) == MAX_EVIDENCE_CHARS and "高等院校 33 所" in row["evidence"]


@pytest.mark.parametrize("made", [
    rating("海淀区的高校数量是三十三所[1]"),  # an LLM's wording: no cited quote holds it
    rating("海淀区目前有北大、清华等高等院校 33 所[1]", kind="down"),
])
def test_what_no_quote_holds_and_every_down_need_review_and_eval_skips_them(made):
    row = question_row(made)
    assert row["needs_review"] is True and row["answerable"] is None and row["answer"] == row["evidence"] == ""
    with pytest.raises(ValueError, match="needs review"):
        parse_question(row)


def test_an_up_on_an_abstention_is_unanswerable():
    row = question_row(rating("文档中没有找到答案", answerable=False))
    assert (row["answerable"], row["type"]) == (False, "unanswerable") and not parse_question(row).answerable


def test_a_reviewer_settles_what_the_rule_cannot():
    wording = rating("海淀区的高校数量是三十三所[1]", kind="down")
    with pytest.raises(ReviewError):
        accepted(wording)
    with pytest.raises(ReviewError, match="contain"):
        stated(wording, "三十三所", QUOTE, DOC)
    with pytest.raises(ReviewError, match="10-200"):
        stated(wording, "33 所", "33 所", DOC)
    settled = stated(wording, "33 所", QUOTE, DOC)
    row = question_row(rating(wording.answer, kind="down", review=settled))
    assert "needs_review" not in row and parse_question(row).answer == "33 所"
    assert question_row(rating(wording.answer, kind="down", review=unanswerable()))["answerable"] is False
    assert accepted(rating("高等院校 33 所[1]"))["answer"] == "高等院校 33 所"
