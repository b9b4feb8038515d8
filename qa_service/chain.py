"""The query chain of one loaded index, built from the settings in one place.

One request goes: QueryAnalyser.analyse (understanding/query.py: the question analysed once) -> retriever
(retrievers/: BM25, dense, or WeightedFusion of both) -> reranker (rerankers/: sentence evidence, or none)
-> answerer (answerers/: extractive, or an LLM gated and checked by it). Each stage reads the same Query.
A new retriever, reranker or answerer is a new file implementing its base class and one entry here.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Callable, Sequence

from documents.models import Chunk
from embeddings.encoders.base import TextEncoder
from embeddings.index_store import LoadedIndex
from embeddings.vector_stores.keyed_base import KeyedVectorStore
from qa_service.answerers.base import Answerer
from qa_service.answerers.claim_check import ClaimChecker
from qa_service.answerers.content_attribution import ContentAttributor
from qa_service.answerers.extractive_answerer import ExtractiveAnswerer
from qa_service.document_records import DocumentRecord
from qa_service.readers.base import Reader
from qa_service.readers.detail_reader import QUOTED_BONUS, DetailReader, ReaderConfig
from qa_service.readers.quote_reader import QuoteReader, QuoteReaderConfig
from qa_service.rerankers.base import Reranker
from qa_service.rerankers.sentence_evidence_reranker import SentenceEvidenceReranker
from qa_service.retrievers.base import Retriever, ScoringRetriever
from qa_service.retrievers.bm25_retriever import BM25Retriever
from qa_service.retrievers.dense_retriever import DenseRetriever
from qa_service.retrievers.filters import FilterResolver
from qa_service.search_filter import SearchFilter
from qa_service.retrievers.fusion import WeightedFusion
from qa_service.retrievers.scaling import min_max_scaled, top_scaled
from qa_service.settings import Settings
from qa_service.types import Passage
from qa_service.understanding.abbreviations import Abbreviations, document_texts
from qa_service.understanding.encoded_terms import EncodedTerms
from qa_service.understanding.entity_grounding import EntityGrounding
from qa_service.understanding.premises import Premises
from qa_service.understanding.query import Query, QueryAnalyser
from qa_service.understanding.sentence_evidence import SentenceEvidenceScorer
from qa_service.understanding.term_matching import TermMatcher
from qa_service.vector_backends.base import row_document_ids

if TYPE_CHECKING:
    import openai

# QA_RETRIEVER -> the first stage, from the scoring retrievers by name (settings.RETRIEVERS lists the same names).
RETRIEVERS: dict[str, Callable[[Settings, Sequence[Chunk], dict[str, ScoringRetriever]], Retriever]] = {
    "bm25": lambda s, chunks, scoring: scoring["bm25"],
    "dense": lambda s, chunks, scoring: scoring["dense"],
    "hybrid": lambda s, chunks, scoring: WeightedFusion(
        chunks, [(scoring["bm25"], s.hybrid_lexical_weight), (scoring["dense"], 1.0 - s.hybrid_lexical_weight)],
        s.hybrid_candidates),
}
# QA_RERANKER -> the second stage (settings.RERANKERS lists the same names).
# `prior`: how the first stage's scores enter (QA_RERANK_PRIOR).
RERANKERS: dict[str, Callable[[Settings, SentenceEvidenceScorer, DetailReader, Callable], Reranker | None]] = {
    "reading-evidence": lambda s, scorer, reader, prior: SentenceEvidenceReranker(
        scorer, s.rerank_weight, reader.quote_bonuses, reader.lead if s.reading_leads else None, prior),
    "sentence-evidence": lambda s, scorer, reader, prior: SentenceEvidenceReranker(scorer, s.rerank_weight,
                                                                                  prior=prior),
    "none": lambda s, scorer, reader, prior: None,
}

# QA_READER -> which sentence answers, or why none does (settings.READERS lists the same names).
READERS: dict[str, Callable[[Settings, DetailReader, SentenceEvidenceScorer, EntityGrounding], Reader]] = {
    "detail": lambda s, detail, scorer, grounding: detail,
    "quote": lambda s, detail, scorer, grounding: QuoteReader(
        scorer, grounding, QuoteReaderConfig(min_support=s.answer_min_support, min_dense=s.answer_min_dense)),
}


@dataclass(frozen=True)
class QueryChain:
    analyser: QueryAnalyser
    retriever: Retriever
    reranker: Reranker | None
    answerer: Answerer
    rerank_candidates: int  # the first stage hands the reranker at least this many candidates
    filters: FilterResolver | None = None  # resolves a request's filters against this version (None: no filters)

    @property
    def retrieval(self) -> str:
        """What the first stage searches, as responses say it: "lexical" (BM25), "dense" or "hybrid"."""
        return {"bm25": "lexical"}.get(self.retriever.name, self.retriever.name)

    def query(self, text: str, top_k: int, filters: SearchFilter | None = None) -> Query:
        """The request's question, analysed once, for every stage, with the rows its filters allow."""
        retrieve_k = top_k if self.reranker is None else max(top_k, self.rerank_candidates)
        allowed = None if filters is None or self.filters is None else self.filters.resolve(filters)
        return self.analyser.analyse(text, top_k, retrieve_k, allowed)

    def passages(self, query: Query) -> list[Passage]:
        """The query.top_k best passages: retrieved, then reranked."""
        found = self.retriever.retrieve(query)
        return found if self.reranker is None else self.reranker.rerank(query, found)


def build_chain(settings: Settings, index: LoadedIndex, encoder: TextEncoder, vectors: KeyedVectorStore | None,
                keys: Sequence[str], llm: openai.OpenAI | None = None) -> QueryChain:
    """The chain over a loaded index; `vectors` holds its dense vectors under `keys` (one per chunk row), `llm`
    is the client of the configured LLM endpoint (None: extractive answers). Without `vectors` (a lexical
    version, its vectors still being made) BM25 is the first stage whatever QA_RETRIEVER says; the rest of the
    chain is the same."""
    grounding = EntityGrounding(c.title + c.section + c.text for c in index.chunks)
    analyser = QueryAnalyser(index.bm25.tokenize, index.bm25.idf, encoder.encode_query, grounding.entities,
                             grounding.is_generic, index.terms,
                             partial(EncodedTerms(encoder.encode_documents).vectors, index.directory.name))
    scoring: dict[str, ScoringRetriever] = {"bm25": BM25Retriever(index.chunks, index.bm25)}
    if vectors is not None:
        scoring["dense"] = DenseRetriever(index.chunks, vectors, keys)
    scorer = SentenceEvidenceScorer()
    s = settings
    abbreviations = Abbreviations(partial(document_texts, index.chunks)) if s.abbreviations else None
    detail = DetailReader(scorer, TermMatcher(index.terms), Premises(grounding.corpus, abbreviations, s.bilateral_forms),
                          index.bm25.tokenize,
                          ReaderConfig(min_coverage=s.answer_min_coverage, counted_premises=s.counted_premises,
                                       quoted_bonus=QUOTED_BONUS if s.rerank_quoted else 0.0,
                                       list_counts=s.list_counts, end_dates=s.end_dates,
                                       numbered_titles=s.numbered_titles, further=s.answer_read_further,
                                       further_scope=s.answer_read_further_scope, acronyms=s.answer_acronyms))
    answerer: Answerer = ExtractiveAnswerer(READERS[s.reader](s, detail, scorer, grounding), s.short_answers,
                                            short_scope=s.short_answer_scope)
    if llm is not None:
        from qa_service.answerers.llm_answerer import LLMAnswerer  # here: without an LLM the SDK is never loaded
        attribution = ContentAttributor(ClaimChecker(grounding), scorer, analyser.analyse)
        answerer = LLMAnswerer(llm, s.llm_model, answerer, scorer, attribution,
                               fallback=s.llm_fallback, context_tokens=s.llm_context_tokens,
                               timeout=s.llm_timeout, max_retries=s.llm_max_retries,
                               max_tokens=s.llm_max_tokens)
    retriever = RETRIEVERS[s.retriever if vectors is not None else "bm25"](s, index.chunks, scoring)
    records = [DocumentRecord.from_dict(d, index.manifest.created_at) for d in index.manifest.documents]
    filters = FilterResolver(index.chunks, records, row_document_ids(index.manifest, index.chunks), keys)
    # a share of the best is meaningful where 0 means no match (BM25, fusion), not for cosines (dense alone)
    prior = top_scaled if s.rerank_prior == "top" and retriever.name != "dense" else min_max_scaled
    return QueryChain(analyser, retriever, RERANKERS[s.reranker](s, scorer, detail, prior), answerer,
                      s.rerank_candidates, filters)
