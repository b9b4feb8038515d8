"""The short answer inside a quote (readers/short_answer.py), on crafted sentences: figures keep their unit and
qualifiers, enumerations and clauses are never cut, quoted terms stay whole, and no sure answer means the quote."""
import pytest

from qa_service.readers.short_answer import asked_list, clauses, figure, short_answer

WEIGHTS = {"研发": 3.0, "人员": 2.0, "行业": 2.5, "聚焦": 3.0, "评价": 2.0, "成果": 2.0, "处理": 2.0, "概括": 3.0}


def _span(text: str, part: str) -> tuple[int, int]:
    at = text.index(part)
    return at, at + len(part)


def test_clauses_end_at_clause_punctuation_but_not_inside_quotes_or_brackets():
    text = "基地战略定位可概括为“两中心，一支撑”，以跨境服务（漫游，支付）为核心；以研发为支撑。"
    assert [c.text for c in clauses(text)] == ["基地战略定位可概括为“两中心，一支撑”，", "以跨境服务（漫游，支付）为核心；",
                                              "以研发为支撑。"]
    assert all(text[c.start:c.end] == c.text for c in clauses(text))


@pytest.mark.parametrize("text, value, expected", [
    ("专职研发人员近 5000 名。", "近 5000 名", "近 5000 名"),
    ("实现 2-3个示范基地的异地复制。", "3个", "2-3个"),  # the range the figure ends
    ("国际漫游语音资费下调至 0.99 元/分钟；", "0.99 元", "0.99 元/分钟"),  # its per-unit
    ("建成 500 个以上示范工厂。", "500 个", "500 个以上"),  # the word qualifying it
    ("单向网络时延原则上在 10 毫秒范围内。", "10 ", "10 毫秒范围内"),  # a bare number ending its clause
    ("投资逾 2亿元，以政府引导。", "逾 2亿元", "逾 2亿元"),
    ("工业和信息化部等8部门共同印发。", "8部", "8部门"),  # a measure word beginning a longer word
    ("为 500 余家中小企业提供服务。", "500 余家", "500 余家"),  # ... but not one the figure's own word ends
    ("开设 5 个人才班。", "5 个", "5 个"),
])
def test_a_figure_keeps_its_range_unit_and_qualifiers(text, value, expected):
    start, end = figure(text, *_span(text, value))
    assert text[start:end].strip() == expected


def test_a_bare_number_followed_by_more_than_a_few_words_stays_bare():
    text = "指数达到 105，信息化水平大幅提升。"
    assert text[slice(*figure(text, *_span(text, "105")))] == "105"


def test_the_only_figure_of_the_asked_kind_is_the_short_answer():
    quote = "截至目前，中国移动专职研发人员近 5000 名。研发投入逐年增长。"
    assert short_answer(quote, "number", WEIGHTS, _span(quote, "近 5000 名"), unique_value=True) == "近 5000 名"


def test_a_figure_that_is_not_the_only_one_is_answered_with_its_whole_sentence():
    quote = "研发投入逐年增长。研发人员近 5000 名，其中博士 300 名。另有访问学者。"
    assert short_answer(quote, "number", WEIGHTS, _span(quote, "近 5000 名"), unique_value=False) == (
        "研发人员近 5000 名，其中博士 300 名")
    assert short_answer(quote, "number", WEIGHTS, None, unique_value=False) == ""  # no value read: the quote


def test_a_list_question_is_answered_with_the_enumeration_it_asks_for():
    quote = ("基地将重点聚焦教育、医疗、交通、政务、金融、能源六大重点行业，同时布局农业、制造、互联网五大培育行业，"
             "整合产业链上下游能力。")
    assert short_answer(quote, "list", WEIGHTS) == "基地将重点聚焦教育、医疗、交通、政务、金融、能源六大重点行业"


def test_the_asked_number_of_items_chooses_between_enumerations():
    quote = "坚持创新、协调、绿色、开放、共享的理念，系统推进学城、产城、创城“三城融合”。"
    # the five-item one shares more words, but three items are asked
    assert short_answer(quote, "list", {"理念": 2.0, "推进": 1.0}, items=3) == "系统推进学城、产城、创城“三城融合”"
    assert short_answer(quote, "list", {"理念": 2.0, "推进": 1.0}) == "坚持创新、协调、绿色、开放、共享的理念"


def test_enumerated_items_in_quotation_marks_are_kept_whole():
    quote = "三是改革评价标准，做到“不唯学历、不唯论文、不唯资历”。"
    assert short_answer(quote, "list", {"评价": 2.0, "唯": 1.0}, items=3) == "做到“不唯学历、不唯论文、不唯资历”"


def test_a_list_question_without_an_enumeration_it_points_at_leaves_the_quote():
    assert short_answer("基地面向全行业开放，服务中小企业。", "list", WEIGHTS) == ""
    # an enumeration sharing no word with the question is not taken for its answer
    assert short_answer("培育 1家芯片设计企业，形成产业链完善、创新能力强、特色鲜明的集聚区。", "list", {"培育": 2.0}) == ""


def test_a_clause_ending_with_a_comma_leads_to_the_clause_it_introduces():
    quote = "对于与集团业务相关度不高但具有投资价值的双创成果，积极推荐给其他中央企业或外部投资机构。另设基金。"
    assert short_answer(quote, "explain", {"成果": 2.0, "投资": 1.0, "价值": 1.0}) == (
        "对于与集团业务相关度不高但具有投资价值的双创成果，积极推荐给其他中央企业或外部投资机构")


def test_a_clause_ending_its_sentence_is_answer_enough():
    quote = "基地战略定位可概括为“两中心，一支撑”。以研发为支撑，服务跨境客户。"
    assert short_answer(quote, "explain", {"概括": 3.0, "定位": 2.0}) == "基地战略定位可概括为“两中心，一支撑”"


def test_a_quote_sharing_no_word_with_the_question_leaves_the_quote():
    assert short_answer("基地面向全行业开放，服务中小企业。", "explain", {"院士": 2.0}) == ""


@pytest.mark.parametrize("scope, expected", [("figures", ""), ("lists", "基地重点聚焦教育、医疗、交通")])
def test_a_narrower_scope_leaves_other_answers_as_the_quote(scope, expected):
    assert short_answer("基地重点聚焦教育、医疗、交通，服务中小企业。", "list", WEIGHTS, scope=scope) == expected
    assert short_answer("成果积极推荐给投资机构，另设基金。", "explain", WEIGHTS, scope=scope) == ""


def test_the_only_date_or_organisation_of_the_asked_kind_is_the_short_answer_as_found():
    quote = "国地税联合办税窗口于 2015 年 10 月 10 日投入使用，在全国属首创。"
    assert short_answer(quote, "date", {}, _span(quote, "2015 年 10 月 10 日"), unique_value=True) == "2015 年 10 月 10 日"
    quote = "城市人民政府是智慧城市建设的责任主体，要加强组织。确保建设有序推进。"
    assert short_answer(quote, "org", {}, _span(quote, "城市人民政府"), unique_value=True) == "城市人民政府"
    assert short_answer(quote, "org", {}, _span(quote, "城市人民政府"), unique_value=False) == (
        "城市人民政府是智慧城市建设的责任主体，要加强组织")


@pytest.mark.parametrize("question, noun", [
    ("电科打算把哪几项权利交给下属单位？", "权利交给"),  # the two words naming the items
    ("湘江新区能享受哪三种国字号区域的政策？", "国字号区域"),
    ("点名推广的节能散热技术有哪些？", ""),  # a list, its items named before the question word
    ("塔尖、塔身和塔底分别由谁来担当？", "由谁来担当"),
    ("对基站设备的系统带宽有什么要求？", None),  # a requirement, not a list
])
def test_a_list_is_asked_by_which_ones_or_respectively(question, noun):
    assert asked_list(question) == noun


def test_a_question_asking_for_no_list_is_answered_with_the_quote():
    quote = "主要包括接入网设备、核心网设备等，其中基站类设备支持 20MHz 的系统带宽。"
    weights = {"设备": 2.0, "系统": 1.0, "带宽": 3.0}
    assert short_answer(quote, "list", weights, question="基站设备的系统带宽有什么要求？") == ""
    assert short_answer(quote, "list", weights, question="基站包括哪些设备？") == "主要包括接入网设备、核心网设备等"


def test_an_enumeration_holding_more_words_next_to_the_question_word_makes_the_choice_unsure():
    quote = "将中国移动的工业互联网、工业云计算等能力与智能工厂结合，基地重点聚焦教育、医疗、交通六大行业。"
    weights = {"中国移动": 5.0, "互联网": 4.0, "聚焦": 3.0, "行业": 2.5}
    question = "中国移动互联网基地重点聚焦哪几个行业？"
    assert short_answer(quote, "list", weights, question=question) == "将中国移动的工业互联网、工业云计算等能力与智能工厂结合"
    assert short_answer(quote, "list", weights, question=question, focus=("聚焦", "行业")) == ""


def test_enumerations_sharing_as_many_words_leave_the_quote():
    quote = "新建牧原职业学院、工艺美术职业学院，争取南阳职业学院、科技职业学院升本。"
    assert short_answer(quote, "list", {"职业": 2.0}, question="推动哪几家职业院校升本？") == ""


def test_an_enumeration_whose_items_end_like_the_asked_noun_makes_another_choice_unsure():
    quote = "三是探索科研成果、知识产权归属机制，下发成果的使用权、处置权和收益权。"
    weights = {"科研成果": 4.0, "成果": 2.0, "权利": 3.0}
    assert short_answer(quote, "list", weights, question="哪几项措施涉及科研成果？") == "三是探索科研成果、知识产权归属机制"
    assert short_answer(quote, "list", weights, question="把科研成果的哪几项权利交给下属单位？") == ""


def test_a_quoted_enumeration_sharing_no_word_makes_the_choice_unsure():
    quote = "针对研究类、工程类等人才分类制定评价标准，做到“不唯学历、不唯论文、不唯资历”。"
    assert short_answer(quote, "list", {"评价": 2.0}, question="评价不能只看哪几样？") == ""
    quote = "针对研究类、工程类等人才分类制定评价标准，做到不唯学历、不唯论文。"
    assert short_answer(quote, "list", {"评价": 2.0}, question="评价不能只看哪几样？") == "针对研究类、工程类等人才分类制定评价标准"


def test_the_clause_answering_another_question_must_state_more_than_the_question():
    weights = {"行动计划": 3.0, "实施": 1.0}
    quote = "一是实施“123 行动计划”。即一个中心、两轮驱动、三大平台，服务企业。"
    # the clause only restates the question's words: the quote answers
    assert short_answer(quote, "explain", weights, question="西咸新区“123行动计划”具体指什么？") == ""
    quote = "一是实施“123 行动计划”，即建设一个创新中心并推动两轮驱动和三大服务平台建设。另设基金。"
    assert short_answer(quote, "explain", weights, question="西咸新区“123行动计划”具体指什么？") == (
        "一是实施“123 行动计划”，即建设一个创新中心并推动两轮驱动和三大服务平台建设")


def test_the_clause_answering_another_question_holds_the_terms_it_quotes():
    quote = "对经营稳定、信誉良好的中小微企业提供低息或贴息贷款，鼓励探索税收减免和返还措施。另有“云量贷”试点。"
    weights = {"中小微企业": 3.0, "贷款": 2.0}
    assert short_answer(quote, "explain", weights, question="“云量贷”凭什么给中小微企业放贷？") == ""
    assert short_answer(quote, "explain", weights, question="凭什么给中小微企业放贷？") == (
        "对经营稳定、信誉良好的中小微企业提供低息或贴息贷款，鼓励探索税收减免和返还措施")


def test_a_table_row_is_not_a_clause_that_answers():
    quote = "众创空间评价指标\n一级指标 二级指标 指标类别 分类权重 专业化众创空间权重 服务能力"
    assert short_answer(quote, "explain", {"评价": 2.0, "众创空间": 3.0}, question="众创空间评价考核哪段时间？") == ""
