"""Citation markers in generated text: find them, and drop the ones that point to no passage."""
from __future__ import annotations

import re

MARKER = re.compile(r"[\[［【]\s*(\d{1,3})\s*[\]］】]")


def verify_markers(text: str, passage_count: int) -> tuple[str, list[int]]:
    """Text without markers outside 1..passage_count, and the valid refs in order of first use."""
    refs: list[int] = []

    def keep(match: re.Match[str]) -> str:
        ref = int(match.group(1))
        if not 1 <= ref <= passage_count:
            return ""
        if ref not in refs:
            refs.append(ref)
        return f"[{ref}]"

    cleaned = MARKER.sub(keep, text)
    return re.sub(r"[ \t]{2,}", " ", cleaned).strip(), refs


_OPENERS = "[［【"
_PARTIAL = re.compile(r"[\[［【]\s*\d{0,3}\s*")


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
                ref = int(match.group(1))
                if 1 <= ref <= self._count:
                    out.append(f"[{ref}]")
                    if ref not in self.refs:
                        self.refs.append(ref)
                self._pending = self._pending[match.end():]
                continue
            if _PARTIAL.fullmatch(self._pending):
                break  # may still become a marker: wait for more text
            out.append(self._pending[0])
            self._pending = self._pending[1:]
        return "".join(out)

    def flush(self) -> str:
        rest, self._pending = self._pending, ""
        return rest
