"""Premises checked against the documents (understanding/premises.py)."""
from qa_service.understanding.entity_grounding import _compact
from qa_service.understanding.premises import (Premises, contradiction, counted_premises, fuzzy_contains, numeral_form,
                                              premise_terms, restated_count)

CORPUS = _compact("汉版巴菲特午餐之称的光谷青桐汇。打造河南高等教育“双航母”。由4家研发机构构成“一体三环”研发体系。"
                  "以“智慧”和“安全”为两大主业。贵安新区是经国务院批准成立的第八个国家级新区。"
                  "加快推进无锡国家传感网创新示范区建设。领军人才计划。")


def test_a_quoted_term_may_be_the_users_wording_but_not_another_name():
    premises = Premises(CORPUS)
    assert premises.absent(("巴菲特饭局", "两艘航母"), ()) == []  # paraphrased quotes: present
    assert premises.absent(("金鸡湖科技领军人才计划",), ()) == ["金鸡湖科技领军人才计划"]  # its name is absent
    assert premises.absent((), ("鸿蒙", "贵安新区")) == ["鸿蒙"]
    assert numeral_form("两艘航母") == numeral_form("双航母") == "2航母"
    assert not fuzzy_contains(CORPUS, _compact("一体两环")) or numeral_form("一体两环") != numeral_form("一体三环")


def _clash(question, quoted=(), entities=(), sentence=None):
    text = sentence or CORPUS
    return contradiction(premise_terms(question, quoted, entities), quoted, text, text)


def test_a_contradicted_premise_is_found_with_what_the_documents_say():
    clash = _clash("为什么把“智慧”和“健康”定为两大主业？", quoted=("智慧", "健康"))
    assert clash is not None and clash.asked == "健康" and clash.stated.startswith("安全")
    clash = _clash("贵安新区为什么能成为全国第一个国家级新区？", entities=("贵安新区",))
    assert clash is not None and clash.asked == "第一个" and "八" in clash.stated
    clash = _clash("为什么要加快建设苏州国家传感网创新示范区？", entities=("苏州",))
    assert clash is not None and clash.asked == "苏州" and clash.stated.endswith("无锡")


def test_no_contradiction_where_the_question_agrees_or_only_a_year_stands_beside_its_term():
    assert _clash("为什么以“智慧”和“安全”为两大主业？", quoted=("智慧", "安全")) is None
    assert _clash("贵安新区是第几个国家级新区？", entities=("贵安新区",)) is None
    # a year next to a quoted term says nothing of where the passage puts its own term
    assert _clash("中国移动2017年“速率倍增行动”提速多少？", quoted=("速率倍增行动",),
                  sentence="在完成2017年政府工作报告确定的网络提速降费任务基础上") is None


def test_a_count_worded_unlike_the_text_is_corrected_from_the_count_it_states():
    question = "为什么把三级综合医院的建设目标定在20家以上？"
    counts = counted_premises(question)
    assert counts == [("20", "家", "级综合医院的建设目标定在")]  # COUNT_CONTEXT_CHARS of its clause
    sentence = "建成三级综合医院9家以上、三级专科医院3家以上。"
    clash = restated_count(counts, sentence, sentence)
    assert clash is not None and clash.asked == "20家" and clash.stated == "9家"
    # the same count, another count of another thing, or a count asked about: nothing to correct
    assert restated_count(counts, "建成三级综合医院20家以上。", "建成三级综合医院20家以上。") is None
    assert restated_count(counts, "建成三级专科医院3家以上。", "建成三级专科医院3家以上。") is None
    assert counted_premises("要新增的国家级开发区是哪2个？") == []
