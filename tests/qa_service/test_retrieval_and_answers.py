"""Retrieval and answers, on each vector engine (FAISS and Milvus: see conftest.engine_settings)."""
import pytest

from qa_service.answerers.base import NOT_FOUND_ANSWER
from qa_service.service import QAService
from qa_service.understanding.sentence_splitter import split_sentences

QUESTION = "海淀区有多少所高等院校？"


@pytest.mark.parametrize("retriever", ["bm25", "dense", "hybrid"])
def test_each_retriever_finds_the_evidence(engine_settings, encoder, retriever):
    service = QAService.from_settings(engine_settings.with_overrides(retriever=retriever), encoder)
    results = service.search(QUESTION, 5)
    assert 1 <= len(results) <= 5
    scores = [p.score for p in results]
    assert scores == sorted(scores, reverse=True)
    assert any("高等院校 33 所" in p.chunk.text for p in results[:3])


def test_passages_carry_citation_fields(engine_service):
    service = engine_service
    top = service.search(QUESTION, 3)[0]
    assert top.chunk.doc == "北京市海淀区双创经验总结.txt"
    assert top.chunk.line_start >= 1 and top.chunk.line_end >= top.chunk.line_start
    assert top.retrieval.bm25 is not None and top.retrieval.dense is not None
    assert {"bm25", "dense"} <= set(top.to_dict()["scores"])


def test_answer_quotes_the_sentence_and_cites_it(engine_service):
    service = engine_service
    answer = service.ask(QUESTION, 5)
    assert answer.answerable and "33" in answer.answer and "[1]" in answer.answer
    assert answer.citations[0].ref == 1
    cited = answer.citations[0].passage.chunk.text
    assert "高等院校 33 所" in cited and answer.citations[0].quote in cited


def test_off_topic_question_abstains(engine_service):
    service = engine_service
    answer = service.ask("红烧肉怎么做才好吃？", 5)
    assert not answer.answerable and answer.answer == NOT_FOUND_ANSWER and answer.citations == []


def test_sentence_splitter_keeps_offsets():
    text = "第一句话在这里。第二句？\n第三句没有结尾"
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == ["第一句话在这里。", "第二句？", "第三句没有结尾"]
    assert all(text[s.start:s.start + len(s.text)] == s.text for s in sentences)


def test_short_table_lines_are_joined_into_one_unit():
    text = "中国移动孵化式创新创业工作管\n理办法\n已完成 2016 年 7月 12日\n下一句完整的话。"
    sentences = split_sentences(text)
    assert sentences[0].text.startswith("中国移动孵化式创新创业工作管\n理办法")
    assert "2016 年 7月 12日" in sentences[0].text
    assert all(text[s.start:s.start + len(s.text)] == s.text for s in sentences)


@pytest.mark.parametrize("question,sentence,expected", [
    ("启动阶段起止时间是什么？", "2017 年 7 月至 2018 年 12 月，完成方案编制。", 1),
    ("启动阶段起止时间是什么？", "完成方案编制并通过专家评审。", 0),
    ("联盟有多少家企业？", "组建由 40 余家国内外知名企业参加的联盟", 1),
    ("重点聚焦哪几个行业？", "重点聚焦教育、医疗、交通、政务、金融、能源六大重点行业", 1),
    ("共有几个试点城市？", "确定了 3 个试点城市", 1),
    ("这说明了什么道理？", "组建由 40 余家国内外知名企业参加的联盟", 0),
])
def test_answer_type_cues(question, sentence, expected):
    from qa_service.understanding.question_types import answer_type_match

    assert answer_type_match(question, sentence) == expected


def test_question_needing_a_date_is_not_answered_with_a_dateless_quote():
    from qa_service.understanding.question_types import holds_kind, required_kind

    assert required_kind("二期拓展区域计划在哪一年建成投用？") == "time"
    assert required_kind("共有多少家企业申领？") == "number"
    assert required_kind("这条方针用什么比喻？") is None
    assert not holds_kind("规划中的二期拓展区域及西区总面积将超过二十万平方米", "time")
    assert holds_kind("2017 年 7 月至 2018 年 12 月", "time")
