"""BM25 from kept token rows: the score matrix bm25s makes, bit for bit, and an update that cuts only new texts
gives the rows (and so the index) a count from scratch gives."""
from __future__ import annotations

import bm25s
import numpy as np

from embeddings.lexical.bm25_index import BM25Index, load_rows
from embeddings.lexical.chinese_tokenizer import ChineseTokenizer
from embeddings.lexical.term_rows import TermRows
from tests.conftest import CORPUS

TEXTS = [p for p in (CORPUS / "中国电科双创示范基地建设方案.txt").read_text(encoding="utf-8").split("\n") if p.strip()][:80]
TOKENIZER = ChineseTokenizer()


def _bm25s(tokens: list[list[str]]) -> "bm25s.BM25":
    vocab: dict[str, int] = {}
    ids = [[vocab.setdefault(t, len(vocab)) for t in doc] for doc in tokens]
    retriever = bm25s.BM25(k1=1.2, b=0.75)
    retriever.index(bm25s.tokenization.Tokenized(ids=ids, vocab=vocab), show_progress=False)
    return retriever


def _same_matrix(ours: BM25Index, theirs: "bm25s.BM25") -> None:
    for name in ("data", "indices", "indptr"):
        a, b = np.asarray(ours._retriever.scores[name]), np.asarray(theirs.scores[name])
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), name
    assert list(ours._retriever.vocab_dict.items()) == list(theirs.vocab_dict.items())


def test_the_score_matrix_is_bm25s_bit_for_bit():
    tokens = [TOKENIZER(t) for t in TEXTS]
    _same_matrix(BM25Index.from_tokens(tokens, TOKENIZER, texts=TEXTS), _bm25s(tokens))


def test_an_update_cuts_only_new_texts_and_equals_a_count_from_scratch(tmp_path):
    before = BM25Index.build(TEXTS[:60], TOKENIZER)
    before.save(tmp_path)
    rows = load_rows(tmp_path)
    assert rows is not None and len(rows) == 60
    after_texts = TEXTS[:10] + TEXTS[30:60] + TEXTS[60:80] + ["新的一段：星河市立图书馆周一闭馆。"]  # removed, kept, added
    cut: list[str] = []

    def tokenize(texts: list[str]) -> list[list[str]]:
        cut.extend(texts)
        return [TOKENIZER(t) for t in texts]

    updated = rows.updated(after_texts, tokenize)
    assert sorted(cut) == sorted(set(after_texts) - set(TEXTS[:60]))  # only what the rows did not hold
    scratch = TermRows.from_tokens(after_texts, [TOKENIZER(t) for t in after_texts])
    assert updated.vocabulary == scratch.vocabulary
    for name in ("indptr", "token_ids", "counts", "keys"):
        assert np.array_equal(getattr(updated, name), getattr(scratch, name)), name
    _same_matrix(BM25Index.from_rows(updated, TOKENIZER), _bm25s([TOKENIZER(t) for t in after_texts]))
