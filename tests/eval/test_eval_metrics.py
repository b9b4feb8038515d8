"""Each metric on small hand-made cases with known values."""
from __future__ import annotations

import math

import pytest

from eval import metrics as m
from eval.rows import CitationOutcome, QuestionRow


def test_normalize_matches_format_md():
    assert m.normalize("“零资产”创业 机会，\n") == "零资产创业机会"
    assert m.normalize("ＡＢＣ１２３") == "ABC123"  # NFKC full-width -> ASCII
    assert m.normalize("500 余家") == "500余家"
    assert m.normalize(" \t\n、。！？（）《》") == ""


def test_relevance_ignores_spacing_and_punctuation_but_not_characters():
    evidence = "共 34 个，聚集了价值超过 5 亿元"
    assert m.is_relevant("……检测机构共34个 聚集了价值\n超过5亿元的仪器", evidence)
    assert not m.is_relevant("检测机构共35个，聚集了价值超过5亿元", evidence)
    assert not m.is_relevant("任何文本", "")  # empty evidence is never relevant
    assert not m.is_relevant("任何文本", " ，。")


def test_ranks_are_list_positions_with_ties_kept_in_service_order():
    # Scores tie at rank 1 and 2; the relevant one is returned second and stays rank 2.
    results = [{"text": "无关", "score": 1.0}, {"text": "相关证据", "score": 1.0}]
    flags = m.relevance_flags([r["text"] for r in results], "相关证据")
    assert flags == [False, True]
    assert m.first_relevant_rank(flags) == 2
    assert m.hit_at_k(2, 1) == 0.0 and m.hit_at_k(2, 3) == 1.0
    assert m.reciprocal_rank(2) == 0.5


def test_no_relevant_passage():
    flags = m.relevance_flags(["甲", "乙"], "丙")
    assert m.first_relevant_rank(flags) is None
    assert m.hit_at_k(None, 10) == 0.0
    assert m.reciprocal_rank(None) == 0.0
    assert m.ndcg_at_k(flags) == 0.0
    assert m.ndcg_at_k([]) == 0.0


def test_mrr_cut_at_10():
    assert m.reciprocal_rank(10) == pytest.approx(0.1)
    assert m.reciprocal_rank(11) == 0.0
    assert m.hit_at_k(11, 10) == 0.0


def test_ndcg_binary_with_ideal_from_retrieved_relevant():
    assert m.ndcg_at_k([True, False, False]) == 1.0
    assert m.ndcg_at_k([False, True]) == pytest.approx(1 / math.log2(3))
    # Two relevant at ranks 2 and 3: IDCG = 1 + 1/log2(3).
    expected = (1 / math.log2(3) + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert m.ndcg_at_k([False, True, True]) == pytest.approx(expected)
    assert m.ndcg_at_k([True, True]) == pytest.approx(1.0)


def test_ndcg_counts_only_first_10_but_ideal_from_whole_list():
    flags = [False] * 10 + [True]  # relevant only at rank 11
    assert m.ndcg_at_k(flags) == 0.0
    # 12 relevant passages: IDCG uses at most 10 of them, so a perfect list scores 1.
    assert m.ndcg_at_k([True] * 12) == pytest.approx(1.0)


def test_strip_citation_markers():
    assert m.strip_citation_markers("不唯学历[1]、不唯论文[2, 3]。不唯资历[1-2]【4】［5］") == "不唯学历、不唯论文。不唯资历"
    assert m.strip_citation_markers("第[一]条") == "第[一]条"  # only numeric markers


def test_answer_contains():
    assert m.answer_contains("500 余家", "为500余家[1]中小企业提供服务")
    # A marker inside the gold span would otherwise leave a stray digit after normalization.
    assert m.answer_contains("不唯学历、不唯论文", "要做到不唯学历[1]、不唯论文[2]")
    assert not m.answer_contains("500 余家", "为 400 余家中小企业")
    assert not m.answer_contains("", "任何回答")
    assert not m.answer_contains("500 余家", "")


def test_char_f1_multiset():
    assert m.char_f1("零资产创业机会", "零资产创业机会") == 1.0
    # gold 7 chars, system 7 chars, overlap 5 (零资产创业).
    assert m.char_f1("“零资产”创业机会", "提供“零资产”创业[1]") == pytest.approx(5 / 7)
    # Multiset, not set: "哈哈" vs "哈" -> overlap 1, P = 1, R = 1/2.
    assert m.char_f1("哈哈", "哈") == pytest.approx(2 * 1 * 0.5 / 1.5)
    assert m.char_f1("34个", "共有34个[1]。") == pytest.approx(2 * 0.6 * 1 / 1.6)  # P = 3/5, R = 1
    assert m.char_f1("", "abc") == 0.0
    assert m.char_f1("abc", "") == 0.0
    assert m.char_f1("abc", "[1]。") == 0.0
    assert m.char_f1("abc", "xyz") == 0.0


def test_percentile_nearest_rank():
    values = [40.0, 10.0, 30.0, 20.0]
    assert m.percentile_nearest_rank(values, 50) == 20.0
    assert m.percentile_nearest_rank(values, 95) == 40.0
    assert m.percentile_nearest_rank(list(range(1, 101)), 95) == 95
    assert m.percentile_nearest_rank([7.0], 50) == 7.0
    assert m.percentile_nearest_rank([], 50) is None


def row(
    qid: str,
    answerable: bool,
    rank: int | None = None,
    ndcg: float | None = None,
    abstained: bool = False,
    contains: bool | None = None,
    f1: float | None = None,
    citations: list[bool] | None = None,
    ask_ms: float | None = 10.0,
) -> QuestionRow:
    cits = [CitationOutcome(ref=i + 1, id=f"c{i}", doc="d", correct=c) for i, c in enumerate(citations or [])]
    r = QuestionRow(
        id=qid, line=1, question="?", type="factoid" if answerable else "unanswerable", doc="d" if answerable else "",
        subtype=None, gold_answerable=answerable, gold_answer="x" if answerable else "",
        first_relevant_rank=rank, ndcg_at_10=ndcg if answerable else None, abstained=abstained,
        answer_contains=contains, answer_char_f1=f1, citations=cits, ask_ms=ask_ms,
    )
    r.citations_correct = sum(1 for c in cits if c.correct)
    r.citation_hit = r.citations_correct > 0 if answerable else None
    return r


def test_aggregate_known_values():
    rows = [
        row("a", True, rank=1, ndcg=1.0, contains=True, f1=1.0, citations=[True, False], ask_ms=10),
        row("b", True, rank=4, ndcg=0.5, contains=False, f1=0.5, citations=[], ask_ms=20),
        row("c", True, rank=None, ndcg=0.0, abstained=True, contains=False, f1=0.0, citations=[False], ask_ms=30),
        row("d", False, abstained=True, ask_ms=40),
        row("e", False, abstained=False, citations=[False], ask_ms=50),
    ]
    s = m.aggregate(rows)
    assert (s.count, s.answerable, s.unanswerable, s.abstained) == (5, 3, 2, 2)
    mt = s.metrics
    assert list(mt) == list(m.METRIC_NAMES)
    assert mt["hit@1"] == pytest.approx(1 / 3)
    assert mt["hit@3"] == pytest.approx(1 / 3)
    assert mt["hit@5"] == pytest.approx(2 / 3)
    assert mt["hit@10"] == pytest.approx(2 / 3)
    assert mt["mrr@10"] == pytest.approx((1 + 0.25 + 0) / 3)
    assert mt["ndcg@10"] == pytest.approx(0.5)
    assert mt["answer_contains"] == pytest.approx(1 / 3)
    assert mt["answer_char_f1"] == pytest.approx(0.5)
    # Micro average over answerable questions: 1 correct of 3 citations (e's citation is not counted).
    assert mt["citation_precision"] == pytest.approx(1 / 3)
    # b has an empty citation list: a miss.
    assert mt["citation_hit"] == pytest.approx(1 / 3)
    assert mt["abstain_precision"] == pytest.approx(1 / 2)
    assert mt["abstain_recall"] == pytest.approx(1 / 2)
    assert mt["p50_ask_ms"] == 30
    assert mt["p95_ask_ms"] == 50
    assert s.notes == []


def test_aggregate_all_abstentions():
    rows = [
        row("a", True, rank=1, ndcg=1.0, abstained=True, contains=False, f1=0.0),
        row("d", False, abstained=True),
        row("e", False, abstained=True),
    ]
    mt = m.aggregate(rows).metrics
    assert mt["abstain_precision"] == pytest.approx(2 / 3)
    assert mt["abstain_recall"] == 1.0
    assert mt["answer_contains"] == 0.0
    assert mt["citation_precision"] == 0.0  # no citations at all
    assert mt["citation_hit"] == 0.0


def test_aggregate_no_abstention_and_no_citations_are_zero_with_notes():
    rows = [row("a", True, rank=1, ndcg=1.0, contains=True, f1=1.0, citations=[]), row("d", False)]
    s = m.aggregate(rows)
    assert s.metrics["abstain_precision"] == 0.0
    assert s.metrics["abstain_recall"] == 0.0
    assert s.metrics["citation_precision"] == 0.0
    assert s.metrics["citation_hit"] == 0.0
    assert any("abstain_precision" in n for n in s.notes)
    assert any("citation_precision" in n for n in s.notes)


def test_aggregate_empty_populations_are_null():
    only_unanswerable = m.aggregate([row("d", False, abstained=True)])
    for name in ("hit@1", "mrr@10", "ndcg@10", "answer_contains", "answer_char_f1", "citation_precision", "citation_hit"):
        assert only_unanswerable.metrics[name] is None
    assert only_unanswerable.metrics["abstain_precision"] == 1.0
    only_answerable = m.aggregate([row("a", True, rank=1, ndcg=1.0, contains=True, f1=1.0)])
    assert only_answerable.metrics["abstain_recall"] is None
    no_latency = m.aggregate([row("a", True, rank=1, ndcg=1.0, ask_ms=None)])
    assert no_latency.metrics["p50_ask_ms"] is None
    empty = m.aggregate([])
    assert all(v is None for v in empty.metrics.values())


def _answered(confidence, right, answerable=True, abstained=False):
    return QuestionRow(id="q", line=1, question="?", type="factoid", doc="d", subtype=None,
                       gold_answerable=answerable, gold_answer="34个", abstained=abstained,
                       answer_contains=right if answerable else None, confidence=confidence)


def test_calibration_bins_answered_questions_by_confidence():
    rows = [_answered(0.95, True), _answered(0.91, False), _answered(1.0, True),  # 1.0 falls in the top bin
            _answered(0.72, True), _answered(0.75, False, answerable=False),  # answering an unanswerable is wrong
            _answered(0.30, False, abstained=True),  # an abstention makes no claim
            _answered(None, True)]  # no confidence reported
    table = {round(row.low, 1): row for row in m.calibration(rows)}
    assert len(table) == 10
    assert table[0.9].answered == 3 and table[0.9].right == pytest.approx(2 / 3)
    assert table[0.9].mean_confidence == pytest.approx((0.95 + 0.91 + 1.0) / 3)
    assert table[0.7].answered == 2 and table[0.7].right == 0.5
    assert table[0.3].answered == 0 and table[0.3].right is None
    assert table[0.0].answered_at_or_above == 5 and table[0.0].right_at_or_above == pytest.approx(3 / 5)
    assert table[0.8].answered_at_or_above == 3
