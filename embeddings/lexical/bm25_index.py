"""BM25 over jieba tokens (bm25s sparse matrices), persisted next to the vectors.

The score matrix is computed here from each passage's token counts (term_rows.py), with bm25s's own formulas
(Lucene BM25) step for step in the same floating-point types, so it is the matrix `bm25s.BM25.index` makes
(tests/embeddings/test_bm25_rows.py compares them bit for bit), and a new version recounts only its new
passages. The files are bm25s's, plus the rows.
"""
from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from embeddings.lexical.chinese_tokenizer import DEFAULT_TOKENIZER, ChineseTokenizer
from embeddings.lexical.term_rows import TermRows

if TYPE_CHECKING:  # bm25s (and scipy) are imported where an index is made or loaded: reading a manifest needs neither
    import bm25s

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
        self.rows: TermRows | None = None  # the passages' token counts, when built here (saved for the next version)

    @classmethod
    def build(cls, texts: Sequence[str], tokenizer: ChineseTokenizer = DEFAULT_TOKENIZER, k1: float = 1.2,
              b: float = 0.75) -> "BM25Index":
        return cls.from_tokens([tokenizer(t) for t in texts], tokenizer, k1, b, texts=texts)

    @classmethod
    def from_tokens(cls, corpus_tokens: list[list[str]], tokenizer: ChineseTokenizer = DEFAULT_TOKENIZER,
                    k1: float = 1.2, b: float = 0.75, texts: Sequence[str] | None = None) -> "BM25Index":
        """An index over texts already cut by `tokenizer` (which is kept for queries). `texts`: the texts cut,
        so that the next version can take these rows by their text (without them, the rows are not saved)."""
        rows = TermRows.from_tokens(texts if texts is not None else [""] * len(corpus_tokens), corpus_tokens)
        return cls.from_rows(rows, tokenizer, k1, b, keep_rows=texts is not None)

    @classmethod
    def from_rows(cls, rows: TermRows, tokenizer: ChineseTokenizer = DEFAULT_TOKENIZER, k1: float = 1.2,
                  b: float = 0.75, keep_rows: bool = True) -> "BM25Index":
        """The index of these passages' token counts: what bm25s.BM25(k1, b).index makes of their tokens."""
        import bm25s

        retriever = bm25s.BM25(k1=k1, b=b)
        retriever.scores, retriever.vocab_dict = _score_matrix(rows, k1, b)
        retriever.unique_token_ids_set = set(retriever.vocab_dict.values())
        retriever.nonoccurrence_array = None  # Lucene BM25 has none (BM25L and BM25+ do)
        index = cls(retriever, len(rows), tokenizer)
        index.rows = rows if keep_rows else None
        return index

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
        if self.rows is not None:
            self.rows.save(target)
        return [str(p.relative_to(directory)) for p in sorted(target.iterdir())]

    @classmethod
    def load(cls, directory: Path, size: int) -> "BM25Index":
        import bm25s

        retriever = bm25s.BM25.load(str(directory / DIR_NAME))
        tokenizer_file = directory / DIR_NAME / TOKENIZER_FILE
        tokenizer = (ChineseTokenizer.from_dict(json.loads(tokenizer_file.read_text()))
                     if tokenizer_file.exists() else DEFAULT_TOKENIZER)
        return cls(retriever, size, tokenizer)


def load_rows(directory: Path) -> TermRows | None:
    """The token rows a version's BM25 was built from (None: written before they were kept)."""
    target = directory / DIR_NAME
    if not (target / "rows.keys.npy").exists():
        return None
    vocab = json.loads((target / "vocab.index.json").read_text(encoding="utf-8"))
    vocabulary = [token for token, _ in sorted(vocab.items(), key=lambda item: item[1])]
    return TermRows.load(target, vocabulary[:-1] if vocabulary and vocabulary[-1] == "" else vocabulary)


# How bm25s promotes a float64 scalar added to a float32 array (NumPy 2 keeps float64; NumPy 1 gave float32).
_TFC_DTYPE = (np.float64(1.0) + np.ones(1, dtype=np.float32)).dtype


def _score_matrix(rows: TermRows, k1: float, b: float) -> tuple[dict, dict[str, int]]:
    """bm25s's CSC score matrix (Lucene idf and term-frequency component, float32) and vocabulary of the rows.

    Each step is bm25s's (scoring.py: _build_idf_array with math.log, _score_tfc_robertson, the scores cast to
    float32, _np_csc_python's ordering by token then passage), done for all entries at once."""
    n_docs, n_vocab = len(rows), len(rows.vocabulary)
    lengths = rows.lengths()
    avg_doc_len = lengths.mean() if n_docs else np.float64("nan")
    doc_freq = np.bincount(rows.token_ids, minlength=n_vocab)
    idf = np.zeros(n_vocab, dtype=np.float32)
    for token_id, df in enumerate(doc_freq.tolist()):
        if df != 0:
            idf[token_id] = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
    row_of = np.repeat(np.arange(n_docs, dtype=np.int64), np.diff(rows.indptr))
    tf = rows.counts.astype(np.float32)
    norm = k1 * ((1 - b) + b * lengths[row_of].astype(np.float64) / avg_doc_len)
    tfc = tf / (norm.astype(_TFC_DTYPE) + tf)
    scores = (idf[rows.token_ids] * tfc).astype(np.float32)
    indptr = np.zeros(n_vocab + 1, dtype=np.int64)
    np.cumsum(doc_freq, out=indptr[1:])
    sorter = np.argsort(rows.token_ids, kind="stable")  # by token, then passage (entries come passage by passage)
    matrix = {"data": scores[sorter], "indices": row_of[sorter].astype(np.int32), "indptr": indptr,
              "num_docs": n_docs}
    vocab = {token: i for i, token in enumerate(rows.vocabulary)}
    if "" not in vocab:  # bm25s adds the empty token (after the others) to score texts without tokens
        vocab[""] = n_vocab
    return matrix, vocab
