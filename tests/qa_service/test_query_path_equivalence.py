"""The faster query path computes exactly what the straightforward one did, on real passages and questions.

Each test recomputes a result the plain way (as the code did before it was made fast) and requires the
same answer: BM25 sums against bm25s itself, quotes against sentence-by-sentence scoring, entity grounding
against compacting the joined passages.
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

