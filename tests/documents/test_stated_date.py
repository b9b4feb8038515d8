"""The document's own date: a signature date on a line of its own, or a labelled date near the top."""
import pytest

from documents.stated_date import stated_date
from tests.conftest import CORPUS


@pytest.mark.parametrize("text, expected", [
    ("关于印发某某办法的通知\n各单位：\n现印发给你们。\n\n某某市科学技术局\n2021年3月12日\n", "2021-03-12"),
    ("通知正文。\n某某厅\n二〇二一年三月十二日\n", "2021-03-12"),
    ("通知正文。\n某某厅\n二○二二年十二月三十一日\n", "2022-12-31"),
    ("正文。\n（2020 年 6月 4日）\n", "2020-06-04"),  # PDF text: spaces around the digits
    ("某某办法\n发布日期：2019-07-01  来源：办公厅\n正文。\n", "2019-07-01"),
    ("某某办法\n印发时间: 2018/1/9\n正文。\n", "2018-01-09"),
    ("正文。\n2017.11.30\n", "2017-11-30"),
])
def test_the_stated_date_is_found(text, expected):
    assert stated_date(text) == expected


@pytest.mark.parametrize("text", [
    "",
    "正文没有日期。\n第二行。\n",
    "到2025年6月30日前完成建设任务。\n",  # a deadline inside a sentence is not the document's date
    "序号 名称 状态 日期\n16 中国移动研发项目管理办法 已完成 2016 年 9月 29日\n",  # a table row
    "正文。\n2021年2月30日\n",  # no such day
    "正文。\n2021年3月\n",  # no day: a date filter needs one
    "正文。\n1850年3月1日\n",  # outside the years a policy document is dated
])
def test_no_date_is_made_up(text):
    assert stated_date(text) is None


def test_the_signature_at_the_end_wins_over_a_date_at_the_start():
    assert stated_date("2019年1月1日\n正文。\n某某局\n2020年5月6日\n") == "2020-05-06"


def test_only_the_edges_are_read():
    middle = ["正文。"] * 40
    assert stated_date("\n".join(middle[:20] + ["2020年5月6日"] + middle[20:])) is None


def test_real_corpus_bulletin_states_its_date_and_a_plan_with_a_dated_table_does_not():
    assert stated_date((CORPUS / "南阳理工学院政策动态信息参阅2021年第26期.txt").read_text(encoding="utf-8")) \
        == "2021-10-04"
    assert stated_date((CORPUS / "中国移动双创示范基地建设方案.txt").read_text(encoding="utf-8")) is None
