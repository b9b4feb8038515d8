"""What a question asks for, read from its question word (understanding/asked_detail.py, quantities.py)."""
import pytest

from qa_service.understanding.asked_detail import analyse_detail, asked_detail, clause_around, wh_clause
from qa_service.understanding.quantities import find_quantities


@pytest.mark.parametrize("question, kind, unit_class, measure, items", [
    ("这个基金的规模有多少亿元？", "number", "money", "元", 0),  # the magnitude is read with the number
    ("园区一共入驻了几家企业？", "number", "count", "家", 0),
    ("到2025年高新技术企业要达到多少万家？", "number", "count", "家", 0),
    ("研究院有多少研发人员？", "number", "people", "", 0),
    ("这个项目总投资多少？", "number", "money", "", 0),
    ("服务收入占总收入的比重是多少？", "number", "percent", "", 0),
    ("该办法是哪一年印发的？", "date", "", "", 0),
    ("评估结果的有效期是几年？", "duration", "", "年", 0),
    ("重点建设哪三个平台？", "list", "", "", 3),
    ("示范区包括哪些城市？", "list", "", "", 0),
    ("这项工作由哪个部门负责？", "org", "", "", 0),
    ("为什么要建设示范基地？", "reason", "", "", 0),
    ("这几类企业享受优惠要走什么程序？", "explain", "", "", 0),
])
def test_the_kind_of_detail_comes_from_the_question_word(question, kind, unit_class, measure, items):
    detail = asked_detail(question)
    assert (detail.kind, detail.unit_class, detail.measure, detail.items) == (kind, unit_class, measure, items)


def test_focus_is_what_the_question_word_measures_and_numbers_are_constraints():
    question = "东湖高新区改革后，审批事项从156项减少到了几项？"
    tokens = ("东湖", "高新", "高新区", "改革", "审批", "事项", "156", "项", "减少", "几项")
    dq = analyse_detail(question, tokens, entities=("东湖高新区",))
    assert wh_clause(question) == "审批事项从156项减少到了几项"
    assert dq.focus == ("减少",)  # the words next to the question word
    assert not {"东湖", "高新", "高新区"} & set(dq.focus)  # the subject is not the asked detail
    assert dq.numbers == ("156",)  # the question's own number; the asked 几项 is none
    assert dq.detail.measure == "项"


def test_years_and_quoted_terms_are_constraints_document_numbers_are_not():
    dq = analyse_detail("按国发〔2015〕5号的“十三五”目标，2017年数据中心要减少多少？", ("数据", "中心", "减少"))
    assert dq.years == ("2017",)  # 国发〔2015〕5号 names a document, not the asked year
    assert dq.quoted == ("十三五",)
    assert "5" not in dq.numbers and "2015" not in dq.numbers


def test_quantities_carry_units_qualifiers_and_table_label_units():
    found = {q.text: q.kind for q in find_quantities("专职研发人员近 5000 名，资费 0.99 元/分钟，占比 5%以上，超 3.2万款游戏")}
    assert found == {"近 5000 名": "people", "0.99 元": "money", "5%以上": "percent", "超 3.2万款": "count"}
    row = find_quantities("全国高新技术企业数量（万家） 27.5 45 预期性")
    assert [(q.text, q.unit, q.kind) for q in row] == [("27.5", "家", "count"), ("45", "家", "count")]
    wrapped = find_quantities("8\n全国高新技术企业数量\n（万家）\n27.5 45 预期性\n9 数字经济\n10 关键业务")
    assert [(q.text, q.unit) for q in wrapped][:3] == [("8", ""), ("27.5", "家"), ("45", "家")]  # the row's next line
    assert [q.unit for q in wrapped if q.text in ("9", "10")] == ["", ""]  # no label's unit across a line of words
    column = find_quantities("3G/LTE基站规模 万个 95 120 ——")
    assert [(q.text, q.kind) for q in column if q.text in ("95", "120")] == [("95", "count"), ("120", "count")]
    assert [q.kind for q in find_quantities("2016 年 7月 12日")][0] == "date"
    assert find_quantities("统一部署，十分重要，建设一个平台") == []  # Chinese numerals count only with a unit
    assert [q.kind for q in find_quantities("惠及超过 1100万用户")] == ["count"]  # users, not money
    assert [q.kind for q in find_quantities("规模达到 500 亿。")] == ["magnitude"]


def test_a_clause_runs_over_line_breaks_of_a_table_row():
    text = "序号 名称\n中国移动孵化式创新创业工作管\n理办法\n已完成 2016 年 7月 12日，其他"
    at = text.index("2016")
    assert clause_around(text, at, at + 4).startswith("序号 名称\n中国移动孵化式")


def test_a_small_number_of_years_is_a_length_of_time_and_a_question_asking_years_wants_years():
    found = [(q.text, q.unit, q.kind) for q in find_quantities("评估结果有效期 3年。届满前至少 6个月申请复评，5 年内完成，2021年3月")]
    assert found[:3] == [("3年", "年", "duration"), ("6个月", "个月", "duration"), ("5 年内", "年", "duration")]
    assert [kind for text, _, kind in found if text == "2021"] == ["date"]
    assert asked_detail("评估结果的有效期是几年？").measure == "年"
    assert asked_detail("改造要多久完成？") == asked_detail("改造要多久完成？") and asked_detail("改造要多久完成？").measure == ""


def test_what_is_counted_is_the_head_of_the_noun_after_the_question_word():
    """A Chinese noun phrase ends in its head: 几个国家物联网…示范基地 counts 基地, not 物联网 (its modifier), so a
    clause counting 物联网企业 does not answer it; 多少名创业导师 counts 导师."""
    long = analyse_detail("行动计划要新培育几个国家物联网新型工业化产业示范基地？",
                          ("行动", "计划", "培育", "国家", "物联网", "新型", "工业化", "产业", "示范", "基地"))
    assert "基地" in long.counted and "物联网" not in long.counted and "国家" not in long.counted
    short = analyse_detail("基地聘请了多少名创业导师？", ("基地", "聘请", "创业", "导师"))
    assert short.counted == ("导师",)


def test_a_kind_of_money_names_the_detail_money_itself_does_not():
    """融资 and 估值 are both money, but a valuation does not answer how much was raised; 钱 and 资金 say only
    that money is asked."""
    raised = analyse_detail("第二轮融资拿到了多少钱？", ("第二轮", "融资", "拿到", "钱"))
    assert raised.detail.unit_class == "money" and "融资" in raised.specific_focus and "钱" not in raised.specific_focus
    funds = analyse_detail("基地一共投入了多少资金？", ("基地", "一共", "投入", "资金"))
    assert "资金" not in funds.specific_focus
