"""Where the splitter's pieces lie in the text they were cut from.

LangChain's splitter returns strings, not offsets. Repeated text (a heading printed four times, a paragraph
printed twice) lets a piece match in several places, and the first place that continues the previous piece is
not always the right one: "1.加快 5G 网络建设。" printed on four lines gave a last piece (lines three and four)
that also matches lines two and three, and taking that lost line four from every chunk (found by hypothesis,
tests/documents/test_properties.py). So every place each piece may continue from is kept (a few at most, in
practice one), and the sequence chosen is one whose last piece ends the text.
"""
from __future__ import annotations

import logging
from typing import Callable, Sequence

logger = logging.getLogger(__name__)

MAX_PLACES = 32  # places kept per piece: bounded work whatever the repetition (a line printed 1,000 times)


def align_pieces(text: str, pieces: Sequence[str], overlap_tokens: int,
                 count_tokens: Callable[[str], int]) -> list[tuple[int, int]]:
    """(start, end) of each piece in `text`, in order. A piece continues the previous one: it starts after it,
    ends after it, shares at most `overlap_tokens` with it and leaves only whitespace uncovered between them."""
    if not pieces:
        return []
    first = text.find(pieces[0])
    layers: list[dict[int, int | None]] = [{first: None} if first >= 0 else {}]
    for i in range(1, len(pieces)):
        previous_len, piece = len(pieces[i - 1]), pieces[i]
        layer: dict[int, int | None] = {}
        for prev_start in layers[-1]:
            for at in _continuations(text, piece, prev_start, prev_start + previous_len, overlap_tokens, count_tokens):
                layer.setdefault(at, prev_start)
                if len(layer) >= MAX_PLACES:
                    break
        if not layer:  # no place continues it (the splitter dropped more than whitespace): the next one after
            prev_start = next(iter(layers[-1]), -1)
            at = text.find(piece, prev_start + 1)
            if at < 0:  # cannot happen for the splitter's stripped substrings; keep going rather than lose text
                logger.warning("chunk text not found after the previous one; searching from the start")
                at = text.find(piece)
            layers.append({at: None} if at >= 0 else {})
            continue
        layers.append(layer)
    return _walk_back(text, pieces, layers)


def _continuations(text: str, piece: str, prev_start: int, prev_end: int, overlap_tokens: int,
                   count_tokens: Callable[[str], int]) -> list[int]:
    found = []
    at = text.find(piece, prev_start + 1)
    while at >= 0 and (at <= prev_end or not text[prev_end:at].strip()) and len(found) < MAX_PLACES:
        if at + len(piece) > prev_end and (at >= prev_end or count_tokens(text[at:prev_end]) <= overlap_tokens):
            found.append(at)
        at = text.find(piece, at + 1)
    return found


def _walk_back(text: str, pieces: Sequence[str], layers: list[dict[int, int | None]]) -> list[tuple[int, int]]:
    """The chosen places, last to first: the last piece at a place that leaves only whitespace after it when
    there is one, else its first place; then each piece at the place its successor continued from."""
    spans: list[tuple[int, int]] = []
    at: int | None = None
    for i in range(len(pieces) - 1, -1, -1):
        layer = layers[i]
        if at is None or at not in layer:
            ends = [a for a in layer if not text[a + len(pieces[i]):].strip()] if i == len(pieces) - 1 else []
            at = ends[0] if ends else next(iter(layer), None)
        if at is None:  # a piece found nowhere: skipped, as before
            continue
        spans.append((at, at + len(pieces[i])))
        at = layer[at]
    spans.reverse()
    return spans
