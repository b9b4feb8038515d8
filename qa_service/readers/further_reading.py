"""Which passages ranked below the ones read first the detail reader reads when none of those answers.

The reader reads the top 3 passages (ReaderConfig.passages). A section the retriever cut into several passages
may state its detail in a passage ranked lower than its neighbour: the neighbour shares the question's words,
the stating passage its detail (a list of three activity brands after the paragraph that introduces them).
Reading every lower passage also answers questions the documents do not answer, from passages that only share
words with them (dev: 4 of 57 unanswerable questions answered, recall 0.857 -> 0.762 on dev's own); reading
only lower passages of a section already read keeps to the subject the top passages found (docs/evaluation.md).
"""
from __future__ import annotations

from typing import Sequence

from qa_service.types import Passage

SCOPES = ("section", "adjacent", "any")


def _section(passage: Passage) -> tuple[str, str, str]:
    chunk = passage.chunk
    return chunk.doc, chunk.title, chunk.section


def _touches(a: Passage, b: Passage) -> bool:
    return _section(a) == _section(b) and a.chunk.start <= b.chunk.end + 1 and b.chunk.start <= a.chunk.end + 1


def further_passages(passages: Sequence[Passage], read: int, until: int, scope: str) -> list[Passage]:
    """The passages ranked from `read` + 1 down to `until` worth reading after the first `read`: of a section of
    one of those (`section`: same document, title and headings), next to one of them in such a section
    (`adjacent`), or all (`any`)."""
    first, lower = passages[:read], passages[read:until]
    if scope == "any":
        return list(lower)
    if scope == "adjacent":
        return [p for p in lower if any(_touches(p, q) for q in first)]
    sections = {_section(p) for p in first}
    return [p for p in lower if _section(p) in sections]
