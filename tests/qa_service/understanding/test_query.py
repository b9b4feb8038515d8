"""The question is analysed once per request and handed down the chain; the vector only when a stage needs it.

Counted on the real parts: the real jieba tokenizer and the real encoder, each wrapped to count the calls
that reach it, in a service built from the settings over the shared test index.
"""
from __future__ import annotations

import ast
import threading
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from embeddings.encoders.base import TextEncoder
from embeddings.lexical.chinese_tokenizer import ChineseTokenizer
from qa_service.service import QAService
from qa_service.understanding import entity_grounding, query as query_module

QUESTION = "海淀区有多少所高等院校？"


class CountingEncoder(TextEncoder):
    """The real encoder, counting the questions it encodes."""

    def __init__(self, inner: TextEncoder) -> None:
        self._inner = inner
        self.model_id, self.dimension = inner.model_id, inner.dimension
        self.queries: list[str] = []
        self._lock = threading.Lock()

    def encode_documents(self, texts, show_progress=False):
        return self._inner.encode_documents(texts, show_progress)

    def encode_query(self, text: str) -> np.ndarray:
        with self._lock:
            self.queries.append(text)
        return self._inner.encode_query(text)


@pytest.fixture()
def cuts(monkeypatch) -> Counter:
    """Every text the jieba BM25 tokenizer cuts (through any instance), as it is cut."""
    seen: Counter = Counter()
    real = ChineseTokenizer.__call__

    def counting(self, text):
        seen[text] += 1
        return real(self, text)

    monkeypatch.setattr(ChineseTokenizer, "__call__", counting)
    return seen


@pytest.fixture()
def analyses(monkeypatch) -> Counter:
    """Texts whose asked kinds and named entities are worked out."""
    seen: Counter = Counter()
    asked_of = query_module.AskedKinds.of.__func__
    named = entity_grounding.named_entities

    def counting_asked(cls, text):
        seen["asked", text] += 1
        return asked_of(cls, text)

    def counting_named(text, *args, **kwargs):
        seen["entities", text] += 1
        return named(text, *args, **kwargs)

    monkeypatch.setattr(query_module.AskedKinds, "of", classmethod(counting_asked))
    monkeypatch.setattr(entity_grounding, "named_entities", counting_named)
    return seen


@pytest.mark.parametrize("reranker", ["reading-evidence", "sentence-evidence", "none"])
def test_each_ask_cuts_and_analyses_its_question_once(built_index, encoder, cuts, analyses, reranker):
    counting = CountingEncoder(encoder)
    service = QAService.from_settings(built_index.with_overrides(reranker=reranker), counting)
    for round_ in (1, 2):  # nothing is remembered from one request to the next
        answer = service.ask(QUESTION, 5)
        assert answer.answerable and "33" in answer.answer
        assert cuts[QUESTION] == round_
        assert analyses["asked", QUESTION] == round_ and analyses["entities", QUESTION] == round_
        assert counting.queries == [QUESTION] * round_  # fusion's candidates and scores share one vector
    streamed = list(service.ask_stream(QUESTION, 5))
    assert streamed[-1].answer == answer.answer
    assert cuts[QUESTION] == 3 and counting.queries == [QUESTION] * 3


def test_search_tags_named_entities_only_for_a_reranker_that_reads_them(built_index, encoder, analyses):
    """Tagging named things (jieba's part-of-speech HMM, the costly step) runs for a search only when the reranker
    uses them (reading-evidence: the bonus for a passage holding the question's named things), and then once."""
    plain = QAService.from_settings(built_index.with_overrides(reranker="sentence-evidence"), encoder)
    assert plain.search(QUESTION, 5)
    assert analyses["entities", QUESTION] == 0 and analyses["asked", QUESTION] == 1
    reading = QAService.from_settings(built_index.with_overrides(reranker="reading-evidence"), encoder)
    assert reading.search(QUESTION, 5)
    assert analyses["entities", QUESTION] == 1 and analyses["asked", QUESTION] == 2


def test_bm25_only_service_never_encodes_the_question(built_index, encoder, cuts):
    counting = CountingEncoder(encoder)
    service = QAService.from_settings(built_index.with_overrides(retriever="bm25"), counting)
    assert service.search(QUESTION, 5) and service.ask(QUESTION, 5).answerable
    assert list(service.ask_stream(QUESTION, 3))[-1].answerable
    assert counting.queries == [] and cuts[QUESTION] == 3
    dense = QAService.from_settings(built_index.with_overrides(retriever="dense"), counting)
    dense.search(QUESTION, 5)
    assert counting.queries == [QUESTION]


def test_the_vector_is_encoded_once_when_threads_ask_for_it_together(service, encoder):
    counting = CountingEncoder(encoder)
    from qa_service.understanding.query import QueryAnalyser

    index = service._require().index
    query = QueryAnalyser(index.bm25.tokenize, index.bm25.idf, counting.encode_query).analyse(QUESTION)
    assert counting.queries == []  # not before it is needed
    vectors: list[np.ndarray] = []
    threads = [threading.Thread(target=lambda: vectors.append(query.vector)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counting.queries == [QUESTION] and all(v is vectors[0] for v in vectors)
    assert np.array_equal(vectors[0], encoder.encode_query(QUESTION))


def test_a_query_without_an_encoder_says_so(service):
    from qa_service.understanding.query import QueryAnalyser

    index = service._require().index
    query = QueryAnalyser(index.bm25.tokenize, index.bm25.idf).analyse(QUESTION)
    with pytest.raises(RuntimeError, match="without an encoder"):
        query.vector


def test_the_analysis_holds_what_the_stages_read(analyse):
    query = analyse(QUESTION, top_k=3, retrieve_k=20)
    assert (query.text, query.top_k, query.retrieve_k) == (QUESTION, 3, 20)
    assert query.tokens == ("海淀", "淀区", "海淀区", "高等", "院校", "高等院校")
    assert set(query.terms.weights) == set(query.tokens) and query.terms.total == sum(query.terms.weights.values())
    assert query.asked.number and not query.asked.time and query.required_kind == "number"
    assert "海淀区" in query.entities


def test_a_scoring_retriever_is_named_after_a_score_field():
    from qa_service.retrievers.bm25_retriever import BM25Retriever

    class Misnamed(BM25Retriever):
        name = "splade"

    with pytest.raises(TypeError, match="RetrievalScores"):
        Misnamed([], None)


LATER_STAGES = ("qa_service.answerers", "qa_service.rerankers", "qa_service.retrievers", "qa_service.chain",
                "qa_service.service", "qa_service.api")


def test_question_analysis_and_evidence_depend_on_no_later_stage():
    """understanding/ is what the retrievers, the reranker and the answerers read; it imports none of them."""
    package = Path(query_module.__file__).parent
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert not name.startswith(LATER_STAGES), f"{path.name} imports {name}"


def test_the_chain_registries_offer_what_the_settings_accept():
    from qa_service import chain, settings

    assert set(chain.RETRIEVERS) == set(settings.RETRIEVERS) and set(chain.RERANKERS) == set(settings.RERANKERS)


def test_a_long_question_encodes_a_bounded_number_of_new_terms(service, encoder):
    """Terms the corpus does not use are encoded per question (~5 ms each): a 2,000-character question of rare
    Han characters holds ~1,900 of them and took 10 s before the cap (issue 16). A normal question's new terms
    are all encoded, as before."""
    from benchmarks.hostile_inputs import rare_han_question
    from qa_service.understanding.query import MAX_ENCODED_TERMS, QueryAnalyser

    index = service._require().index
    assert index.terms is not None and len(index.terms) > 0
    encoded: list[list[str]] = []

    def encode_terms(terms: list[str]) -> np.ndarray:
        encoded.append(list(terms))
        return encoder.encode_documents(terms)

    analyser = QueryAnalyser(index.bm25.tokenize, index.bm25.idf, encoder.encode_query, term_vectors=index.terms,
                             encode_terms=encode_terms)
    long_query = analyser.analyse(rare_han_question(2000))
    new = [t for t in long_query.terms.weights if t not in index.terms]
    assert len(new) > 10 * MAX_ENCODED_TERMS  # the question is the hostile one
    vectors = long_query.term_vectors
    assert len(encoded) == 1 and len(encoded[0]) == MAX_ENCODED_TERMS
    heaviest = sorted(long_query.terms.weights[t] for t in new)[-MAX_ENCODED_TERMS]
    assert all(long_query.terms.weights[t] >= heaviest for t in encoded[0])
    assert set(vectors) == {t for t in long_query.terms.weights if t in index.terms} | set(encoded[0])

    encoded.clear()
    question = "海淀区的猫咪咖啡馆有多少家？"  # words the test corpus does not use
    query = analyser.analyse(question)
    new = [t for t in query.terms.weights if t not in index.terms]
    assert new and encoded == [] and set(query.term_vectors) == set(query.terms.weights)
    assert encoded == [new]
