"""A vector for every word of the BM25 vocabulary, so that a question's word can meet its synonym in a passage.

Users ask in their own words (经费 for 资金, 全职 for 专职, 招牌 for 品牌); counting shared words misses those.
The encoder that embeds passages also embeds single words: on this corpus's words m3e-small puts synonyms at
cosine 0.72-0.90 and unrelated pairs mostly below 0.70 (docs/evaluation.md). The vocabulary is small (18,196
words for the bundled corpus, 2 minutes to embed; repeated ingests take them from the embedding cache), so it
is embedded at ingest and stored with the version as float16 (512 dimensions: 18 MB); a question's words are
looked up, and only words the corpus never uses are encoded at query time.
"""
from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

DIR_NAME = "terms"
VECTORS_FILE = "vectors.npy"
VOCABULARY_FILE = "vocabulary.json"


class TermVectors:
    def __init__(self, vocabulary: Sequence[str], vectors: np.ndarray) -> None:
        if len(vocabulary) != len(vectors):
            raise ValueError(f"{len(vocabulary)} terms but {len(vectors)} vectors")
        self.vocabulary = list(vocabulary)
        self._row = {term: row for row, term in enumerate(self.vocabulary)}
        self._vectors = vectors
        self.source: Path | None = None  # the version directory these were loaded from (its files are reused)

    @classmethod
    def build(cls, vocabulary: Sequence[str], encode: Callable[[list[str]], np.ndarray]) -> "TermVectors":
        """Vectors of the vocabulary by `encode` (a passage encoder: normalised rows)."""
        terms = sorted(set(vocabulary))
        vectors = encode(terms) if terms else np.zeros((0, 0), dtype=np.float32)
        return cls(terms, np.asarray(vectors, dtype=np.float16))

    def __len__(self) -> int:
        return len(self.vocabulary)

    def __contains__(self, term: str) -> bool:
        return term in self._row

    def rows(self, terms: Sequence[str]) -> np.ndarray:
        """Row numbers of the known terms among `terms`."""
        return np.array([self._row[t] for t in terms if t in self._row], dtype=np.int64)

    def matrix(self, rows: np.ndarray) -> np.ndarray:
        return self._vectors[rows].astype(np.float32)

    def subset(self, terms: Sequence[str]) -> "TermVectors | None":
        """These vectors of the known words among `terms` (rows as stored, float16); None when none is known."""
        kept = [t for t in sorted(set(terms)) if t in self._row]
        if not kept:
            return None
        if len(kept) == len(self.vocabulary):
            return self  # sorted, as built: the same words in the same order
        return TermVectors(kept, self._vectors[self.rows(kept)])

    def vector(self, term: str) -> np.ndarray | None:
        row = self._row.get(term)
        return None if row is None else self._vectors[row].astype(np.float32)

    def save(self, directory: Path) -> list[str]:
        """Write the files under `directory`; those loaded unchanged from a version are hard-linked from it
        (versions are never changed in place, so they can share the 18 MB of the bundled corpus's vectors)."""
        target = directory / DIR_NAME
        target.mkdir(parents=True, exist_ok=True)
        names = [f"{DIR_NAME}/{VECTORS_FILE}", f"{DIR_NAME}/{VOCABULARY_FILE}"]
        if self.source is not None and _linked(self.source, directory, names):
            return names
        buffer = io.BytesIO()  # np.save to a file reports a full disk without errno; a plain write says ENOSPC
        np.save(buffer, self._vectors)
        (target / VECTORS_FILE).write_bytes(buffer.getvalue())
        (target / VOCABULARY_FILE).write_text(json.dumps(self.vocabulary, ensure_ascii=False))
        return [f"{DIR_NAME}/{VECTORS_FILE}", f"{DIR_NAME}/{VOCABULARY_FILE}"]

    @classmethod
    def load(cls, directory: Path) -> "TermVectors | None":
        """The version's term vectors, None when it has none (built before they existed)."""
        target = directory / DIR_NAME
        if not (target / VECTORS_FILE).exists():
            return None
        vocabulary = json.loads((target / VOCABULARY_FILE).read_text())
        terms = cls(vocabulary, np.load(target / VECTORS_FILE))  # in memory: gathering rows of a memmap is slow
        terms.source = directory
        return terms


def _linked(source: Path, directory: Path, names: list[str]) -> bool:
    """Hard-link these files of `source` into `directory`; False (nothing left behind) where that fails."""
    made = []
    try:
        for name in names:
            os.link(source / name, directory / name)
            made.append(directory / name)
        return True
    except OSError:
        for path in made:
            path.unlink(missing_ok=True)
        return False
