"""Questions asking until when (understanding/end_dates.py): the second date of a range answers them."""
import pytest

from qa_service.understanding.end_dates import asks_until, date_answers, ends_range, starts_range

RANGE = "十二、本办法有效期为 2020年 7月 27日至 2030年 12月 31日。"
FIRST, SECOND = (11, 23), (25, 38)  # the two dates of RANGE


@pytest.mark.parametrize("question", ["这份办法管到哪天为止？", "这项政策到什么时候？", "补贴什么时候到期？",
                                      "这个计划何时失效？", "有效期到哪一年？", "申报截止日期是哪天？"])
def test_until_when_is_recognised(question):
    assert asks_until(question)


@pytest.mark.parametrize("question", ["这份办法是哪天印发的？", "中心哪一年成立？", "到2020年要建成多少家？"])
def test_other_date_questions_are_not(question):
    assert not asks_until(question)


def test_the_dates_of_a_range_are_told_apart():
    assert RANGE[slice(*FIRST)] == "2020年 7月 27日" and RANGE[slice(*SECOND)] == "2030年 12月 31日"
    assert ends_range(RANGE, SECOND[0]) and not ends_range(RANGE, FIRST[0])
    assert starts_range(RANGE, FIRST[1]) and not starts_range(RANGE, SECOND[1])
    text = "自 2021年 1月 1日起至 2023年 12月 31日止"
    assert ends_range(text, text.index("2023"))
    lone = "清单自 2020年 7月 27日实施，至印发之日后 30日内"
    assert not starts_range(lone, lone.index("日实") + 1)


def test_a_range_end_answers_until_when_without_the_focus_and_a_range_start_never():
    until = "这份办法管到哪天为止？"
    assert date_answers(False, until, RANGE, *SECOND)
    assert not date_answers(True, until, RANGE, *FIRST)
    assert not date_answers(False, until, RANGE, *SECOND, until=False)  # QA_END_DATES=false: the focus decides
    assert date_answers(True, until, RANGE, *FIRST, until=False)
    assert not date_answers(False, "哪天印发的？", RANGE, *SECOND)  # not an until-when question: the focus decides
    lone = "本办法自 2021年 3月 1日起施行。"
    assert date_answers(True, until, lone, 5, 16) and not date_answers(False, until, lone, 5, 16)
