"""Each passage's token counts, kept with a version's BM25 so that the next version recounts only new passages.

BM25's statistics are corpus-wide (the number of passages, each token's document frequency, the average
length), so one added passage changes every score; but they are all computed from the token counts of each
passage, and those depend only on the passage's text and the tokenizer. A version keeps them (bm25/rows.*.npy:
each passage's distinct token ids in first-occurrence order, their counts, and a digest of its indexed text);
the next version takes the rows of the passages it still holds by their digests, cuts only the new texts, and
computes the scores again from the counts in a few vectorised steps (bm25_index.py). The token ids are renumbered
in first-occurrence order over the new passages, which is how a build from scratch numbers them, so an
incremental version's BM25 files are the ones a build from scratch writes.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

FILES = {"indptr": "rows.indptr.npy", "token_ids": "rows.token_ids.npy", "counts": "rows.counts.npy",
         "keys": "rows.keys.npy"}
KEY_BYTES = 16


def text_key(text: str) -> bytes:
    """The digest a passage's row is found by (of its indexed text; the tokenizer is the version's)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=KEY_BYTES).digest()


@dataclass(frozen=True)
class TermRows:
    vocabulary: list[str]  # token of each id, in first-occurrence order over the rows
    indptr: np.ndarray  # int64 (rows + 1): row r's entries are [indptr[r], indptr[r + 1])
    token_ids: np.ndarray  # int32, per entry: the row's distinct tokens in first-occurrence order
    counts: np.ndarray  # int32, per entry: how often the token occurs in the row
    keys: np.ndarray  # (rows,) S16: text_key of each row's indexed text

    def __len__(self) -> int:
        return len(self.keys)

    @classmethod
    def from_tokens(cls, texts: Sequence[str], tokens: Sequence[Sequence[str]]) -> "TermRows":
        """Rows of passages already cut (vocabulary numbered as bm25s numbers it: first occurrence)."""
        vocab: dict[str, int] = {}
        return cls._counted([text_key(t) for t in texts], tokens, vocab, list(vocab))

    @classmethod
    def _counted(cls, keys: list[bytes], tokens: Sequence[Sequence[str]], vocab: dict[str, int],
                 vocabulary: list[str]) -> "TermRows":
        lengths, ids, counts = [], [], []
        for row in tokens:
            counter = Counter(vocab.setdefault(t, len(vocab)) for t in row)
            lengths.append(len(counter))
            ids.extend(counter.keys())
            counts.extend(counter.values())
        vocabulary.extend(list(vocab)[len(vocabulary):])
        indptr = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum(np.asarray(lengths, dtype=np.int64), out=indptr[1:])
        return cls(vocabulary, indptr, np.asarray(ids, dtype=np.int32), np.asarray(counts, dtype=np.int32),
                   np.asarray(keys, dtype=f"S{KEY_BYTES}").reshape(len(keys)))

    def updated(self, texts: Sequence[str], tokenize: Callable[[list[str]], list[list[str]]]) -> "TermRows":
        """The rows of `texts`: those of texts these rows hold are taken from them, the others cut by `tokenize`
        (given only those texts); then renumbered as a build from scratch numbers them."""
        keys = [text_key(t) for t in texts]
        at = {k: i for i, k in enumerate(self.keys.tolist())}
        source = np.fromiter((at.get(k, -1) for k in keys), dtype=np.int64, count=len(keys))
        new = np.flatnonzero(source < 0)
        vocab = {t: i for i, t in enumerate(self.vocabulary)}
        fresh = TermRows._counted([keys[i] for i in new], tokenize([texts[i] for i in new]), vocab,
                                  list(self.vocabulary))
        # One pool of entries (these rows', then the new texts'), and each row's slice of it.
        pool_ids = np.concatenate([self.token_ids, fresh.token_ids])
        pool_counts = np.concatenate([self.counts, fresh.counts])
        starts = np.empty(len(keys), dtype=np.int64)
        lengths = np.empty(len(keys), dtype=np.int64)
        old = source >= 0
        starts[old] = self.indptr[source[old]]
        lengths[old] = self.indptr[source[old] + 1] - self.indptr[source[old]]
        starts[new] = fresh.indptr[:-1] + len(self.token_ids)
        lengths[new] = np.diff(fresh.indptr)
        indptr = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        gather = np.repeat(starts - indptr[:-1], lengths) + np.arange(indptr[-1], dtype=np.int64)
        ids, counts = pool_ids[gather], pool_counts[gather]
        # Renumber: first occurrence over the rows in order (within a row, entries are in first-occurrence order).
        first = np.full(len(fresh.vocabulary), len(ids), dtype=np.int64)
        np.minimum.at(first, ids, np.arange(len(ids), dtype=np.int64))  # each token's first entry
        used = np.flatnonzero(first < len(ids))
        order = used[np.argsort(first[used], kind="stable")]
        renumber = np.full(len(fresh.vocabulary), -1, dtype=np.int32)
        renumber[order] = np.arange(len(order), dtype=np.int32)
        return TermRows([fresh.vocabulary[i] for i in order.tolist()], indptr, renumber[ids], counts,
                        np.asarray(keys, dtype=f"S{KEY_BYTES}").reshape(len(keys)))

    def lengths(self) -> np.ndarray:
        """Tokens per row (repeats counted), int64."""
        summed = np.zeros(len(self.counts) + 1, dtype=np.int64)
        np.cumsum(self.counts, out=summed[1:])
        return summed[self.indptr[1:]] - summed[self.indptr[:-1]]

    def save(self, directory: Path) -> list[str]:
        """Writes the rows' arrays into `directory` (the vocabulary is the BM25 index's); their file names."""
        for field, name in FILES.items():
            np.save(directory / name, getattr(self, field), allow_pickle=False)
        return list(FILES.values())

    @classmethod
    def load(cls, directory: Path, vocabulary: list[str]) -> "TermRows":
        arrays = {field: np.load(directory / name, allow_pickle=False) for field, name in FILES.items()}
        rows = cls(vocabulary, **arrays)
        if (rows.indptr.shape != (len(rows.keys) + 1,) or rows.token_ids.shape != rows.counts.shape
                or int(rows.indptr[-1]) != len(rows.token_ids)
                or (len(rows.token_ids) and int(rows.token_ids.max()) >= len(vocabulary))):
            raise ValueError(f"token rows in {directory} do not line up")
        return rows
