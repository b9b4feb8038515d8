"""Line view of a cleaned text: (start offset, text) pairs."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TextLine:
    start: int  # offset of the first character in the cleaned text
    text: str

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def split_lines(text: str) -> list[TextLine]:
    """Non-empty lines of `text` with their offsets."""
    out: list[TextLine] = []
    pos = 0
    for line in text.split("\n"):
        if line.strip():
            out.append(TextLine(pos, line))
        pos += len(line) + 1
    return out
