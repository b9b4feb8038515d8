"""Claims of an LLM answer against the real passages, each sentence cited by what it states (the LLM itself:
test_llm_answerer.py, test_llm_attribution.py)."""
from __future__ import annotations

from decimal import Decimal

import jieba.posseg
import pytest

from qa_service.answerers.claim_check import MAX_CHECKED_CHARS, ClaimChecker, _numbers
from qa_service.answerers.content_attribution import ContentAttributor
from qa_service.understanding.entity_grounding import HMM_UNKNOWN_CHARS, EntityGrounding
from qa_service.types import Passage
from qa_service.understanding.sentence_evidence import SentenceEvidenceScorer
from tests.qa_service.test_bounded_questions import UNKNOWN_TO_HMM


@pytest.mark.parametrize("text,expected", [
    ("每月可领取一万元补贴", [("一万元", "10000", "元")]),
    ("高等院校 33 所", [("33 所", "33", "所")]),
    ("1.5万元，10,000元", [("1.5万元", "15000", "元"), ("10,000元", "10000", "元")]),
    ("二〇二五年3月", [("二〇二五年", "2025", "年"), ("3月", "3", "月")]),
    ("百分之二十的企业，增长3.5%", [("百分之二十", "20", "%"), ("3.5%", "3.5", "%")]),
    ("一亿五千万元、三十三所、两所", [("一亿五千万元", "150000000", "元"), ("三十三所", "33", "所"), ("两所", "2", "所")]),
    ("500余家", [("500", "500", "")]),
    ("统一部署，十分重要，万众创新，一个平台", []),  # words, and the article-like 一
])
def test_numbers_are_read_with_value_and_unit(text, expected):
    assert [(m.written, m.number.value, m.number.unit) for m in _numbers(text)] == [
        (w, Decimal(v), u) for w, v, u in expected]


@pytest.fixture(scope="module")
def passages(service):
    chunks = service._require().index.chunks
    haidian = next(c for c in chunks if "高等院校 33 所" in c.text)
    other = next(c for c in chunks if "海淀" not in c.title + c.text and "中国电科" in c.title + c.text)
    return [Passage(haidian, 1.0), Passage(other, 0.9)]


@pytest.fixture(scope="module")
def checker(service, analyse):
    chunks = service._require().index.chunks
    claims = ClaimChecker(EntityGrounding(c.title + c.section + c.text for c in chunks))
    return ContentAttributor(claims, SentenceEvidenceScorer(), analyse)


QUESTION = "海淀区有多少所高等院校？"


@pytest.fixture(scope="module")
def query(analyse):
    return analyse(QUESTION)


def test_a_marker_to_a_passage_that_does_not_state_the_claim_is_corrected(checker, passages, query):
    ok = "海淀区有北大、清华等高等院校 33 所[1]。"
    done = checker.attribute(query, ok + "高等院校 33 所[2]。", passages)  # passage 2 does not say it; 1 does
    assert done.text == ok + "高等院校 33 所[1]。" and done.unsupported == () and done.recited == 1
    done = checker.attribute(query, ok, passages)
    assert (done.text, done.unsupported, done.recited, done.trimmed) == (ok, (), 0, False)


def test_uncited_sentence_is_cited_to_the_passage_that_states_it(checker, passages, query):
    done = checker.attribute(query, "海淀区共有高等院校 33 所。另有 999 家科研院所[1]。", passages)
    assert [(c.claim, c.refs) for c in done.unsupported] == [("999 家", (1,))]
    assert done.text == "海淀区共有高等院校 33 所[1]。" and done.recited == 1 and done.removed == 1


def test_names_and_quoted_terms_must_be_in_the_passage(checker, passages, query):
    done = checker.attribute(query, "根据《苏州工业园区人才计划》，海淀区有高等院校 33 所[1]。", passages)
    assert ("苏州工业园区人才计划", "entity") in {(c.claim, c.kind) for c in done.unsupported}
    assert done.text == ""


def test_a_sentence_whose_words_no_passage_holds_is_removed(checker, passages, query):
    done = checker.attribute(query, "海淀区有高等院校 33 所[1]。这个问题很复杂，需要综合考虑。", passages)
    assert done.text == "海淀区有高等院校 33 所[1]。"
    assert [(c.claim, c.kind, c.refs) for c in done.unsupported] == [("这个问题很复杂，需要综合考虑。", "content", (1, 2))]


def test_item_numbers_of_a_list_are_layout_not_claims(checker, passages, query):
    text = "海淀区的情况：\n1. 高等院校 33 所[1]；\n(2) 科研院所 138 家[1]。\n3、共 1.5 万所[1]。"
    done = checker.attribute(query, text, passages)
    assert [c.claim for c in done.unsupported] == ["1.5 万所"]
    assert done.text == "海淀区的情况：\n1. 高等院校 33 所[1]；\n(2) 科研院所 138 家[1]。"


def test_the_questions_own_entities_are_not_new_claims(checker, passages, analyse):
    question = "北京市海淀区和中关村有多少所高等院校？"
    assert checker.attribute(analyse(question), "北京市海淀区有高等院校 33 所[1]。", passages).unsupported == ()


def test_remainder_must_still_answer(checker, passages, query):
    done = checker.attribute(query, "海淀区教育资源丰富[1]。高等院校共 45 所[1]。", passages)
    assert not done.answers(query)
    assert checker.attribute(query, "海淀区有高等院校 33 所[1]。", passages).answers(query)


def test_a_very_long_answer_is_checked_within_bounds(checker, passages, monkeypatch, query):
    seen: list[str] = []
    viterbi = jieba.posseg.viterbi
    monkeypatch.setattr(jieba.posseg, "viterbi", lambda obs, *a: seen.append(obs) or viterbi(obs, *a))
    rare = "".join(UNKNOWN_TO_HMM[i * 37 % len(UNKNOWN_TO_HMM)] for i in range(40))
    answer = ("海淀区有高等院校 33 所" + rare + "[1]。") * 500  # 28,500 characters
    done = checker.attribute(query, answer, passages)
    assert sum(1 for c in "".join(seen) if c in UNKNOWN_TO_HMM) <= HMM_UNKNOWN_CHARS  # one budget per answer
    assert len(done.text) <= MAX_CHECKED_CHARS and done.unchecked_chars > 0 and done.trimmed
    assert "not checked" in done.describe(uncited=False)


def test_a_sentence_whose_claims_come_from_two_passages_cites_both(checker, passages, query):
    sentence = "海淀区有高等院校 33 所，中国电科据国发[2015]32 号推进双创"
    done = checker.attribute(query, sentence + "。", passages)
    assert (done.text, done.unsupported, done.recited) == (sentence + "[1][2]。", (), 1)
