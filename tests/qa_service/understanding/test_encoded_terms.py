"""The remembered vectors of question terms the corpus does not use (understanding/encoded_terms.py), with the
real encoder: the same bits as encoding them, bounded, forgotten when the index version changes."""
from __future__ import annotations

import numpy as np
import pytest

from qa_service.understanding.encoded_terms import EncodedTerms

TERMS = ["猫咪咖啡馆", "海淀区", "关系不大", "拿到", "段时间"]


@pytest.fixture()
def recorded(encoder):
    calls: list[list[str]] = []

    def encode(terms: list[str]) -> np.ndarray:
        calls.append(list(terms))
        return encoder.encode_documents(terms)

    return encode, calls


def test_a_remembered_vector_is_the_one_encoding_gives_and_is_not_encoded_again(encoder, recorded):
    encode, calls = recorded
    cache = EncodedTerms(encode)
    first = cache.vectors("v1", TERMS[:3])
    assert calls == [TERMS[:3]] and first.dtype == np.float32 and first.shape[0] == 3
    again = cache.vectors("v1", TERMS[1:])  # two remembered, two new: only the new ones are encoded
    assert calls[1:] == [TERMS[3:]]
    assert np.array_equal(again[:2], first[1:])
    for term, row in zip(TERMS[1:], again):  # encoded with others or alone: the same vector
        assert np.array_equal(row, encoder.encode_documents([term])[0])


def test_the_cache_is_bounded_and_drops_the_least_recently_used(recorded):
    encode, calls = recorded
    cache = EncodedTerms(encode, max_terms=3)
    cache.vectors("v1", TERMS[:3])
    cache.vectors("v1", TERMS[:1])  # used again: the second term is now the least recently used
    cache.vectors("v1", TERMS[3:4])
    assert len(cache) == 3
    calls.clear()
    cache.vectors("v1", [TERMS[0], TERMS[2], TERMS[3]])
    assert calls == []
    cache.vectors("v1", [TERMS[1]])
    assert calls == [[TERMS[1]]] and len(cache) == 3
    with pytest.raises(ValueError):
        EncodedTerms(encode, max_terms=-1)


def test_a_new_index_version_forgets_what_the_earlier_one_remembered(recorded):
    encode, calls = recorded
    cache = EncodedTerms(encode)
    cache.vectors("v1", TERMS[:2])
    calls.clear()
    cache.vectors("v2", TERMS[:2])
    assert calls == [TERMS[:2]] and len(cache) == 2
    calls.clear()
    cache.vectors("v1", TERMS[:1])  # back to the earlier version: nothing of v2 is taken for it
    assert calls == [TERMS[:1]] and len(cache) == 1


def test_the_service_remembers_the_new_terms_of_its_questions(service):
    """The chain's analyser (qa_service/chain.py) goes through the cache of its index version."""
    chain = service._require().chain
    cache = chain.analyser._encode_terms.func.__self__
    question = "海淀区的猫咪咖啡馆有多少家？"  # words the test corpus does not use
    query = chain.query(question, 5)
    new = [t for t in query.terms.weights if t not in service._require().index.terms]
    assert new and set(query.term_vectors) == set(query.terms.weights)
    assert all(t in cache for t in new)
