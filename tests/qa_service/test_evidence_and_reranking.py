"""Sentence evidence, the reranker built on it, and entity grounding, on real corpus passages."""
import pytest

from documents.models import Chunk
from qa_service.rerankers.sentence_evidence_reranker import SentenceEvidenceReranker
from qa_service.types import Passage, RetrievalScores
from qa_service.understanding.entity_grounding import EntityGrounding
from qa_service.understanding.sentence_evidence import SentenceEvidenceScorer

FIVE_PHASES = ("根据双创示范基地建设总体时间要求，中国电科双创示范基地建设分为启动阶段、深化阶段和推广阶段。"
               "2017 年 7 月至 2018 年 12 月，完成中国电科双创示范基地建设方案编制并通过专家评审。")
UNRELATED = "中国电科长期服务于我国国防信息化建设，积累了大量的基础设施和人才优势。"


def _passage(text, score=1.0, title="中国电科双创示范基地建设方案", section="七、实施路径 > （一）启动阶段", **scores):
    chunk = Chunk(id=str(abs(hash(text)))[:16], doc="中国电科双创示范基地建设方案.txt", title=title, section=section,
                  text=text, start=0, end=len(text), line_start=1, line_end=2)
    return Passage(chunk, score, RetrievalScores(**scores))


@pytest.fixture(scope="module")
def scorer():
    return SentenceEvidenceScorer()


def test_quote_is_the_covering_sentence_with_the_one_after_it(scorer, analyse):
    query = analyse("中国电科双创示范基地启动阶段的起止时间是什么？")
    passage = _passage(FIVE_PHASES)
    quote = scorer.best_quote(query, passage)
    text = FIVE_PHASES[quote.start:quote.end]
    assert "2017 年 7 月至 2018 年 12 月" in text  # the date sits in the sentence after the covering one
    assert scorer.coverage(query, FIVE_PHASES) > scorer.coverage(query, UNRELATED)


def test_terms_found_only_in_headings_count_half(scorer, analyse):
    query = analyse("启动阶段")
    assert scorer.coverage(query, "启动阶段的安排") == pytest.approx(1.0)
    assert scorer.coverage(query, "无关的句子", context="（一）启动阶段") == pytest.approx(0.5)


def test_heading_words_a_sentence_repeats_count_less_than_words_only_it_states(scorer, analyse):
    """A document's opening passage repeats its title; the title's words place the document, so a sentence
    repeating them does not outscore one stating the rest of the question."""
    query = analyse("启动阶段")
    repeated = scorer.coverage(query, "启动阶段的安排", context="（一）启动阶段")
    assert scorer.coverage(query, "无关的句子", context="（一）启动阶段") < repeated < 1.0


def test_reranker_promotes_the_passage_that_answers(scorer, analyse):
    reranker = SentenceEvidenceReranker(scorer, evidence_weight=0.7)
    first = [_passage(UNRELATED, score=2.0), _passage(FIVE_PHASES, score=1.5)]
    query = analyse("中国电科双创示范基地启动阶段的起止时间是什么？", top_k=2)
    ranked = reranker.rerank(query, first)
    assert ranked[0].chunk.text == FIVE_PHASES
    evidence = ranked[0].evidence
    assert evidence is not None and evidence.retrieval == 1.5
    assert evidence.quote == scorer.best_quote(query, first[1]) and evidence.score == evidence.quote.score
    assert {"retrieval", "evidence"} <= set(ranked[0].to_dict()["scores"])
    assert [p.score for p in ranked] == sorted((p.score for p in ranked), reverse=True)
    assert reranker.rerank(analyse("任何问题", top_k=3), []) == []


def test_weight_zero_keeps_first_stage_order(scorer, analyse):
    first = [_passage(UNRELATED, score=2.0), _passage(FIVE_PHASES, score=1.5)]
    ranked = SentenceEvidenceReranker(scorer, evidence_weight=0.0).rerank(analyse("启动阶段起止时间", top_k=2), first)
    assert [p.chunk.text for p in ranked] == [UNRELATED, FIVE_PHASES]


@pytest.mark.parametrize("question,expected", [
    ("合肥对科技项目实行的“借转补”资金支持方式具体是怎么操作的？", ["借转补"]),
    ("苏州工业园区有哪些人才计划？", ["苏州工业园区"]),
    ("长三角G60科创走廊一共覆盖了哪几个城市？", ["G60"]),
    ("2016年工业强基工程实施方案指南中说的“一个中心、三个环节”各指什么？", []),
    ("河南省众创空间评价每年考核的是哪段时间的情况？", []),
])
def test_ungrounded_entities(question, expected, analyse):
    grounding = EntityGrounding()
    passage = _passage("工业强基工程围绕一个中心（完善政策）、三个环节（应用牵引、平台支撑、重点突破）。河南省众创空间评价周期为上一年度。"
                       "长三角地区的城市。", title="工业强基工程实施指南", section="")
    assert grounding.ungrounded(analyse(question), [passage]) == expected


def test_unmentioned_entity_makes_the_service_abstain_and_say_which(service):
    answer = service.ask("苏州工业园区的“金鸡湖科技领军人才计划”给创业类人才多少项目资助？", 5)
    assert not answer.answerable and answer.citations == []
    assert "金鸡湖科技领军人才计划" in answer.answer


def test_entities_common_in_the_corpus_are_not_required(analyse):
    corpus = ["中国的政策文件"] * 39 + ["深圳南山区的做法"]
    grounding = EntityGrounding(corpus)
    passage = _passage("我国推进双创示范基地建设。", title="示范基地", section="")
    assert grounding.is_generic("中国") and not grounding.is_generic("深圳")
    assert grounding.ungrounded(analyse("中国和深圳的示范基地有多少个？"), [passage]) == ["深圳"]


def test_top_scaled_keeps_close_scores_close():
    import numpy as np

    from qa_service.retrievers.scaling import min_max_scaled, top_scaled
    scores = np.array([2.0, 1.9, 1.8, -0.5])
    assert top_scaled(scores).tolist() == pytest.approx([1.0, 0.95, 0.9, 0.0])
    assert min_max_scaled(scores[:3]).tolist() == pytest.approx([1.0, 0.5, 0.0])
    assert top_scaled(np.zeros(3)).tolist() == [0.0, 0.0, 0.0]


PHASES_NAMED = "中国电科双创示范基地建设分为启动阶段、深化阶段和推广阶段等三个阶段。"
PHASE_DATED = "启动阶段：2017 年 7 月至 2018 年 12 月，完成基地建设方案编制。"


def test_a_slightly_lower_first_stage_score_does_not_outweigh_the_sentence_that_answers(scorer, analyse):
    """Three passages of one document with close first-stage scores: min-max makes the first 1 and the second
    0.5, so the neighbour ranked first by a hair wins; as shares of the best (QA_RERANK_PRIOR=top) the scores stay
    close and the dated sentence decides."""
    from qa_service.retrievers.scaling import min_max_scaled, top_scaled
    query = analyse("中国电科双创示范基地的启动阶段是哪一年开始的？", top_k=3)
    first = [_passage(PHASES_NAMED, score=0.60), _passage(PHASE_DATED, score=0.57), _passage(UNRELATED, score=0.54)]
    gap = scorer.best_quote(query, first[1]).score - scorer.best_quote(query, first[0]).score
    assert 0.05 < gap < 0.5  # the dated passage's evidence is better, by less than min-max's stretch

    def top_text(prior):
        return SentenceEvidenceReranker(scorer, 0.5, prior=prior).rerank(query, first)[0].chunk.text
    assert top_text(min_max_scaled) == PHASES_NAMED
    assert top_text(top_scaled) == PHASE_DATED
