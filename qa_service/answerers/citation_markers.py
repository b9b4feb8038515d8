"""Citation markers in generated text: find them in the forms models write, normalise them to [n], and drop
the ones that point to no passage.

Models asked for [n] also write [1, 2], [1，2], [1、2], [1][2], [^1] (a Markdown footnote) and 【1】; each is
read as the refs it lists and written back as [1][2], so clients, the claim check and the citations see one
form.
"""
from __future__ import annotations

import re

_REF = r"\^?\s*\d{1,3}"
_SEP = r"\s*[,，、;；]\s*"
MARKER = re.compile(rf"[\[［【]\s*({_REF}(?:{_SEP}{_REF})*)\s*[\]］】]")
_NUMBER = re.compile(r"\d{1,3}")


def _normalised(match: re.Match[str], passage_count: int, refs: list[int]) -> str:
    """The valid refs of one marker as [a][b], recorded in order of first use; invalid ones vanish."""
    out = []
    for number in _NUMBER.findall(match.group(1)):
        ref = int(number)
        if 1 <= ref <= passage_count:
            out.append(f"[{ref}]")
            if ref not in refs:
                refs.append(ref)
    return "".join(dict.fromkeys(out))


def verify_markers(text: str, passage_count: int) -> tuple[str, list[int]]:
    """Text with markers normalised to [n] and those outside 1..passage_count removed, and the valid refs in
    order of first use."""
    refs: list[int] = []
    cleaned = MARKER.sub(lambda m: _normalised(m, passage_count, refs), text)
    return re.sub(r"[ \t]{2,}", " ", cleaned).strip(), refs


def has_text(text: str) -> bool:
    """Whether the text says anything besides its markers ("[1] [2]。" does not)."""
    return any(ch.isalnum() for ch in MARKER.sub("", text))


_OPENERS = "[［【"
_PARTIAL = re.compile(rf"[\[［【]\s*(?:\^?\s*(?:\d{{1,3}}(?:{_SEP}\^?\s*\d{{0,3}})*)?\s*(?:[,，、;；]\s*)?)?")
_LONGEST_PARTIAL = 40  # characters: no marker a model writes is longer; beyond it the text is not a marker


class StreamingMarkerFilter:
    """verify_markers for text that arrives in pieces: a possible marker is held back until it closes.

    Invalid markers never reach the client; valid ones are normalised to [n]; everything else passes
    through as soon as it cannot be the start of a marker.
    """

    def __init__(self, passage_count: int) -> None:
        self._count = passage_count
        self._pending = ""
        self.refs: list[int] = []

    def feed(self, text: str) -> str:
        self._pending += text
        out: list[str] = []
        while self._pending:
            start = min((i for i in (self._pending.find(o) for o in _OPENERS) if i >= 0), default=-1)
            if start < 0:
                out.append(self._pending)
                self._pending = ""
                break
            out.append(self._pending[:start])
            self._pending = self._pending[start:]
            match = MARKER.match(self._pending)
            if match:
                out.append(_normalised(match, self._count, self.refs))
                self._pending = self._pending[match.end():]
                continue
            if len(self._pending) <= _LONGEST_PARTIAL and _PARTIAL.fullmatch(self._pending):
                break  # may still become a marker: wait for more text
            out.append(self._pending[0])
            self._pending = self._pending[1:]
        return "".join(out)

    def flush(self) -> str:
        rest, self._pending = self._pending, ""
        return rest
