"""Bilateral short forms (understanding/bilateral_forms.py): 以色列 is named where the text writes 中以."""
import pytest

from qa_service.understanding.bilateral_forms import names_partner
from qa_service.understanding.entity_grounding import _compact
from qa_service.understanding.premises import Premises


@pytest.mark.parametrize("text, partner", [("获批中以高技术产业合作重点地区", "以色列"), ("成立6亿元的中以生物产业投资基金", "以色列"),
                                           ("推动中德合作", "德国"), ("中美贸易", "美国"), ("中俄", "俄罗斯")])
def test_the_bilateral_form_names_the_partner(text, partner):
    assert names_partner(text, partner)


@pytest.mark.parametrize("text, partner", [
    ("其中以生物医药为主", "以色列"),  # 其中 + 以: a word boundary, not China–Israel
    ("集中以项目为抓手", "以色列"),
    ("中英文对照", "英国"),  # 中英文 is one word
    ("活动中日益增多", "日本"),
    ("中德合作", "以色列"),  # another partner
    ("中以合作", "以色"),  # not a partner of the list
    ("广州开发区", "以色列"),
])
def test_a_chance_pair_or_another_partner_does_not(text, partner):
    assert not names_partner(text, partner)


def test_premises_count_the_bilateral_form_only_when_enabled():
    text = _compact("获批中以高技术产业合作重点地区，成立 6 亿元的中以生物产业投资基金。")
    assert Premises(text, bilateral_forms=True).names(text, "以色列")
    assert not Premises(text).names(text, "以色列")  # QA_BILATERAL_FORMS=false
    assert Premises(text, bilateral_forms=True).absent((), ("以色列", "新西兰")) == ["新西兰"]
