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
