"""BM25 over jieba tokens (bm25s sparse matrices), persisted next to the vectors."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Sequence

import bm25s
import numpy as np

import json

from embeddings.lexical.chinese_tokenizer import DEFAULT_TOKENIZER, ChineseTokenizer

log = logging.getLogger(__name__)
DIR_NAME = "bm25"
TOKENIZER_FILE = "tokenizer.json"


class BM25Index:
    def __init__(self, retriever: "bm25s.BM25", size: int, tokenizer: ChineseTokenizer = DEFAULT_TOKENIZER) -> None:
        self._retriever = retriever
        self._size = size
        self.tokenize = tokenizer
        # Document frequency per token id, for IDF weights outside BM25 scoring (answer extraction).
        indptr = np.asarray(retriever.scores["indptr"])
        doc_freq = np.diff(indptr).astype(np.float64)
        self._idf = np.log(1.0 + (size - doc_freq + 0.5) / (doc_freq + 0.5))
        self._default_idf = float(np.log(1.0 + (size + 0.5) / 0.5))

    @classmethod
    def build(cls, texts: Sequence[str], tokenizer: ChineseTokenizer = DEFAULT_TOKENIZER, k1: float = 1.2,
              b: float = 0.75) -> "BM25Index":
        return cls.from_tokens([tokenizer(t) for t in texts], tokenizer, k1, b)

    @classmethod
    def from_tokens(cls, corpus_tokens: list[list[str]], tokenizer: ChineseTokenizer = DEFAULT_TOKENIZER,
                    k1: float = 1.2, b: float = 0.75) -> "BM25Index":
        """An index over texts already cut by `tokenizer` (which is kept for queries)."""
        retriever = bm25s.BM25(k1=k1, b=b)
        tokenized = _to_bm25s_tokens(corpus_tokens)
        retriever.index(tokenized, show_progress=False)
        return cls(retriever, len(corpus_tokens), tokenizer)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every row for the query (zeros when no query token is known)."""
        return self.token_scores(self.tokenize(query))

    def token_scores(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every row for a query already cut by this index's tokenizer."""
        vocab = self._retriever.vocab_dict
        token_ids = [vocab[t] for t in tokens if t in vocab]
        if not token_ids:
            return np.zeros(self._size, dtype=np.float32)
        if self._retriever.nonoccurrence_array is not None:  # BM25L / BM25+: let bm25s add what it adds
            return np.asarray(self._retriever.get_scores_from_ids(token_ids), dtype=np.float32)
        return self._summed_postings(token_ids)

    def _summed_postings(self, token_ids: list[int]) -> np.ndarray:
        """Sum of each query token's precomputed per-document scores, token by token in float32.

        What bm25s.get_scores does, without np.add.at (an unbuffered scatter many times slower): a
        token's posting list names each document once, so a buffered `scores[docs] += values` gives
        bit-identical sums in the same order. Repeated query tokens count as often as they occur, as there.
        """
        matrix = self._retriever.scores
        data, indices, indptr = matrix["data"], matrix["indices"], matrix["indptr"]
        scores = np.zeros(self._size, dtype=np.float32)
        for token_id in token_ids:
            start, end = indptr[token_id], indptr[token_id + 1]
            scores[indices[start:end]] += data[start:end]
        return scores

    def idf(self, token: str) -> float:
        """IDF of a token in the corpus; unseen tokens get the maximum (they are rare by definition)."""
        token_id = self._retriever.vocab_dict.get(token)
        return self._default_idf if token_id is None else float(self._idf[token_id])

    def __len__(self) -> int:
        return self._size

    @property
    def vocabulary(self) -> list[str]:
        """Every token of the indexed passages."""
        return list(self._retriever.vocab_dict)

    def save(self, directory: Path) -> list[str]:
        target = directory / DIR_NAME
        self._retriever.save(str(target))
        (target / TOKENIZER_FILE).write_text(json.dumps(self.tokenize.to_dict()))
        return [str(p.relative_to(directory)) for p in sorted(target.iterdir())]

    @classmethod
    def load(cls, directory: Path, size: int) -> "BM25Index":
        retriever = bm25s.BM25.load(str(directory / DIR_NAME))
        tokenizer_file = directory / DIR_NAME / TOKENIZER_FILE
        tokenizer = (ChineseTokenizer.from_dict(json.loads(tokenizer_file.read_text()))
                     if tokenizer_file.exists() else DEFAULT_TOKENIZER)
        return cls(retriever, size, tokenizer)


def _to_bm25s_tokens(corpus_tokens: list[list[str]]) -> "bm25s.tokenization.Tokenized":
    vocab: dict[str, int] = {}
    ids = [[vocab.setdefault(tok, len(vocab)) for tok in doc] for doc in corpus_tokens]
    return bm25s.tokenization.Tokenized(ids=ids, vocab=vocab)
