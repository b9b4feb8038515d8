"""The faster query path computes exactly what the straightforward one did, on real passages and questions.

Each test recomputes a result the plain way (as the code did before it was made fast) and requires the
same answer: BM25 sums against bm25s itself, quotes against sentence-by-sentence scoring, entity grounding
against compacting the joined passages, fusion against the two-retriever arithmetic it replaced, and the
reranker's evidence against the answerer looking for the quote itself.
"""
from __future__ import annotations

import unicodedata

import numpy as np
import pytest

from benchmarks.common import questions
from embeddings.lexical.chinese_tokenizer import ChineseTokenizer
from qa_service.types import Passage, Quote
from qa_service.understanding.entity_grounding import EntityGrounding, _compact
from qa_service.understanding.question_types import answer_type_match
from qa_service.understanding.sentence_evidence import SentenceEvidenceScorer
from qa_service.understanding.sentence_splitter import split_sentences

EXTRA = ["海淀区 海淀区 海淀区", "ＩＰｖ６ 规模部署", "中国电科“8+2+X”体系", "哪一年 多少 哪些 哪个部门", "", "。。。"]


@pytest.fixture(scope="module")
def index(service):
    return service._require().index


@pytest.fixture(scope="module")
def passages(index):
    return [Passage(c, 1.0) for c in index.chunks]


def _plain_best_quote(scorer: SentenceEvidenceScorer, query, passage: Passage) -> Quote | None:
    """Sentence evidence as first written: every sentence split and normalised for every question."""
    question = query.text
    text = passage.chunk.text
    context = passage.chunk.title + passage.chunk.section
    sentences = split_sentences(text)
    best = None
    for i, sentence in enumerate(sentences):
        last = sentences[i + 1] if i + 1 < len(sentences) else sentence
        end = last.start + len(last.text)
        score = scorer.coverage(query, sentence.text, context) + 0.25 * answer_type_match(question, text[sentence.start:end])
        if best is None or score > best.score:
            best = Quote(sentence.start, end, score)
    return best


def test_bm25_scores_equal_those_of_bm25s_bit_for_bit(index):
    bm25 = index.bm25
    vocab = bm25._retriever.vocab_dict
    for question in questions() + EXTRA:
        tokens = [t for t in bm25.tokenize(question) if t in vocab]
        ours = bm25.scores(question)
        if not tokens:
            assert not ours.any()
            continue
        theirs = np.asarray(bm25._retriever.get_scores(tokens), dtype=np.float32)
        assert ours.dtype == np.float32 and np.array_equal(ours, theirs), question


def test_best_quote_and_support_equal_plain_sentence_scoring(passages, analyse):
    scorer = SentenceEvidenceScorer(prepared_passages=64)
    sample = passages[:: max(1, len(passages) // 60)]
    for question in questions()[:12] + EXTRA[:4]:
        query = analyse(question)
        for passage in sample:
            assert scorer.best_quote(query, passage) == _plain_best_quote(scorer, query, passage)
            c = passage.chunk
            assert scorer.support(query, passage) == scorer.coverage(query, f"{c.title}\n{c.section}\n{c.text}")


def test_grounding_compacts_passages_as_their_join_does(index, passages):
    grounding = EntityGrounding(c.title + c.section + c.text for c in index.chunks)
    for start in range(0, min(len(passages), 200), 5):
        group = passages[start:start + 5]
        joined = _compact("".join(p.chunk.title + p.chunk.section + p.chunk.text for p in group))
        assert "".join(grounding._compact_passage(p.chunk) for p in group) == joined


def test_compact_removes_every_space_and_punctuation_mark_and_nothing_else():
    text = "".join(chr(c) for c in range(0x20, 0x3100)) + "ＩＰｖ６，“借转补”\u3000\t\n"
    expected = "".join(c for c in unicodedata.normalize("NFKC", text).lower()
                       if not c.isspace() and not unicodedata.category(c).startswith("P"))
    assert _compact(text) == expected


def test_tokenizer_hands_out_copies():
    tokenizer = ChineseTokenizer()
    first = tokenizer("海淀区有多少所高等院校？")
    first.append("changed")
    assert tokenizer("海淀区有多少所高等院校？") == ["海淀", "淀区", "海淀区", "高等", "院校", "高等院校"]


def test_tokenizer_pickles_with_its_settings():
    import copy
    import pickle

    tokenizer = ChineseTokenizer(mode="precise", stop_words=False)
    tokenizer("海淀区的高等院校")
    for clone in (pickle.loads(pickle.dumps(tokenizer)), copy.deepcopy(tokenizer)):
        assert clone == tokenizer and clone("海淀区的高等院校") == tokenizer("海淀区的高等院校")


def _plain_hybrid(service, question: str, top_k: int, weight: float = 0.6, candidates: int = 50):
    """Hybrid retrieval as written before fusion had its own component: BM25 and dense side by side."""
    from qa_service.retrievers.bm25_retriever import top_rows

    components = service._require()
    index, vectors = components.index, components.vectors
    keys = components.chain.retriever._parts[1][0]._keys
    row_of = {key: row for row, key in enumerate(keys)}

    def scaled(values):
        lo, hi = float(values.min()), float(values.max())
        return np.zeros_like(values, dtype=np.float64) if hi - lo <= 1e-12 else (values - lo) / (hi - lo)

    pool_size = max(candidates, top_k)
    bm25_all = index.bm25.scores(question)
    query_vector = service._encoder.encode_query(question)
    pool = {int(r) for r in top_rows(bm25_all, pool_size) if bm25_all[r] > 0}
    pool.update(row_of[hit.chunk_id] for hit in vectors.search(query_vector, pool_size))
    if not pool:
        return []
    rows = np.array(sorted(pool), dtype=np.int64)
    bm25 = bm25_all[rows].astype(np.float64)
    dense = vectors.similarities(query_vector, [keys[r] for r in rows]).astype(np.float64)
    fused = weight * scaled(bm25) + (1.0 - weight) * scaled(dense)
    return [(index.chunks[rows[i]].id, float(fused[i]), float(bm25[i]), float(dense[i]))
            for i in np.lexsort((rows, -fused))[:top_k]]


def test_fusion_equals_the_two_retriever_arithmetic_it_replaced(built_index, encoder):
    from qa_service.service import QAService

    service = QAService.from_settings(built_index.with_overrides(reranker="none"), encoder)
    for question in questions()[:20] + [q for q in EXTRA if q.strip()]:  # the service refuses a blank query
        for top_k in (3, 10):
            ours = [(p.chunk.id, p.score, p.retrieval.bm25, p.retrieval.dense) for p in service.search(question, top_k)]
            assert ours == _plain_hybrid(service, question, top_k), question  # exact floats, not approximately


def test_answerer_quotes_what_it_would_have_found_itself(built_index, encoder, analyse):
    """The quote reader reads the sentence-evidence reranker's quote (Passage.evidence); looking for it again gives
    the same quote, and an answer made from passages without evidence is the same answer."""
    from dataclasses import replace

    from qa_service.service import QAService

    service = QAService.from_settings(built_index.with_overrides(reader="quote", reranker="sentence-evidence"),
                                      encoder)
    chain = service._require().chain
    scorer = chain.answerer.reader._scorer
    for question in questions()[:20] + EXTRA[:4]:
        query = chain.query(question, 5)
        passages = chain.passages(query)
        for p in passages:
            assert p.evidence is not None and p.evidence.quote == scorer.best_quote(query, p)
        with_evidence = chain.answerer.answer(query, passages)
        without = chain.answerer.answer(query, [replace(p, evidence=None) for p in passages])
        assert _answer_fields(without) == _answer_fields(with_evidence), question


def _answer_fields(answer):
    """The answer and its citations, not the passages' scores (with evidence they say more)."""
    return (answer.answer, answer.answerable, answer.confidence,
            [(c.ref, c.passage.chunk.id, c.passage.score, c.quote) for c in answer.citations])
