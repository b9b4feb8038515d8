"""A passage cut into the quotes a reader reads (a sentence and the next), prepared once per passage.

Split out of readers/detail_reader.py (a file of at most 300 lines); the reader and its reranking bonuses read
the same prepared units, kept in the reader's cache of prepared passages.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from documents.models import Chunk
from qa_service.understanding.asked_detail import normalise
from qa_service.understanding.entity_grounding import _compact
from qa_service.understanding.quantities import Quantity, find_quantities
from qa_service.understanding.sentence_splitter import split_sentences


@dataclass(frozen=True)
class Unit:
    start: int
    end: int
    first: str  # the first sentence, normalised: where exact coverage is counted


@dataclass(frozen=True)
class Prepared:
    context: str  # title and headings, normalised
    compact: str  # title, headings and text, compact
    units: tuple[Unit, ...]
    # the quantities of each unit's quote (by start), made on first need: the reranker and the reader read the same
    quantities: dict[int, tuple[Quantity, ...]] = field(default_factory=dict, compare=False, repr=False)
    # and the term-vector rows of each quote, made when the passage is read (not for all 20 reranked)
    rows: dict[str, tuple[np.ndarray, ...]] = field(default_factory=dict, compare=False, repr=False)

    def quantities_of(self, unit: Unit, quote: str) -> tuple[Quantity, ...]:
        found = self.quantities.get(unit.start)
        return found if found is not None else self.quantities.setdefault(unit.start, tuple(find_quantities(quote)))


def prepare(chunk: Chunk) -> Prepared:
    """The passage's quotes: each sentence with the next (the last alone), in text order."""
    sentences = split_sentences(chunk.text)
    units = []
    for i, sentence in enumerate(sentences):
        last = sentences[i + 1] if i + 1 < len(sentences) else sentence
        end = last.start + len(last.text)
        units.append(Unit(sentence.start, end, normalise(sentence.text)))
    return Prepared(normalise(chunk.title + "\n" + chunk.section), _compact(chunk.title + chunk.section + chunk.text),
                    tuple(units))
