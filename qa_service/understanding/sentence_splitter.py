"""Split a passage into sentences with their offsets, so a quote can be located inside its passage."""
from __future__ import annotations

import re
from dataclasses import dataclass

_SEGMENT = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]*[”’」』）)]*")
_TERMINAL = tuple("。！？；!?;”’」』）)")


@dataclass(frozen=True)
class Sentence:
    text: str  # exact substring of the passage (may hold a line break inside a joined table row)
    start: int  # offset in the passage text


def split_sentences(text: str, min_chars: int = 4, join_below: int = 30) -> list[Sentence]:
    """Sentences of a passage. A short line without closing punctuation (a flattened table cell, a
    wrapped title) is joined with what follows, so a table row stays one unit."""
    spans: list[list[int]] = []
    for m in _SEGMENT.finditer(text):
        start, end = m.start(), m.end()
        segment = text[start:end].strip()
        if not segment:
            continue
        if spans:
            previous = text[spans[-1][0]:spans[-1][1]].strip()
            if not previous.endswith(_TERMINAL) and len(previous) < join_below:
                spans[-1][1] = end
                continue
        spans.append([start, end])
    sentences = []
    for start, end in spans:
        raw = text[start:end]
        stripped = raw.strip()
        if len(stripped) >= min_chars:
            sentences.append(Sentence(stripped, start + raw.index(stripped[0])))
    return sentences
