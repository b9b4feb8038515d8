"""The question of one request, analysed once and handed down the chain (retriever, fusion, reranker, answerer).

Every stage reads what it needs from the Query instead of analysing the text itself: the BM25 tokens (the
index's own tokenizer), the IDF-weighted terms sentence evidence measures, the kinds of content the question
asks for, its named entities and its vector. What every ask needs is computed when the Query is made; the
vector and the entities are computed on first use, so a BM25-only service never runs the encoder and
/v1/search never runs the part-of-speech tagger. A richer analysis (the asked detail, the subject, the
constraints) is one more field here and one more line in QueryAnalyser.analyse.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Generic, Mapping, TypeVar

import numpy as np

from embeddings.lexical.term_vectors import TermVectors
from qa_service.understanding.asked_detail import DetailQuestion, analyse_detail
from qa_service.understanding.entity_grounding import named_entities
from qa_service.understanding.question_types import AskedKinds, required_kind

if TYPE_CHECKING:
    from qa_service.search_filter import AllowedRows

T = TypeVar("T")

# Question terms the corpus does not use whose vectors are encoded per question. Each costs the encoder about
# 5 ms here (batches of 16): a 2,000-character question of rare Han characters holds ~1,900 such terms, which
# took 10 s of encoding (issue 16 asks for about a second). The 210 questions of the benchmark and dev sets hold
# at most 5 (at most 28 terms in all); the others only lose the close-word credit (exact matches still count).
MAX_ENCODED_TERMS = 32


class _OnFirstUse(Generic[T]):
    """A value computed when first asked for, once, even when two threads of one request ask together."""

    def __init__(self, compute: Callable[[], T]) -> None:
        self._compute: Callable[[], T] | None = compute
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        with self._lock:
            if self._compute is not None:
                self._value = self._compute()
                self._compute = None
            return self._value  # type: ignore[return-value]


@dataclass(frozen=True)
class QueryTerms:
    """The question's BM25 terms, each once, weighted by their IDF in the index (what sentence evidence counts)."""

    weights: Mapping[str, float]
    total: float


def _no_encoder() -> np.ndarray:
    raise RuntimeError("this query was made without an encoder: it has no vector")


@dataclass(frozen=True)
class Query:
    """One request's question and what every stage reads of it; made by QueryAnalyser.analyse, once."""

    text: str
    top_k: int  # passages the request asked for
    retrieve_k: int  # passages the first stage hands on (more than top_k when a reranker chooses among them)
    tokens: tuple[str, ...]  # BM25 tokens, by the index's tokenizer (repeats kept: BM25 counts them)
    terms: QueryTerms
    asked: AskedKinds  # kinds of content the question asks for (a number, a date, an organisation, a list)
    required_kind: str | None  # "time" or "number" when only that kind of content can answer it
    _vector: _OnFirstUse[np.ndarray] = field(repr=False, compare=False)
    _entities: _OnFirstUse[tuple[str, ...]] = field(repr=False, compare=False)
    _named: _OnFirstUse[tuple[str, ...]] = field(repr=False, compare=False)
    _detail: _OnFirstUse[DetailQuestion] = field(repr=False, compare=False)
    _term_vectors: _OnFirstUse[dict[str, np.ndarray]] = field(repr=False, compare=False)
    # The reader's readings of this request, by the passages read: the reranker reads to order the passages and
    # the answerer then answers from that same reading instead of reading again (readers/detail_reader.py).
    readings: dict = field(default_factory=dict, repr=False, compare=False)
    # The rows the request's filters allow (retrievers/filters.py), resolved once; None: no filter.
    allowed: AllowedRows | None = field(default=None, repr=False, compare=False)

    @property
    def vector(self) -> np.ndarray:
        """The question's embedding (normalised), encoded on first use."""
        return self._vector.get()

    @property
    def entities(self) -> tuple[str, ...]:
        """Named things the passages must mention (qa_service.understanding.entity_grounding), tagged on first use."""
        return self._entities.get()

    @property
    def named(self) -> tuple[str, ...]:
        """The entities that are not common in the corpus (中国, 5G are not): what the question is about."""
        return self._named.get()

    @property
    def detail(self) -> DetailQuestion:
        """The asked detail, its focus words and the constraints (understanding/asked_detail.py)."""
        return self._detail.get()

    @property
    def term_vectors(self) -> dict[str, np.ndarray]:
        """A vector per term (understanding/term_matching.py): from the index's term vectors, or encoded for terms
        the corpus does not use (at most MAX_ENCODED_TERMS of those); empty when the index has no term vectors."""
        return self._term_vectors.get()


class QueryAnalyser:
    """Makes the Query of a request from the index's tokenizer and IDF, the encoder and the entity finder."""

    def __init__(self, tokenize: Callable[[str], list[str]], idf: Callable[[str], float],
                 encode: Callable[[str], np.ndarray] | None = None,
                 entities: Callable[[str], list[str]] = named_entities,
                 is_generic: Callable[[str], bool] = lambda word: False,
                 term_vectors: TermVectors | None = None,
                 encode_terms: Callable[[list[str]], np.ndarray] | None = None) -> None:
        self._tokenize = tokenize
        self._idf = idf
        self._encode = encode
        self._entities = entities
        self._is_generic = is_generic
        self._term_vectors = term_vectors
        self._encode_terms = encode_terms

    def _vectors_of(self, terms: tuple[str, ...], weights: Mapping[str, float]) -> dict[str, np.ndarray]:
        known = self._term_vectors
        if known is None or not len(known):
            return {}
        out = {t: v for t in terms if (v := known.vector(t)) is not None}
        new = [t for t in terms if t not in out]
        if len(new) > MAX_ENCODED_TERMS:  # the heaviest ones, in question order among equals
            new = sorted(new, key=lambda t: -weights[t])[:MAX_ENCODED_TERMS]
        if new and self._encode_terms is not None:
            out.update(zip(new, np.asarray(self._encode_terms(new), dtype=np.float32)))
        return out

    def analyse(self, text: str, top_k: int = 5, retrieve_k: int | None = None,
                allowed: AllowedRows | None = None) -> Query:
        tokens = tuple(self._tokenize(text))
        weights = {t: self._idf(t) for t in tokens}
        encode, entities = self._encode, self._entities
        found = _OnFirstUse(lambda: tuple(entities(text)))
        named = _OnFirstUse(lambda: tuple(e for e in found.get() if not self._is_generic(e)))
        terms = tuple(weights)
        return Query(
            text, top_k, top_k if retrieve_k is None else retrieve_k, tokens,
            QueryTerms(weights, sum(weights.values())), AskedKinds.of(text), required_kind(text),
            _OnFirstUse(lambda: encode(text)) if encode is not None else _OnFirstUse(_no_encoder),
            found, named, _OnFirstUse(lambda: analyse_detail(text, terms, named.get())),
            _OnFirstUse(lambda: self._vectors_of(terms, weights)), allowed=allowed)
