"""Joining text runs the way a reader sees them: no space is invented between Chinese characters.

Soft line breaks inside a paragraph (Markdown source wrapping, HTML source newlines, DOCX line
breaks) become nothing between wide (CJK) characters and one space between Latin words, as CSS
Text 3 prescribes for segment breaks; other whitespace runs become one space.
"""
from __future__ import annotations

import re
import unicodedata

_WHITESPACE = re.compile(r"[ \t\r\n\f\v\u00a0\u3000]+")


def is_wide(ch: str) -> bool:
    """CJK ideographs, kana, hangul and full-width punctuation."""
    return unicodedata.east_asian_width(ch) in ("W", "F")


def soft_join(left: str, right: str) -> str:
    """`left` and `right` joined across a soft line break."""
    left, right = left.rstrip(), right.lstrip()
    if not left or not right:
        return left + right
    sep = "" if is_wide(left[-1]) or is_wide(right[0]) else " "
    return left + sep + right


def collapse_whitespace(text: str) -> str:
    """One line of text: breaks next to wide characters vanish, every other whitespace run is one space."""

    def repl(m: re.Match[str]) -> str:
        run = m.group(0)
        if "\n" in run or "\r" in run:
            before = text[m.start() - 1] if m.start() else ""
            after = text[m.end()] if m.end() < len(text) else ""
            if (before and is_wide(before)) or (after and is_wide(after)):
                return ""
        return " "

    return _WHITESPACE.sub(repl, text).strip()
