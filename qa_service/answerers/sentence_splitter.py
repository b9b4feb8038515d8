"""Split a passage into sentences with their offsets, so a quote can be located inside its passage."""
from __future__ import annotations

import re
from dataclasses import dataclass

_SENTENCE = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]*[”’」』）)]*|\n")


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int  # offset in the passage text


def split_sentences(text: str, min_chars: int = 4) -> list[Sentence]:
    sentences = []
    for m in _SENTENCE.finditer(text):
        raw = m.group(0)
        stripped = raw.strip()
        if len(stripped) < min_chars:
            continue
        sentences.append(Sentence(stripped, m.start() + raw.index(stripped[0])))
    return sentences
