"""Term vectors: stored with the index, and close words counting in coverage (embeddings/lexical/term_vectors.py,
qa_service/understanding/term_matching.py)."""
import numpy as np

from embeddings.lexical.term_vectors import TermVectors
from qa_service.understanding.term_matching import SOFT_CREDIT, TermMatcher


def test_term_vectors_save_and_load_row_for_row(tmp_path, encoder):
    terms = TermVectors.build(["资金", "经费", "品牌", "会议"], encoder.encode_documents)
    written = terms.save(tmp_path)
    loaded = TermVectors.load(tmp_path)
    assert written == ["terms/vectors.npy", "terms/vocabulary.json"] and loaded.vocabulary == terms.vocabulary
    assert np.array_equal(loaded.matrix(loaded.rows(["资金"])), terms.matrix(terms.rows(["资金"])))
    assert TermVectors.load(tmp_path / "elsewhere") is None  # an index written before term vectors


def test_a_close_word_counts_partly_and_an_unrelated_one_not(encoder):
    vocabulary = TermVectors.build(["资金", "会议", "高校", "支持"], encoder.encode_documents)
    matcher = TermMatcher(vocabulary)
    weights = {"经费": 1.0}
    vectors = {"经费": encoder.encode_documents(["经费"])[0]}
    close = matcher.nearest_per_group(vectors, [vocabulary.rows(["资金", "高校"])])[0]
    unrelated = matcher.nearest_per_group(vectors, [vocabulary.rows(["会议"])])[0]
    assert 0 < matcher.coverage(weights, "高校要用好支持资金", close) <= SOFT_CREDIT
    assert matcher.coverage(weights, "会议", unrelated) == 0
    assert matcher.coverage(weights, "经费", unrelated) == 1  # the term itself counts fully
    assert TermMatcher(None).coverage(weights, "资金", {}) == 0  # without vectors only exact words count
